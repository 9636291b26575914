"""Which speech recogniser makes the draft, and how: the ``[asr]`` table of ``videokit.toml``.

Two engines give the same :class:`~videokit.transcript.Transcript`: openai-whisper (the default,
batched or one window after the other) and faster-whisper (CTranslate2, int8 on CPU). The settings
that change the words are part of the draft cache key (:meth:`AsrSettings.key`); where it runs and
how many windows go at once only change the speed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from .asr import AudioJob, DecodeOptions, Progress
    from .models import ModelSpec
    from .transcript import Transcript

ENGINES = ("openai-whisper", "faster-whisper")
DEVICES = ("auto", "cpu", "cuda")
COMPUTE_TYPES = ("auto", "int8", "int8_float16", "float16", "float32")


@dataclass(frozen=True)
class AsrSettings:
    engine: str = "openai-whisper"
    # False (the default): whisper's transcribe(), window after window, each conditioned on the
    # text before it: the best drafts, measured (bench/asr.py: 72.7 % vs 79.4 % WER on the
    # samples with base, the loss from the pause-cut windows). True: windows cut at pauses and
    # decoded side by side, in lanes that keep the text before where the batch allows: 1.4-1.7x
    # faster on 2 CPU cores (samples, fallback on), and what a GPU needs to be busy.
    batched: bool = False
    batch_size: int = 0  # windows per batch; 0: 8 on CPU, from free memory on a GPU
    device: str = "auto"  # a GPU when there is one
    compute_type: str = "auto"  # faster-whisper only: int8 on CPU, float16 on a GPU

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {self.engine!r}")
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {', '.join(DEVICES)}, not {self.device!r}")
        if self.compute_type not in COMPUTE_TYPES:
            raise ValueError(f"compute_type must be one of {', '.join(COMPUTE_TYPES)}")
        if not isinstance(self.batched, bool):
            raise ValueError("batched must be true or false")
        if (
            isinstance(self.batch_size, bool)
            or not isinstance(self.batch_size, int)
            or self.batch_size < 0
        ):
            raise ValueError("batch_size must be a whole number, 0 for automatic")

    @property
    def reads_videos_together(self) -> bool:
        """Whether one batch can hold windows of several videos (openai-whisper batched)."""
        return self.engine == "openai-whisper" and self.batched

    def key(self) -> dict[str, Any]:
        """What changes the words of a draft (device and batch size change only the speed)."""
        out: dict[str, Any] = {"engine": self.engine, "batched": self.batched}
        if self.engine == "faster-whisper":
            out["compute_type"] = self.compute_type
        return out


DEFAULT_ASR = AsrSettings()


class Engine(Protocol):
    """A loaded recogniser: what the draft step calls, whichever engine it is."""

    def transcribe(
        self,
        audio: np.ndarray,
        options: DecodeOptions = ...,
        *,
        source_sha256: str = "",
        progress: Progress | None = None,
        path: Path | None = None,
    ) -> Transcript: ...

    def transcribe_many(
        self, jobs: Sequence[AudioJob], *, progress: Progress | None = None
    ) -> list[Transcript]: ...


def load(
    spec: ModelSpec, settings: AsrSettings = DEFAULT_ASR, log: Callable[[str], None] = print
) -> Engine:
    """Load ``spec`` into the configured engine (one per process: the caller keeps it)."""
    device = None if settings.device == "auto" else settings.device
    batch = settings.batch_size or None
    if settings.engine == "faster-whisper":
        from .asr_ct2 import FasterWhisperASR
        from .models import ct2_dir

        return FasterWhisperASR(
            spec,
            ct2_dir(spec, log=log),
            device=device,
            compute_type=settings.compute_type,
            batched=settings.batched,
            batch_size=batch,
        )
    from .asr_whisper import WhisperASR

    return WhisperASR(spec, device, batched=settings.batched, batch_size=batch)
