"""The openai-whisper adapter: a loaded model that reads a recording front to back with
whisper's own ``transcribe()``, or in batches of windows (:mod:`videokit.asr_batched`), and forces
known text onto audio for the aligner. whisper and torch are imported only when called.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import hardware
from .align_windows import Span, Window
from .asr import (
    DEFAULT_OPTIONS,
    AudioJob,
    DecodeOptions,
    Progress,
    clip_timestamps,
    spoken_plan,
    transcript_of,
    word_spans,
)
from .asr_batched import BatchedDecoding
from .asr_patches import (
    WINDOW_ATTEMPTS,
    Budget,
    decoding_once,
    draws_fixed,
    group_cross_attention,
    logits_layout,
)
from .audio import SAMPLE_RATE
from .errors import ModelError, TranscriptionError, VideokitError
from .models import ModelSpec
from .transcript import Transcript

if TYPE_CHECKING:  # pragma: no cover
    import whisper


def _device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _half_weights(model: Any) -> None:
    """fp16 weights (half the memory, no cast in every layer call), but float32 layer norms.

    whisper's LayerNorm computes in float32 whatever its input, so its weights must stay float32.
    """
    import torch

    for module in model.modules():
        if not isinstance(module, torch.nn.LayerNorm):
            for param in module.parameters(recurse=False):
                param.data = param.data.half()


def _plan(device: str, dims: Any, beams: int, batch_size: int | None) -> hardware.DevicePlan:
    import torch

    return hardware.plan(
        torch.cuda,
        hardware.Dims(
            dims.n_audio_ctx,
            dims.n_audio_state,
            dims.n_audio_head,
            dims.n_text_ctx,
            dims.n_text_state,
            dims.n_text_layer,
            dims.n_vocab,
        ),
        beams,
        device=device,
        batch_size=batch_size,
    )


class WhisperASR(BatchedDecoding):
    """A loaded model. Transcriptions on one instance run one at a time (see ``_lock``).

    ``batched`` cuts each recording into windows at pauses and decodes many windows at once;
    otherwise whisper's own ``transcribe()`` reads the audio one window after the other (the
    project's default, :class:`videokit.engines.AsrSettings`; this class defaults to batched).
    On a GPU the model runs in fp16 (``fp16`` forces it either way) and the batch is sized from
    free GPU memory.
    """

    def __init__(
        self,
        spec: ModelSpec,
        device: str | None = None,
        *,
        batched: bool = True,
        batch_size: int | None = None,
        fp16: bool | None = None,
    ) -> None:
        import whisper

        self.spec = spec
        self.batched = batched
        self._batch_size = batch_size
        self.device = device or _device()
        try:
            self.model: whisper.Whisper = whisper.load_model(str(spec.path), device=self.device)
        except Exception as err:  # torch raises many types for a bad file
            raise ModelError(
                f"could not load model: {err}",
                path=spec.path,
                hint="delete the file and pull the model again",
            ) from None
        self.fp16 = self.device == "cuda" if fp16 is None else fp16
        if self.fp16:
            _half_weights(self.model)
        group_cross_attention(self.model)
        if self.device == "cpu":
            logits_layout(self.model)
        if spec.alignment_heads is not None:
            # Loaded by path, whisper would guess the heads and shift word times by ~0.15 s.
            self.model.set_alignment_heads(spec.alignment_heads)
        elif spec.source == "openai":
            self.model.set_alignment_heads(whisper._ALIGNMENT_HEADS[spec.name])
        # Word timestamps hook the cross-attention of this model object: two transcriptions at once
        # would read each other's attention.
        self._lock = threading.Lock()

    @property
    def engine(self) -> str:
        return "openai-whisper" + (" batched" if self.batched else "")

    def plan(self, options: DecodeOptions) -> hardware.DevicePlan:
        """Device, precision and windows per batch for decoding with ``options``."""
        return _plan(self.device, self.model.dims, options.beam_size or 1, self._batch_size)

    def transcribe(
        self,
        audio: np.ndarray,
        options: DecodeOptions = DEFAULT_OPTIONS,
        *,
        source_sha256: str = "",
        progress: Progress | None = None,
        path: Path | None = None,
    ) -> Transcript:
        if self.batched:
            job = AudioJob(audio, options, source_sha256, path)
            return self.transcribe_many([job], progress=progress)[0]
        return self.transcribe_sequential(
            audio, options, source_sha256=source_sha256, progress=progress, path=path
        )

    def transcribe_many(
        self, jobs: Sequence[AudioJob], *, progress: Progress | None = None
    ) -> list[Transcript]:
        """Transcribe several recordings at once, batching windows across all of them.

        Windows are cut at pauses (:func:`reading_plan`) and decoded side by side in lanes
        (:func:`videokit.windows.lanes`): the windows of a lane follow each other in one
        recording, and with ``condition_on_previous_text`` each is read after the text of the one
        before, as transcribe() does; the first window of a lane has only the glossary prompt.
        ``hallucination_silence_threshold`` does not apply (long silences are not decoded at
        all). A flow can call this with every video that needs a draft, one model per process.
        """
        try:
            with self._lock, draws_fixed(self.device):
                return self._transcribe_batched(jobs, progress)
        except VideokitError:
            raise
        except Exception as err:
            path = jobs[0].path if len(jobs) == 1 else None
            raise TranscriptionError(f"Whisper failed: {err}", path=path) from err

    def transcribe_sequential(
        self,
        audio: np.ndarray,
        options: DecodeOptions = DEFAULT_OPTIONS,
        *,
        source_sha256: str = "",
        progress: Progress | None = None,
        path: Path | None = None,
    ) -> Transcript:
        import importlib

        # whisper/__init__ rebinds the name "transcribe" to the function; fetch the module itself.
        wt = importlib.import_module("whisper.transcribe")

        job = AudioJob(audio, options, source_sha256, path)
        duration_ms = round(len(audio) * 1000 / SAMPLE_RATE)
        unread, clips = spoken_plan(audio)
        if not clips:
            if progress is not None:
                progress(1.0)
            return transcript_of(job, [], self.spec.cache_id, unread)
        kwargs = options.to_dict()
        kwargs["temperature"] = tuple(options.temperature)
        if unread:
            kwargs["clip_timestamps"] = clip_timestamps(clips, duration_ms)
        budget = Budget(WINDOW_ATTEMPTS * len(options.temperature), duration_ms, clips)
        try:
            with (
                self._lock,
                draws_fixed(self.device),
                budget.watching(wt),
                _progress_reporting(wt, progress, budget),
                decoding_once(self.model, budget),
            ):
                result = wt.transcribe(
                    self.model,
                    audio.astype(np.float32),
                    task="transcribe",
                    word_timestamps=True,
                    fp16=self.fp16,
                    verbose=None,
                    **kwargs,
                )
        except Exception as err:
            raise TranscriptionError(f"Whisper failed: {err}", path=path) from err
        if progress is not None:
            progress(1.0)  # whisper's own count leaves out the stretches it skipped
        return transcript_of(
            job, result["segments"], self.spec.cache_id, [*unread, *budget.skipped]
        )

    def align(
        self, audio: np.ndarray, windows: Sequence[Window], *, language: str = "da"
    ) -> list[list[Span] | None]:
        """Force each window's words onto its stretch of ``audio`` (16 kHz mono).

        Returns, per window, one absolute (start_ms, end_ms) per word of ``window.words``, or None
        for a window that cannot be aligned (more tokens than the decoder holds, audio longer than
        30 s, an error inside whisper), so the caller keeps rougher times for just those words.
        This is the :data:`videokit.align_windows.Aligner` that :func:`videokit.align.align_text` takes.
        """
        import torch
        from whisper.tokenizer import get_tokenizer

        tokenizer = get_tokenizer(
            self.model.is_multilingual,
            num_languages=self.model.num_languages,
            language=language,
            task="transcribe",
        )
        samples = np.asarray(audio, dtype=np.float32)
        out: list[list[Span] | None] = []
        # find_alignment hooks this model's cross-attention, as word timestamps do: hold the lock.
        with self._lock, torch.no_grad():
            for window in windows:
                try:
                    out.append(self._align_window(samples, window, tokenizer))
                except (RuntimeError, ValueError, IndexError):
                    out.append(None)  # one bad window must not cost the others their times
        return out

    def _align_window(
        self, samples: np.ndarray, window: Window, tokenizer: Any
    ) -> list[Span] | None:
        import torch
        from whisper.audio import HOP_LENGTH, N_SAMPLES, log_mel_spectrogram, pad_or_trim
        from whisper.timing import find_alignment

        words = [w.strip() for w in window.words]
        chunk = samples[window.start_ms * SAMPLE_RATE // 1000 : window.end_ms * SAMPLE_RATE // 1000]
        if not all(words) or not words or len(chunk) < 4 * HOP_LENGTH or len(chunk) > N_SAMPLES:
            return None
        tokens = tokenizer.encode("".join(" " + w for w in words))
        if len(tokens) + len(tokenizer.sot_sequence) + 2 > self.model.dims.n_text_ctx:
            return None
        mel = log_mel_spectrogram(pad_or_trim(torch.from_numpy(chunk)), self.model.dims.n_mels)
        mel = mel.to(self.model.device)
        timings = find_alignment(self.model, tokenizer, tokens, mel, len(chunk) // HOP_LENGTH)
        return word_spans(
            words,
            [(t.word, float(t.start), float(t.end)) for t in timings],
            window.start_ms,
            window.start_ms + len(chunk) * 1000 // SAMPLE_RATE,
        )


@contextmanager
def _progress_reporting(
    wt: Any, progress: Progress | None, budget: Budget | None = None
) -> Iterator[None]:
    """Route whisper's progress to a callback instead of the terminal, as the share of the
    recording read so far: whisper counts frames decoded, leaving out what it skipped."""
    if progress is None:
        yield
        return
    import tqdm as real_tqdm

    class _Bar(real_tqdm.tqdm):  # type: ignore[type-arg,misc]
        def __init__(self, *a: Any, **k: Any) -> None:
            k["disable"] = True
            super().__init__(*a, **k)
            self._total = max(1, int(k.get("total") or 1))
            self._done = 0

        def update(self, n: float | None = 1) -> bool | None:
            # n frames on from where the window just read started: the position in the recording.
            start = budget.start_frame if budget is not None else self._done
            self._done = max(self._done, start + int(n or 0))
            progress(min(1.0, self._done / self._total))  # type: ignore[misc]
            return None

    shim = type("tqdm_shim", (), {"tqdm": _Bar})
    original = wt.tqdm
    wt.tqdm = shim
    try:
        yield
    finally:
        wt.tqdm = original
