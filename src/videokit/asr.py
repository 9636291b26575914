"""The ASR adapter: the only module that imports whisper and torch, and only when called.

It turns Whisper's result dictionaries into :class:`~videokit.transcript.Transcript` values (times in
integer milliseconds, words monotonic and inside the audio) and reports decoding progress through a
callback, so callers never see Whisper's own types.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import hardware
from .align import Span, Window
from .audio import SAMPLE_RATE
from .errors import ModelError, TranscriptionError, VideokitError
from .models import ModelSpec
from .transcript import Segment, Transcript, Unread, Word
from .windows import DEFAULT_PAUSES, Pauses, lanes, unread_stretches, windows

if TYPE_CHECKING:  # pragma: no cover
    import whisper

Progress = Callable[[float], None]

DRAW_SEED = 0  # where the temperature fallback's sampling starts (see _draws_fixed)


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


DEFAULT_OPTIONS = DecodeOptions()


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


@dataclass(frozen=True, eq=False)
class AudioJob:
    """One recording for :meth:`WhisperASR.transcribe_many`: 16 kHz mono samples and its options."""

    audio: np.ndarray
    options: DecodeOptions = DecodeOptions()
    source_sha256: str = ""
    path: Path | None = None


def transcript_of(
    job: AudioJob,
    raw: list[dict[str, Any]],
    model_id: str,
    unread: Sequence[Unread] = (),
) -> Transcript:
    """The draft of one recording from a recogniser's segment dicts (either engine)."""
    duration_ms = round(len(job.audio) * 1000 / SAMPLE_RATE)
    return Transcript(
        language=job.options.language,
        duration_ms=duration_ms,
        segments=tuple(segments_from_whisper(raw, duration_ms)),
        model=model_id,
        source_sha256=job.source_sha256,
        options=job.options.to_dict(),
        unread=tuple(sorted(unread, key=lambda u: u.start_ms)),
    )


