"""The ASR adapter: the only module that imports whisper and torch, and only when called.

It turns Whisper's result dictionaries into :class:`~videokit.transcript.Transcript` values (times in
integer milliseconds, words monotonic and inside the audio) and reports decoding progress through a
callback, so callers never see Whisper's own types.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

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
    beam_size: int | None = None  # None = greedy; beam search costs ~4x on CPU for little gain here
    # Fallback breaks loops; three steps instead of whisper's six because synthetic or noisy audio
    # falls through every step and each costs a full decode.
    temperature: tuple[float, ...] = (0.0, 0.4, 0.8)
    condition_on_previous_text: bool = True
    hallucination_silence_threshold: float | None = 2.0
    no_speech_threshold: float = 0.6
    initial_prompt: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["temperature"] = list(self.temperature)
        return d


def save_checkpoint(
    dims: dict[str, int], state: dict[str, np.ndarray], path: Path, *, alignment_heads: bytes
) -> None:
    """Write an openai-whisper checkpoint, after proving it loads strictly into Whisper."""
    import torch
    import whisper.model as wm

    tensors = {k: torch.from_numpy(np.array(v, dtype=np.float16)) for k, v in state.items()}
    model = wm.Whisper(wm.ModelDimensions(**dims))
    # strict=True: a missing or extra name means the mapping is wrong, not "close enough".
    missing, unexpected = model.load_state_dict(tensors, strict=True)
    if missing or unexpected:  # pragma: no cover - strict load raises first
        raise ModelError(f"conversion incomplete: missing {missing}, unexpected {unexpected}")
    model.set_alignment_heads(alignment_heads)
    torch.save({"dims": dims, "model_state_dict": tensors}, path)


def download_official(name: str, root: Path) -> Path:
    """Fetch an official model with openai-whisper's own downloader (it verifies the SHA-256)."""
    import whisper

    try:
        return Path(str(whisper._download(whisper._MODELS[name], str(root), in_memory=False)))
    except (OSError, RuntimeError) as err:
        raise ModelError(f"download of Whisper {name!r} failed: {err}", path=root,
                         hint="check the internet connection and retry") from None


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
            raise ModelError(f"could not load model: {err}", path=spec.path,
                             hint="delete the file and pull the model again") from None
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
                    self.model, audio.astype(np.float32), task="transcribe", word_timestamps=True,
                    fp16=self.device == "cuda", verbose=None, **kwargs,
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
