"""The ASR adapter: the only module that imports whisper and torch, and only when called.

It turns Whisper's result dictionaries into :class:`~videokit.transcript.Transcript` values (times in
integer milliseconds, words monotonic and inside the audio) and reports decoding progress through a
callback, so callers never see Whisper's own types.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .align import Span, Window
from .errors import ModelError, TranscriptionError
from .models import ModelSpec
from .transcript import Segment, Transcript, Word

if TYPE_CHECKING:  # pragma: no cover
    import whisper

SAMPLE_RATE = 16_000
Progress = Callable[[float], None]


@dataclass(frozen=True)
class DecodeOptions:
    """What Whisper is asked to do. Part of the draft cache key: change one, get a new draft."""

    language: str = "da"
    # Chosen by measurement (bench/decoding.py, base on the three samples, 2 cores): beam 5 cut
    # the word error rate from 95 % to 69-72 % for 1.5x the time of greedy decoding (RTF 0.71-0.76
    # against 0.48). With beam search the temperature fallback rarely fires, so keeping it as a
    # guard against loops costs ~7 %; with greedy decoding it fired on almost every window of
    # synthetic speech and cost 3-10x. Three steps instead of whisper's six for the same reason.
    beam_size: int | None = 5
    temperature: tuple[float, ...] = (0.0, 0.4, 0.8)
    condition_on_previous_text: bool = True
    hallucination_silence_threshold: float | None = 2.0
    no_speech_threshold: float = 0.6
    initial_prompt: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["temperature"] = list(self.temperature)
        return d


def _device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class WhisperASR:
    """A loaded model. Transcriptions on one instance run one at a time (see ``_lock``)."""

    def __init__(self, spec: ModelSpec, device: str | None = None) -> None:
        import whisper

        self.spec = spec
        self.device = device or _device()
        try:
            self.model: whisper.Whisper = whisper.load_model(str(spec.path), device=self.device)
        except Exception as err:  # torch raises many types for a bad file
            raise ModelError(
                f"could not load model: {err}",
                path=spec.path,
                hint="delete the file and pull the model again",
            ) from None
        if spec.alignment_heads is not None:
            # Loaded by path, whisper would guess the heads and shift word times by ~0.15 s.
            self.model.set_alignment_heads(spec.alignment_heads)
        elif spec.source == "openai":
            self.model.set_alignment_heads(whisper._ALIGNMENT_HEADS[spec.name])
        # Word timestamps hook the cross-attention of this model object: two transcriptions at once
        # would read each other's attention.
        self._lock = threading.Lock()

    def transcribe(
        self,
        audio: np.ndarray,
        options: DecodeOptions = DecodeOptions(),
        *,
        source_sha256: str = "",
        progress: Progress | None = None,
        path: Path | None = None,
    ) -> Transcript:
        import importlib

        # whisper/__init__ rebinds the name "transcribe" to the function; fetch the module itself.
        wt = importlib.import_module("whisper.transcribe")

        duration_ms = round(len(audio) * 1000 / SAMPLE_RATE)
        kwargs = options.to_dict()
        kwargs["temperature"] = tuple(options.temperature)
        try:
            with self._lock, _progress_reporting(wt, progress):
                result = wt.transcribe(
                    self.model,
                    audio.astype(np.float32),
                    task="transcribe",
                    word_timestamps=True,
                    fp16=self.device == "cuda",
                    verbose=None,
                    **kwargs,
                )
        except Exception as err:
            raise TranscriptionError(f"Whisper failed: {err}", path=path) from err
        return Transcript(
            language=options.language,
            duration_ms=duration_ms,
            segments=tuple(_segments(result["segments"], duration_ms)),
            model=self.spec.cache_id,
            source_sha256=source_sha256,
            options=options.to_dict(),
        )

    def align(
        self, audio: np.ndarray, windows: Sequence[Window], *, language: str = "da"
    ) -> list[list[Span] | None]:
        """Force each window's words onto its stretch of ``audio`` (16 kHz mono).

        Returns, per window, one absolute (start_ms, end_ms) per word of ``window.words``, or None
        for a window that cannot be aligned (more tokens than the decoder holds, audio longer than
        30 s, an error inside whisper), so the caller keeps rougher times for just those words.
        This is the :data:`videokit.align.Aligner` that :func:`videokit.align.align_text` takes.
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
        return _word_spans(
            words,
            [(t.word, float(t.start), float(t.end)) for t in timings],
            window.start_ms,
            window.start_ms + len(chunk) * 1000 // SAMPLE_RATE,
        )


