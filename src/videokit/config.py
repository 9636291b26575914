"""Project settings from ``videokit.toml``: caption norms and decoding options.

Every norm and decoding default can be changed per project without touching code::

    [captions]          # videokit.norms.CaptionNorms
    max_line_chars = 37
    max_cps = 15

    [decoding]          # videokit.asr.DecodeOptions (language comes from --language)
    beam_size = 5
    temperature = [0.0, 0.4, 0.8]

    [asr]               # videokit.engines.AsrSettings: which engine, batched or not
    engine = "openai-whisper"   # or "faster-whisper"
    batched = true

A missing file means the defaults. A key videokit does not know is an error that names the file
and the key: a typo must not silently leave a norm at its default.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .engines import AsrSettings
from .errors import VideokitError
from .norms import CaptionNorms

DECODING_KEYS = (
    "beam_size",
    "temperature",
    "condition_on_previous_text",
    "hallucination_silence_threshold",
    "no_speech_threshold",
)


@dataclass(frozen=True)
class Settings:
    norms: CaptionNorms = field(default_factory=CaptionNorms)
    decoding: dict[str, Any] = field(default_factory=dict)
    asr: AsrSettings = field(default_factory=AsrSettings)


def _check_keys(path: Path, section: str, data: dict[str, Any], known: tuple[str, ...]) -> None:
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise VideokitError(
            f"unknown setting [{section}] {', '.join(unknown)}",
            path=path,
            stage="config",
            hint=f"known keys: {', '.join(known)}",
        )


def load_settings(path: Path | None) -> Settings:
    if path is None or not path.is_file():
        return Settings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise VideokitError(f"not valid TOML: {err}", path=path, stage="config") from None
    _check_keys(path, "videokit.toml", data, ("captions", "decoding", "asr"))
    captions = data.get("captions", {})
    decoding = data.get("decoding", {})
    norm_keys = tuple(f.name for f in dataclasses.fields(CaptionNorms))
    _check_keys(path, "captions", captions, norm_keys)
    _check_keys(path, "decoding", decoding, DECODING_KEYS)
    try:
        norms = CaptionNorms(**captions)
    except (TypeError, ValueError) as err:
        raise VideokitError(f"[captions]: {err}", path=path, stage="config") from None
    if "temperature" in decoding:
        temps = decoding["temperature"]
        decoding["temperature"] = tuple(temps) if isinstance(temps, list) else (float(temps),)
    asr = data.get("asr", {})
    _check_keys(path, "asr", asr, tuple(f.name for f in dataclasses.fields(AsrSettings)))
    try:
        engine = AsrSettings(**asr)
    except (TypeError, ValueError) as err:
        raise VideokitError(f"[asr]: {err}", path=path, stage="config") from None
    return Settings(norms, decoding, engine)
