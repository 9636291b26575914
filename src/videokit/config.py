"""Project settings from ``videokit.toml``: the model, caption norms and decoding options.

Every norm and decoding default can be changed per project without touching code::

    model = "hf:syvai/hviske-v2"   # any --model value; --model on the command line wins

    [captions]          # videokit.norms.CaptionNorms
    max_line_chars = 37
    max_cps = 15

    [decoding]          # videokit.asr.DecodeOptions (language comes from --language)
    beam_size = 5
    temperature = [0.0, 0.4, 0.8]

A missing file means the defaults. A key videokit does not know is an error that names the file
and the key: a typo must not silently leave a norm at its default.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import VideokitError
from .norms import CaptionNorms

DECODING_KEYS = (
    "beam_size",
    "temperature",
    "condition_on_previous_text",
    "hallucination_silence_threshold",
    "no_speech_threshold",
)


DEFAULT_MODEL = "base"  # the one model that can be built offline


@dataclass(frozen=True)
class Settings:
    norms: CaptionNorms = field(default_factory=CaptionNorms)
    decoding: dict[str, Any] = field(default_factory=dict)
    model: str | None = None

    def model_ref(self, chosen: str | None) -> str:
        """The model a run uses: the one chosen for it, else the project's, else the default."""
        return chosen or self.model or DEFAULT_MODEL


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
    _check_keys(path, "videokit.toml", data, ("model", "captions", "decoding"))
    model = data.get("model")
    if model is not None and not (isinstance(model, str) and model.strip()):
        raise VideokitError(
            f"model = {model!r} is not a model name",
            path=path,
            stage="config",
            hint='write e.g. model = "large-v3" or model = "hf:syvai/hviske-v2"',
        )
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
    return Settings(norms, decoding, model)
