"""The error hierarchy.

Every error videokit raises on purpose is a :class:`VideokitError`. It carries the file it is about,
the pipeline stage it happened in, and a hint that tells a person what to do. The run summary prints
exactly these three things, so a message must make sense on one line without a traceback.
"""

from __future__ import annotations

from pathlib import Path


class VideokitError(Exception):
    """Base of all expected failures: bad input, missing tools, missing models."""

    stage: str = "videokit"

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        stage: str | None = None,
        hint: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None
        if stage is not None:
            self.stage = stage
        self.hint = hint

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path is not None else ""
        hint = f" — {self.hint}" if self.hint else ""
        return f"{where}[{self.stage}] {self.message}{hint}"

    def __reduce__(self):  # type: ignore[no-untyped-def]
        # Prefect and multiprocessing pickle exceptions; keep the keyword-only data on the way.
        return (_rebuild, (type(self), self.message, self.path, self.stage, self.hint))


def _rebuild(
    cls: type[VideokitError], message: str, path: Path | None, stage: str, hint: str
) -> VideokitError:
    return cls(message, path=path, stage=stage, hint=hint)


class MediaError(VideokitError):
    """A file that ffmpeg cannot read, or that has no usable audio."""

    stage = "media"


class ToolMissingError(VideokitError):
    """An external program (ffmpeg, ffprobe, espeak-ng) is not installed."""

    stage = "setup"


class ModelError(VideokitError):
    """A Whisper model that cannot be found, fetched, converted or verified."""

    stage = "model"


class TranscriptionError(VideokitError):
    """The recogniser failed on a file it could read."""

    stage = "transcribe"


class TranscriptError(VideokitError):
    """A transcript or caption file whose content is malformed."""

    stage = "transcript"

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        line: int | None = None,
        stage: str | None = None,
        hint: str = "",
    ) -> None:
        self.line = line
        if line is not None:
            message = f"line {line}: {message}"
        super().__init__(message, path=path, stage=stage, hint=hint)


class PackageError(VideokitError):
    """The site or its package could not be written."""

    stage = "package"