class WhisperASR:
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
        _group_cross_attention(self.model)
        if self.device == "cpu":
            _logits_layout(self.model)
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
        options: DecodeOptions = DecodeOptions(),
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
            with self._lock, _draws_fixed(self.device):
                return self._transcribe_batched(jobs, progress)
        except VideokitError:
            raise
        except Exception as err:
            path = jobs[0].path if len(jobs) == 1 else None
            raise TranscriptionError(f"Whisper failed: {err}", path=path) from err

    def transcribe_sequential(
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
        budget = _Budget(WINDOW_ATTEMPTS * len(options.temperature), duration_ms, clips)
        try:
            with (
                self._lock,
                _draws_fixed(self.device),
                budget.watching(wt),
                _progress_reporting(wt, progress, budget),
                _decoding_once(self.model, budget),
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

    # --- batched decoding ------------------------------------------------------------------------

    def _transcribe_batched(
        self, jobs: Sequence[AudioJob], progress: Progress | None
    ) -> list[Transcript]:
        import torch

        plans = [reading_plan(job.audio) for job in jobs]
        cuts = [cut for cut, _ in plans]
        size = self.plan(jobs[0].options).batch_size if jobs else 1
        shares = lanes(
            [len(c) for c in cuts], [j.options.condition_on_previous_text for j in jobs], size
        )
        # Each lane: its windows in order, and the text read so far (whisper's prompt).
        queue: list[list[_Piece]] = []
        for j, (windows_of_job, counts) in enumerate(zip(cuts, shares)):
            rest = [_Piece(j, start, end) for start, end in windows_of_job]
            for n in counts:
                queue.append(rest[:n])
                rest = rest[n:]
        opening = [self._opening(jobs[lane[0].job].options) for lane in queue]
        history = [list(tokens) for tokens in opening]
        found: dict[int, list[dict[str, Any]]] = {j: [] for j in range(len(jobs))}
        total, done = sum(map(len, queue)), 0
        with torch.no_grad():
            for step in itertools.count():
                ready = [k for k, lane in enumerate(queue) if step < len(lane)]
                if not ready:
                    break
                for options, chunk in _batches(ready, queue, jobs, history, size):
                    pieces = [queue[k][step] for k in chunk]
                    audios = [jobs[p.job].audio[p.start : p.end] for p in pieces]
                    width = min(len(history[k]) for k in chunk)
                    prompts = [history[k][len(history[k]) - width :] for k in chunk]
                    decoded = self._decode_windows(audios, options, prompts)
                    for k, piece, (segments, temperature) in zip(chunk, pieces, decoded):
                        offset = piece.start / SAMPLE_RATE
                        found[piece.job].extend(_shift(seg, offset) for seg in segments)
                        if not options.condition_on_previous_text or temperature > 0.5:
                            # As transcribe() does: text read at a high temperature is no
                            # context to trust; the glossary prompt stays.
                            history[k] = list(opening[k])
                        else:
                            read = [t for seg in segments for t in seg["tokens"]]
                            history[k] = (history[k] + read)[-PROMPT_TOKENS:]
                    done += len(chunk)
                    if progress is not None:
                        progress(done / total)
        if progress is not None and not total:
            progress(1.0)
        return [
            transcript_of(
                job,
                sorted(found[j], key=lambda seg: float(seg["start"])),
                self.spec.cache_id,
                plans[j][1],
            )
            for j, job in enumerate(jobs)
        ]

    def _opening(self, options: DecodeOptions) -> list[int]:
        """The glossary prompt's tokens, which every window of the recording is given."""
        if not options.initial_prompt:
            return []
        tokens: list[int] = self._tokenizer(options.language).encode(
            " " + options.initial_prompt.strip()
        )
        return tokens[-PROMPT_TOKENS:]

    def _decode_windows(
        self, audios: Sequence[np.ndarray], options: DecodeOptions, prompts: Sequence[list[int]]
    ) -> list[tuple[list[dict[str, Any]], float]]:
        """Decode windows (each at most 30 s) together; segments and words in window time.

        ``prompts`` (one per window, all as long) is the text each window follows. Returns each
        window's segments and the temperature its text was read at.
        """
        import torch
        from whisper.audio import HOP_LENGTH, N_FRAMES, N_SAMPLES, log_mel_spectrogram, pad_or_trim

        n_mels = self.model.dims.n_mels
        # As whisper's transcribe() does: the mel of the window with 30 s of silence after it,
        # cut to the window and padded with zeros in the mel domain.
        mels = torch.stack(
            [
                pad_or_trim(
                    log_mel_spectrogram(torch.from_numpy(a.astype(np.float32)), n_mels, N_SAMPLES)[
                        :, : len(a) // HOP_LENGTH
                    ],
                    N_FRAMES,
                )
                for a in audios
            ]
        ).to(self.model.device)
        tokenizer = self._tokenizer(options.language)
        results = self._decode_with_fallback(mels, options, tokenizer, prompts)
        thresholds = _thresholds()
        segments: list[list[dict[str, Any]]] = []
        for audio, result in zip(audios, results):
            silent = (
                result.no_speech_prob > options.no_speech_threshold
                and result.avg_logprob <= thresholds["logprob_threshold"]
            )
            length_s = len(audio) / SAMPLE_RATE
            segments.append([] if silent else _window_segments(result, tokenizer, length_s))
        rows = [
            [t for seg in segs for t in seg["tokens"] if t < tokenizer.eot] for segs in segments
        ]
        features = torch.stack([r.audio_features for r in results])
        frames = [min(len(a), N_SAMPLES) // HOP_LENGTH for a in audios]
        for segs, timings in zip(segments, self._word_timings(tokenizer, rows, features, frames)):
            _place_words(segs, timings, tokenizer.eot)
        return [(segs, float(r.temperature)) for segs, r in zip(segments, results)]

    def _tokenizer(self, language: str) -> Any:
        from whisper.tokenizer import get_tokenizer

        return get_tokenizer(
            self.model.is_multilingual,
            num_languages=self.model.num_languages,
            language=language,
            task="transcribe",
        )

    def _decode_with_fallback(
        self, mels: Any, options: DecodeOptions, tokenizer: Any, prompts: Sequence[list[int]]
    ) -> list[Any]:
        """whisper's temperature fallback, window by window: only failed windows are decoded again."""
        import torch
        from whisper.decoding import DecodingOptions

        thresholds = _thresholds()
        width = len(prompts[0]) if prompts else 0
        # whisper takes one prompt for the whole batch: give it one of the right length, and the
        # task puts each window's own prompt in its place (see _batch_task).
        rows = torch.tensor(prompts, dtype=torch.long).reshape(len(prompts), width)
        results: list[Any] = [None] * len(mels)
        todo = list(range(len(mels)))
        # Encoder output and cross-attention projections do not depend on the temperature: made
        # once here, a window decoded again only pays for the decoder.
        features, cross = _encode(self.model, mels, self.fp16)
        for temperature in options.temperature:
            decoding = DecodingOptions(
                task="transcribe",
                language=options.language,
                temperature=temperature,
                # As in transcribe(): beams at temperature 0, one sample above it.
                beam_size=options.beam_size if temperature == 0 else None,
                prompt=list(prompts[0]) if width else None,
                fp16=self.fp16,
            )
            task = _batch_task(
                self.model, decoding, {p: t[todo] for p, t in cross.items()}, rows[todo]
            )
            for i, result in zip(todo, task.run(features[todo])):
                results[i] = result
            todo = [i for i in todo if _needs_fallback(results[i], options, thresholds)]
            if not todo:
                break
        return results

    def _word_timings(
        self, tokenizer: Any, rows: Sequence[list[int]], features: Any, frames: Sequence[int]
    ) -> list[list[Any]]:
        """whisper's find_alignment for a batch of windows, on the encoder output already computed.

        One decoder pass over every window's text (padded at the end, which a causal decoder
        cannot see from earlier positions) keeps the cross-attention of the alignment heads; the
        dynamic time warping then runs per window as in ``whisper.timing``.
        """
        import torch
        from whisper.model import disable_sdpa
        from whisper.timing import WordTiming, dtw, median_filter

        out: list[list[Any]] = [[] for _ in rows]
        live = [i for i, row in enumerate(rows) if row]
        if not live:
            return out
        sot = list(tokenizer.sot_sequence)
        seqs = [[*sot, tokenizer.no_timestamps, *rows[i], tokenizer.eot] for i in live]
        width = max(map(len, seqs))
        tokens = torch.tensor([s + [tokenizer.eot] * (width - len(s)) for s in seqs])
        heads = [(int(layer), int(head)) for layer, head in self.model.alignment_heads.indices().T]
        wanted: dict[int, list[int]] = {}
        for layer, head in heads:
            wanted.setdefault(layer, []).append(head)
        kept: dict[int, Any] = {}
        hooks = [
            block.cross_attn.register_forward_hook(
                lambda _m, _i, outs, layer=layer: kept.__setitem__(
                    layer, outs[-1][:, wanted[layer]]
                )
            )
            for layer, block in enumerate(self.model.decoder.blocks)
            if layer in wanted
        ]
        try:
            with disable_sdpa():
                logits = self.model.decoder(tokens.to(features.device), features[live])
        finally:
            for hook in hooks:
                hook.remove()
        weights = torch.stack([kept[layer][:, wanted[layer].index(h)] for layer, h in heads], 1)
        for k, i in enumerate(live):
            row, n = rows[i], len(seqs[k])
            w = weights[k, :, :n, : frames[i] // 2].float().softmax(dim=-1)
            std, mean = torch.std_mean(w, dim=-2, keepdim=True, unbiased=False)
            matrix = median_filter((w - mean) / std, 7).mean(axis=0)[len(sot) : -1]
            text_indices, time_indices = dtw(-matrix)
            probs = logits[k, len(sot) : len(sot) + len(row), : tokenizer.eot].float().softmax(-1)
            token_probs = probs[np.arange(len(row)), row].tolist()
            words, word_tokens = tokenizer.split_to_word_tokens([*row, tokenizer.eot])
            if len(word_tokens) <= 1:
                continue
            bounds = np.pad(np.cumsum([len(t) for t in word_tokens[:-1]]), (1, 0))
            jumps = np.pad(np.diff(text_indices), (1, 0), constant_values=1).astype(bool)
            jump_times = time_indices[jumps] * HOP_SECONDS * 2
            out[i] = [
                WordTiming(word, toks, float(jump_times[a]), float(jump_times[b]), p)
                for word, toks, a, b, p in zip(
                    words,
                    word_tokens,
                    bounds[:-1],
                    bounds[1:],
                    [float(np.mean(token_probs[a:b])) for a, b in itertools.pairwise(bounds)],
                )
            ]
        return out

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
def _progress_reporting(
    wt: Any, progress: Progress | None, budget: _Budget | None = None
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


def segments_from_whisper(raw: list[dict[str, Any]], duration_ms: int) -> Iterator[Segment]:
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


# --- batched decoding: helpers ---------------------------------------------------------------------

HOP_SECONDS = 0.01  # whisper's mel hop (160 samples at 16 kHz); one audio token is two hops
PROMPT_TOKENS = 223  # whisper keeps the last n_text_ctx // 2 - 1 tokens of the text before


def _batches(
    ready: Sequence[int],
    queue: Sequence[Sequence[_Piece]],
    jobs: Sequence[AudioJob],
    history: Sequence[Sequence[int]],
    size: int,
) -> Iterator[tuple[DecodeOptions, list[int]]]:
    """The lanes whose next window can share a batch: the same decoding options, and prompts cut
    to one length. Lanes with no text before them go apart (a prompt cut to nothing would lose
    every other lane's context); the rest longest history first, so a cut costs little.
    """
    groups: dict[tuple[DecodeOptions, bool], list[int]] = {}
    for k in ready:
        groups.setdefault((jobs[queue[k][0].job].options, bool(history[k])), []).append(k)
    for (options, _), members in groups.items():
        members.sort(key=lambda k: -len(history[k]))
        for first in range(0, len(members), size):
            yield options, members[first : first + size]


@dataclass(frozen=True)
class _Piece:
    job: int
    start: int  # samples
    end: int


def unread_parts(audio: np.ndarray, pauses: Pauses = DEFAULT_PAUSES) -> list[tuple[int, int]]:
    """Long stretches of ``audio`` with no speech, in ms (:func:`videokit.windows.unread_stretches`)."""
    from . import vad

    probabilities = vad.speech_probabilities(audio)
    if probabilities is None:
        return []
    duration_ms = round(len(audio) * 1000 / SAMPLE_RATE)  # the detector pads the last frame
    return [
        (a, min(b, duration_ms))
        for a, b in unread_stretches(probabilities, vad.FRAME_MS, pauses)
        if a < duration_ms
    ]


def reading_plan(
    audio: np.ndarray, pauses: Pauses = DEFAULT_PAUSES
) -> tuple[list[tuple[int, int]], list[Unread]]:
    """Where :func:`videokit.windows.windows` cuts ``audio`` (in samples), and what it leaves
    unread because there is no speech in it."""
    from .media import window_peaks_dbfs

    levels = window_peaks_dbfs(audio, pauses.frame_ms)
    unread = unread_parts(audio, pauses)
    per_ms = SAMPLE_RATE // 1000
    cuts = [
        (a * per_ms, min(len(audio), b * per_ms))
        for a, b in windows(levels, pauses, unread)
        if a * per_ms < len(audio)
    ]
    return cuts, [Unread(a, b) for a, b in unread]


def spoken_plan(audio: np.ndarray) -> tuple[list[Unread], list[tuple[int, int]]]:
    """For an engine that reads a recording front to back: what it leaves unread, and the
    stretches (ms) it is given instead (the rest)."""
    duration_ms = round(len(audio) * 1000 / SAMPLE_RATE)
    unread = [Unread(a, b) for a, b in unread_parts(audio)]
    return unread, complement([(u.start_ms, u.end_ms) for u in unread], duration_ms)


def complement(spans: Sequence[tuple[int, int]], end: int) -> list[tuple[int, int]]:
    """The parts of ``0..end`` outside ``spans`` (ordered, disjoint)."""
    out, at = [], 0
    for a, b in spans:
        if a > at:
            out.append((at, a))
        at = max(at, b)
    if at < end:
        out.append((at, end))
    return out


def clip_timestamps(spans: Sequence[tuple[int, int]], duration_ms: int) -> list[float]:
    """``spans`` (ms) as whisper's ``clip_timestamps`` (seconds, start, end, start, ...): a last
    span that runs to the end leaves its end out, so whisper reads to its own last frame."""
    stamps = [t / 1000 for a, b in spans for t in (a, b)]
    if spans and spans[-1][1] >= duration_ms:
        stamps.pop()
    return stamps


# A window of the recording may be decoded this many times per fallback temperature before it is
# skipped as unreadable. Speech needs one or two reads of each 30 s (more where whisper re-reads
# around pauses); Whisper on noise was seen re-reading a window 30 times, one second further each
# time, and spending 52 minutes on under 2 minutes of a room's noise.
WINDOW_ATTEMPTS = 4


class _Budget:
    """Decoding attempts per 30 s of each decoded stretch, counted by where whisper's window starts.

    transcribe() slices the window it reads out of the whole recording's spectrogram; the slice's
    offset in that tensor is the window's start (in 10 ms frames), and its width the window's
    length, read as it is handed to ``pad_or_trim``. Past the budget, :func:`_decoding_once`
    answers "no speech", so transcribe() moves on by that window, which is reported as skipped.
    Counts start afresh in each of ``clips`` (ms), so a stretch after a costly one gets its own.
    """

    def __init__(
        self, attempts: int, duration_ms: int, clips: Sequence[tuple[int, int]] = ()
    ) -> None:
        self.attempts = max(1, attempts)
        self.duration_ms = duration_ms
        self.clip_starts = sorted(a // 10 for a, _ in clips) or [0]
        self.start_frame = 0
        self.size_frames = 3000
        self.spent: dict[tuple[int, int], int] = {}
        self.skipped: list[Unread] = []

    @contextmanager
    def watching(self, wt: Any) -> Iterator[None]:
        own = wt.pad_or_trim

        def pad_or_trim(array: Any, *args: Any, **kwargs: Any) -> Any:
            if getattr(array, "ndim", 0) == 2 and hasattr(array, "storage_offset"):
                self.start_frame = int(array.storage_offset())
                self.size_frames = int(array.shape[-1])
            return own(array, *args, **kwargs)

        wt.pad_or_trim = pad_or_trim
        try:
            yield
        finally:
            wt.pad_or_trim = own

    def bucket(self) -> tuple[int, int]:
        """The 30 s of its decoded stretch that the window being read starts in."""
        clip = max((c for c in self.clip_starts if c <= self.start_frame), default=0)
        return clip, (self.start_frame - clip) // 3000  # 10 ms frames

    def admit(self) -> bool:
        bucket = self.bucket()
        self.spent[bucket] = self.spent.get(bucket, 0) + 1
        if self.spent[bucket] <= self.attempts:
            return True
        start = min(self.start_frame * 10, self.duration_ms)
        end = min(start + self.size_frames * 10, self.duration_ms)
        if not self.skipped or self.skipped[-1].end_ms < start:
            self.skipped.append(Unread(start, end, "budget"))
        else:
            last = self.skipped[-1]
            self.skipped[-1] = Unread(last.start_ms, max(last.end_ms, end), "budget")
        return False


def _thresholds() -> dict[str, float]:
    """whisper's transcribe() defaults for the fallback, read from whisper rather than copied."""
    import importlib
    import inspect

    wt = importlib.import_module("whisper.transcribe")
    params = inspect.signature(wt.transcribe).parameters
    return {
        name: float(params[name].default)
        for name in ("compression_ratio_threshold", "logprob_threshold")
    }


def _needs_fallback(result: Any, options: DecodeOptions, thresholds: dict[str, float]) -> bool:
    """The test of whisper's decode_with_fallback: too repetitive or too unsure, but not silence."""
    low = result.avg_logprob < thresholds["logprob_threshold"]
    if result.no_speech_prob > options.no_speech_threshold and low:
        return False
    return bool(result.compression_ratio > thresholds["compression_ratio_threshold"] or low)


@contextmanager
def _draws_fixed(device: str) -> Iterator[None]:
    """The fallback's random draws start from the same seed for every transcription.

    Above temperature 0 whisper samples tokens. Without a fixed start, the same video, model
    and settings could give another draft each time the cache misses, and a draft would depend on
    what the process had drawn before; the cache key promises it does not. The caller's random
    state is put back afterwards.
    """
    import torch

    devices = [torch.device(device).index or 0] if device.startswith("cuda") else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(DRAW_SEED)
        yield


@contextmanager
def _decoding_once(model: Any, budget: _Budget | None = None) -> Iterator[None]:
    """whisper's transcribe() with each window encoded once and its prompt read once.

    transcribe() calls ``model.decode`` once per fallback temperature, and each call encodes the
    window again, projects its cross-attention keys and values for every beam, and reads the
    prompt (up to 223 tokens of the text before) once per beam, projecting every position onto
    the vocabulary. Its word timestamps then run the whole model on the window once more. Here
    ``model.decode`` is videokit's task (:func:`_batch_task`), which picks the same tokens, on an
    encoding made once per window, and the alignment finds that encoding too.
    """
    import torch
    from whisper.decoding import DecodingOptions, DecodingResult

    last: list[Any] = [None, None]  # the encoder output last projected, and its cross K/V

    @torch.no_grad()
    def decode(mel: Any, options: Any = None, **changes: Any) -> Any:
        options = options or DecodingOptions()  # whisper's decode() signature
        if changes:
            options = replace(options, **changes)
        if budget is not None and mel.ndim == 2 and not budget.admit():
            # What transcribe() takes for silence: it skips the window and reads the next one.
            return DecodingResult(
                audio_features=mel,
                language=options.language or "",
                tokens=[],
                text="",
                avg_logprob=-math.inf,
                no_speech_prob=1.0,
                temperature=options.temperature,
                compression_ratio=0.0,
            )
        mels = mel[None] if mel.ndim == 2 else mel
        # transcribe() hands the same window for every temperature: the encoder answers it from
        # memory (_encoding_once), the same object, so its projections are made once too.
        features = model.encoder(mels.half() if options.fp16 else mels)
        if last[0] is not features:
            last[:] = [features, cross_attention_inputs(model, features)]
        results = _batch_task(model, options, last[1]).run(features)
        return results[0] if mel.ndim == 2 else results

    model.decode = decode
    try:
        with _encoding_once(model.encoder):
            yield
    finally:
        del model.decode  # whisper's own method again


@contextmanager
def _encoding_once(encoder: Any) -> Iterator[None]:
    """The encoder answers a window it has just encoded from memory.

    find_alignment (word timestamps) runs the whole model on the window that was just decoded:
    11 s of a 67 s profile of the samples (base, 2 CPU cores). The window is known by its
    address, shape and version counter: a view of the same unchanged values, never values that
    merely look alike. The last input is held, so its memory cannot be handed to another tensor
    meanwhile.
    """
    own = encoder.forward
    last: list[Any] = [None, None, None]  # the input, its key when encoded, the output

    def key(mels: Any) -> tuple[Any, ...]:
        return (mels.data_ptr(), tuple(mels.shape), mels.stride(), mels.dtype, mels._version)

    def forward(mels: Any) -> Any:
        if last[1] != key(mels):
            last[:] = [mels, key(mels), own(mels)]
        return last[2]

    encoder.forward = forward
    try:
        yield
    finally:
        del encoder.forward


def _encode(model: Any, mels: Any, fp16: bool) -> tuple[Any, dict[Any, Any]]:
    """Windows' encoder output and cross-attention inputs, which no decoding temperature changes."""
    features = model.encoder(mels.half() if fp16 else mels)
    return features, cross_attention_inputs(model, features)


def cross_attention_inputs(model: Any, features: Any) -> dict[Any, Any]:
    """Each decoder layer's cross-attention keys and values, one row per window (not per beam)."""
    return {
        p: p(features)
        for block in model.decoder.blocks
        for p in (block.cross_attn.key, block.cross_attn.value)
    }


def _group_cross_attention(model: Any) -> None:
    """Let the beams of a window attend to that window's keys and values, held once.

    With the keys and values of ``n`` windows and the queries of ``n * beams`` rows (window after
    window), the beams' queries become extra query positions of their window: cross-attention has
    no mask, so each query still sees exactly its window. Holding the audio side once instead of
    once per beam cuts the memory read per decoding step by the beam size, which on a CPU is
    where most of a step's time went. Any other call (equal batches) is whisper's own.
    """
    for block in model.decoder.blocks:
        attn = block.cross_attn
        own = attn.qkv_attention

        def grouped(q: Any, k: Any, v: Any, mask: Any = None, own: Any = own) -> tuple[Any, Any]:
            rows, windows = q.shape[0], k.shape[0]
            if rows == windows or rows % windows:
                out, qk = own(q, k, v, mask)
                return out, qk
            n, width = q.shape[1], q.shape[2]
            out, qk = own(q.reshape(windows, rows // windows * n, width), k, v, mask)
            return out.reshape(rows, n, out.shape[-1]), qk

        attn.qkv_attention = grouped


def _prompt_logits(decoder: Any, tokens: Any, audio: Any, kv_cache: Any, sot: int) -> Any:
    """whisper's first decoder pass, with logits only where they are read: at ``sot`` and the end.

    The pass runs over the whole prompt (up to 223 tokens of the text before); projecting every
    position onto the 51,865-token vocabulary was wasted on all but two. Measured on the
    10-minute clip (base, CPU, lanes with context): 246 s and 3.3 GB peak before, 206 s and 2.5 GB
    after.
    """
    x = decoder.token_embedding(tokens) + decoder.positional_embedding[: tokens.shape[-1]]
    x = x.to(audio.dtype)
    for block in decoder.blocks:
        x = block(x, audio, mask=decoder.mask, kv_cache=kv_cache)
    x = decoder.ln(x[:, [sot, tokens.shape[-1] - 1]])
    return (x @ decoder.token_embedding.weight.to(x.dtype).t()).float()


def _logits_layout(model: Any) -> None:
    """Store the token embedding column-major, so the logits product reads it in order.

    Every decoding step multiplies by the transposed embedding (n_vocab x n_state); with the
    transpose contiguous, CPU matrix products took 17 % less time for 20 rows (base, 2 cores).
    Same values, same memory; lookups of the embedding still work on the strided view.
    """
    weight = model.decoder.token_embedding.weight
    weight.data = weight.data.t().contiguous().t()


_TASK_CLASS: list[Any] = []


def _batch_task(model: Any, options: Any, cross: dict[Any, Any], prompts: Any = None) -> Any:
    """whisper's DecodingTask, fixed for beam search over more than one window.

    whisper 20250625 gives each window's audio features once to its ``beam_size`` token rows,
    which only broadcasts for a single window; here every row gets its own copy. ``cross`` holds
    the cross-attention keys and values of each window (once per window, not per beam, see
    :func:`_group_cross_attention`); the run reads ``mel`` as encoded audio. ``prompts`` (a
    tensor, one row per window, as long as ``options.prompt``) replaces the prompt of each
    window's rows, so windows that follow different text share a batch. Beam bookkeeping
    reads the scores once per step instead of once per candidate (the same choices; on a GPU the
    per-candidate reads were one device sync each).
    """
    if not _TASK_CLASS:
        import torch
        import torch.nn.functional as F
        from whisper.decoding import BeamSearchDecoder, DecodingTask, PyTorchInference

        class _Inference(PyTorchInference):  # type: ignore[misc]
            cross: dict[Any, Any]  # set by _Task
            sot_index: int
            group: int  # token rows per window

            def logits(self, tokens: Any, audio_features: Any) -> Any:
                if not self.kv_cache:  # type: ignore[has-type]
                    # The cross-attention keys and values of each window, projected once for all
                    # its beams and all fallback temperatures (see cross_attention_inputs). The
                    # decoder reads its position from the first cache entry, so the (still
                    # empty) self-attention entries go first. The rows of a window are alike
                    # until the first token is chosen: the prompt is read once per window, then
                    # each row gets its copy of the cache.
                    group = self.group
                    blocks = self.model.decoder.blocks
                    state = self.model.dims.n_text_state
                    empty = audio_features.new_zeros((tokens.shape[0] // group, 0, state))
                    cache = {p: empty for b in blocks for p in (b.attn.key, b.attn.value)}
                    cache.update(self.cross)
                    self.kv_cache, self.hooks = self.model.install_kv_cache_hooks(cache)
                    logits = _prompt_logits(
                        self.model.decoder,
                        tokens[::group],
                        audio_features[::group],
                        self.kv_cache,
                        self.sot_index,
                    )
                    for module in self.kv_modules:
                        self.kv_cache[module] = self.kv_cache[module].repeat_interleave(group, 0)
                    return logits.repeat_interleave(group, 0)
                return super().logits(tokens, audio_features)

            def keep(self, rows: list[int], windows: list[int]) -> None:
                """Only these token rows, and these windows' audio, go on decoding."""
                for module in self.kv_modules:
                    self.kv_cache[module] = self.kv_cache[module][rows]
                for module in self.cross:
                    self.kv_cache[module] = self.kv_cache[module][windows]

        class _Beams(BeamSearchDecoder):  # type: ignore[misc]
            live: list[int]  # set by _Task._main_loop: the windows of the rows, in order

            def windows_done(self) -> list[int]:
                """Positions (in ``live``) of the windows that have all their candidates."""
                kept = self.finished_sequences  # type: ignore[has-type]
                return [p for p, w in enumerate(self.live) if len(kept[w]) >= self.max_candidates]

            def update(self, tokens: Any, logits: Any, sum_logprobs: Any) -> tuple[Any, bool]:
                beams = self.beam_size
                n_audio = tokens.shape[0] // beams
                kept: list[dict[tuple[int, ...], float]] | None = self.finished_sequences  # type: ignore[has-type]
                if kept is None:
                    kept = [{} for _ in range(n_audio)]
                    self.finished_sequences = kept
                top_lp, top_ids = F.log_softmax(logits.float(), dim=-1).topk(beams + 1)
                scores_all = (sum_logprobs.unsqueeze(1) + top_lp).tolist()
                top_tok, prefixes = top_ids.tolist(), tokens.tolist()
                next_tokens, sources, new_sums, finished_now = [], [], [], []
                for i in range(n_audio):
                    scores: dict[tuple[int, ...], float] = {}
                    origin: dict[tuple[int, ...], int] = {}
                    for idx in range(i * beams, (i + 1) * beams):
                        for lp, tok in zip(scores_all[idx], top_tok[idx]):
                            seq = (*prefixes[idx], tok)
                            scores[seq], origin[seq] = lp, idx
                    finished, saved = {}, 0
                    for seq in sorted(scores, key=scores.__getitem__, reverse=True):
                        if seq[-1] == self.eot:
                            finished[seq] = scores[seq]
                        else:
                            new_sums.append(scores[seq])
                            next_tokens.append(seq)
                            sources.append(origin[seq])
                            saved += 1
                            if saved == beams:
                                break
                    finished_now.append(finished)
                sum_logprobs[: len(new_sums)] = torch.tensor(new_sums, device=sum_logprobs.device)
                tokens = torch.tensor(next_tokens, device=tokens.device)
                self.inference.rearrange_kv_cache(sources)
                for window, new in zip(self.live, finished_now):
                    before = kept[window]
                    for seq in sorted(new, key=new.__getitem__, reverse=True):
                        if len(before) >= self.max_candidates:
                            break
                        before[seq] = new[seq]
                done = all(len(s) >= self.max_candidates for s in kept)
                return tokens, done

        class _Task(DecodingTask):  # type: ignore[misc]
            def __init__(
                self, model: Any, options: Any, cross: dict[Any, Any], prompts: Any
            ) -> None:
                super().__init__(model, options)
                self.inference = _Inference(model, len(self.initial_tokens))
                self.inference.cross = cross
                self.inference.sot_index = self.sot_index
                self.inference.group = self.n_group
                self.prompts = prompts
                if options.beam_size is not None:
                    self.decoder = _Beams(
                        options.beam_size, self.tokenizer.eot, self.inference, options.patience
                    )

            def _get_audio_features(self, mel: Any) -> Any:
                return super()._get_audio_features(mel).repeat_interleave(self.n_group, dim=0)

            def _main_loop(self, audio_features: Any, tokens: Any) -> tuple[Any, Any, list[float]]:
                """whisper's loop, but a window whose decoding is over leaves the batch.

                Its rows would otherwise be decoded to the end of the longest window (measured
                on the samples: 29 % of a CPU batch's work at four windows, 40 % at eight).
                The rows come back at the end, in place, as whisper's ``run`` expects them.
                """
                group, eot = self.n_group, self.tokenizer.eot
                rows = tokens.shape[0]
                if self.prompts is not None and self.prompts.shape[1]:
                    # After <|startofprev|>: each window's own text before it.
                    width = self.prompts.shape[1]
                    tokens[:, 1 : 1 + width] = self.prompts.repeat_interleave(group, 0)
                live = list(range(rows // group))
                if isinstance(self.decoder, _Beams):
                    self.decoder.live = live
                sums = torch.zeros(rows, device=audio_features.device)
                left: dict[int, tuple[list[int], float]] = {}  # row: its tokens and score
                no_speech: list[float] = [float("nan")] * rows
                try:
                    for i in range(self.sample_len):
                        logits = self.inference.logits(tokens, audio_features)
                        if i == 0 and self.tokenizer.no_speech is not None:
                            # The first pass gives logits at <|startoftranscript|> and the end.
                            at_sot = logits[:, 0].float().softmax(dim=-1)
                            no_speech = at_sot[:, self.tokenizer.no_speech].tolist()
                        logits = logits[:, -1]
                        for logit_filter in self.logit_filters:
                            logit_filter.apply(logits, tokens)
                        tokens, completed = self.decoder.update(tokens, logits, sums)
                        if completed or tokens.shape[-1] > self.n_ctx:
                            break
                        if isinstance(self.decoder, _Beams):
                            done = self.decoder.windows_done()
                        else:
                            ended = (tokens[:, -1] == eot).view(len(live), group).all(dim=1)
                            done = ended.nonzero().flatten().tolist()
                        if not done:
                            continue
                        gone = set(done)
                        stay = [p for p in range(len(live)) if p not in gone]
                        stay_rows = [p * group + g for p in stay for g in range(group)]
                        for p in done:
                            for g in range(group):
                                row = p * group + g
                                left[live[p] * group + g] = (tokens[row].tolist(), float(sums[row]))
                        tokens, sums = tokens[stay_rows], sums[stay_rows]
                        self.inference.keep(stay_rows, stay)
                        live[:] = [live[p] for p in stay]
                finally:
                    self.inference.cleanup_caching()
                for k, row in enumerate(tokens.tolist()):
                    left[live[k // group] * group + k % group] = (row, float(sums[k]))
                width = max(len(t) for t, _ in left.values())
                full = [left[r][0] + [eot] * (width - len(left[r][0])) for r in range(rows)]
                return (
                    torch.tensor(full, device=audio_features.device),
                    torch.tensor([left[r][1] for r in range(rows)], device=audio_features.device),
                    no_speech,
                )

            def _detect_language(self, audio_features: Any, tokens: Any) -> tuple[list[str], None]:
                return [self.options.language] * tokens.shape[0], None

        _TASK_CLASS.append(_Task)
    return _TASK_CLASS[0](model, options, cross, prompts)


def _window_segments(result: Any, tokenizer: Any, length_s: float) -> list[dict[str, Any]]:
    """Split one window's tokens into segments at whisper's paired timestamps.

    Unlike transcribe(), a window ends at a pause, so text after the last timestamp is kept (up to
    the window's end) instead of being read again in the next window.
    """
    tokens, begin = list(result.tokens), tokenizer.timestamp_begin
    stamp = [t >= begin for t in tokens]
    cuts = [i + 1 for i in range(len(tokens) - 1) if stamp[i] and stamp[i + 1]]
    out: list[dict[str, Any]] = []
    last = 0
    for cut in [*cuts, len(tokens)]:
        piece, last = tokens[last:cut], cut
        text = [t for t in piece if t < tokenizer.eot]
        if not text:
            continue
        start = (piece[0] - begin) * 2 * HOP_SECONDS if stamp[last - len(piece)] else 0.0
        end = (piece[-1] - begin) * 2 * HOP_SECONDS if piece[-1] >= begin else length_s
        start = min(start, length_s)
        out.append(
            {
                "start": start,
                "end": min(max(end, start), length_s),
                "text": tokenizer.decode(text),
                "tokens": piece,
                "avg_logprob": result.avg_logprob,
                "no_speech_prob": result.no_speech_prob,
                "compression_ratio": result.compression_ratio,
            }
        )
    return out


def _place_words(segments: list[dict[str, Any]], alignment: list[Any], eot: int) -> None:
    """Hand aligned words to their segments, as whisper's add_word_timestamps does for a window.

    Including its corrections: a word at a sentence boundary or after a pause is no longer than
    twice the median word, and segment edges follow the words.
    """
    from whisper.timing import merge_punctuations

    if not segments:
        return
    durations = np.array([t.end - t.start for t in alignment])
    durations = durations[durations.nonzero()]
    median = min(0.7, float(np.median(durations))) if len(durations) else 0.0
    longest = median * 2
    if len(durations):
        marks = ".。!！?？"
        for prev, t in itertools.pairwise(alignment):
            if t.end - t.start > longest:
                if t.word in marks:
                    t.end = t.start + longest
                elif prev.word in marks:
                    t.start = t.end - longest
    merge_punctuations(alignment, "\"'“¿([{-", "\"'.。,，!！?？:：”)]}、")
    index, last_speech = 0, 0.0  # a window starts after a pause
    for seg in segments:
        n_text, saved, words = sum(1 for t in seg["tokens"] if t < eot), 0, []
        while index < len(alignment) and saved < n_text:
            t = alignment[index]
            if t.word:
                words.append(
                    {"word": t.word, "start": t.start, "end": t.end, "probability": t.probability}
                )
            saved += len(t.tokens)
            index += 1
        seg["words"] = words
        if not words:
            continue
        first, last = words[0], words[-1]
        if first["end"] - last_speech > median * 4 and (
            first["end"] - first["start"] > longest
            or (len(words) > 1 and words[1]["end"] - first["start"] > longest * 2)
        ):
            if len(words) > 1 and words[1]["end"] - words[1]["start"] > longest:
                boundary = max(words[1]["end"] / 2, words[1]["end"] - longest)
                first["end"] = words[1]["start"] = boundary
            first["start"] = max(0, first["end"] - longest)
        if seg["start"] < first["end"] and seg["start"] - 0.5 > first["start"]:
            first["start"] = max(0, min(first["end"] - median, seg["start"]))
        else:
            seg["start"] = first["start"]
        if seg["end"] > last["start"] and seg["end"] + 0.5 < last["end"]:
            last["end"] = max(last["start"] + median, seg["end"])
        else:
            seg["end"] = last["end"]
        last_speech = seg["end"]


def _shift(segment: dict[str, Any], offset: float) -> dict[str, Any]:
    """A window's segment in recording time."""
    words = [
        {**w, "start": w["start"] + offset, "end": w["end"] + offset} for w in segment["words"]
    ]
    return {
        **segment,
        "start": segment["start"] + offset,
        "end": segment["end"] + offset,
        "words": words,
    }