@contextmanager
def _progress_reporting(wt: Any, progress: Progress | None) -> Iterator[None]:
    """Route whisper's tqdm progress (frames decoded) to a callback instead of the terminal."""
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
            self._done += int(n or 0)
            progress(min(1.0, self._done / self._total))  # type: ignore[misc]
            return None

    shim = type("tqdm_shim", (), {"tqdm": _Bar})
    original = wt.tqdm
    wt.tqdm = shim
    try:
        yield
    finally:
        wt.tqdm = original


@dataclass
class _Clock:
    """Keeps word times monotonic and inside the audio; whisper's can step back at segment edges."""

    duration_ms: int
    last_ms: int = 0
    words: list[Word] = field(default_factory=list)

    def word(self, text: str, start: float, end: float, probability: float) -> Word:
        s = min(max(round(start * 1000), self.last_ms), self.duration_ms)
        e = min(max(round(end * 1000), s), self.duration_ms)
        self.last_ms = s
        # Rounded here as in transcript.json, so a draft read back equals the one computed.
        return Word(text, s, e, round(float(probability), 4))


def _clean(text: str) -> str:
    # A token boundary inside a multi-byte letter decodes as U+FFFD; never show that to a viewer.
    return text.replace("\ufffd", "")


def _segments(raw: list[dict[str, Any]], duration_ms: int) -> Iterator[Segment]:
    clock = _Clock(duration_ms)
    for seg in raw:
        words = tuple(
            clock.word(_clean(w["word"]), w["start"], w["end"], w.get("probability", 1.0))
            for w in seg.get("words", [])
            if _clean(w["word"]).strip()
        )
        if not words and not seg["text"].strip():
            continue
        start = words[0].start_ms if words else min(round(seg["start"] * 1000), duration_ms)
        end = max([w.end_ms for w in words] + [min(round(seg["end"] * 1000), duration_ms), start])
        yield Segment(
            start_ms=start,
            end_ms=end,
            text=_clean(seg["text"]),
            words=words,
            avg_logprob=round(float(seg.get("avg_logprob", 0.0)), 4),
            no_speech_prob=round(float(seg.get("no_speech_prob", 0.0)), 4),
            compression_ratio=round(float(seg.get("compression_ratio", 1.0)), 4),
        )


def _word_spans(
    words: Sequence[str], timings: Sequence[tuple[str, float, float]], offset_ms: int, limit_ms: int
) -> list[Span] | None:
    """Map whisper's words (its own boundaries, times in s from the window start) onto ``words``.

    Both sides spell the same text, ``" w1 w2 ..."``; whisper may cut it elsewhere (punctuation
    alone, a word split at a letter it cannot decode). Each of our words starts when whisper's word
    holding its first letter starts and ends when the one holding its last letter ends.
    """
    owner = [k for k, (text, _, _) in enumerate(timings) for _ in text]
    if not owner:
        return None
    length = sum(len(w) + 1 for w in words)
    # If decoding changed the spelling (it should not), positions still map proportionally.
    scale = len(owner) / length

    def at(pos: int) -> tuple[str, float, float]:
        return timings[owner[min(len(owner) - 1, int(pos * scale))]]

    spans: list[Span] = []
    pos = 0
    floor = offset_ms
    for w in words:
        first, last = at(pos + 1), at(pos + len(w))
        pos += len(w) + 1
        start = min(max(offset_ms + round(first[1] * 1000), floor), limit_ms)
        end = min(max(offset_ms + round(last[2] * 1000), start), limit_ms)
        spans.append((start, end))
        floor = start
    return spans
