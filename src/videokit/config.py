"""Project settings from ``videokit.toml``: the model, caption norms and decoding options.

Every norm and decoding default can be changed per project without touching code::

    model = "hf:syvai/hviske-v2"   # any --model value; --model on the command line wins

    [captions]          # videokit.norms.CaptionNorms
    profile = "danish-professional"   # a name in videokit.norms.PROFILES; "web" when left out
    max_line_chars = 37               # any norm the profile sets can be changed on top of it
    max_cps = 15

    [decoding]          # videokit.asr.DecodeOptions (language comes from --language)
    beam_size = 5
    temperature = [0.0, 0.4, 0.8]

    [asr]               # videokit.engines.AsrSettings: which engine, batched or not
    engine = "openai-whisper"   # or "faster-whisper"
    batched = true

    [social]            # videokit.social.SocialSettings: the formats for social media
    formats = ["16:9", "1:1", "4:5", "9:16"]
    reframe = "crop"            # or "bars"

    [social.profiles]   # caption profile per format's burned-in captions ("" = [captions])
    "9:16" = "vertical"

A missing file means the defaults. A key videokit does not know is an error that names the file
and the key: a typo must not silently leave a norm at its default.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .engines import AsrSettings
from .errors import VideokitError
from .norms import PROFILES, CaptionNorms, profile_norms
from .social import SocialSettings

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
    asr: AsrSettings = field(default_factory=AsrSettings)
    social: SocialSettings = field(default_factory=SocialSettings)

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


def _table(path: Path, data: dict[str, Any], name: str) -> dict[str, Any]:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise VideokitError(
            f"'{name}' must be a table ([{name}] on a line of its own)",
            path=path,
            stage="config",
            hint=f"write [{name}] and its settings below it",
        )
    return dict(table)


def _decoding(path: Path, table: dict[str, Any]) -> dict[str, Any]:
    """Decoding options checked here, where the file can be named, not deep inside Whisper."""

    def bad(key: str, wanted: str) -> VideokitError:
        return VideokitError(
            f"[decoding] {key} = {table[key]!r} is not {wanted}",
            path=path,
            stage="config",
            hint=f"write {key} as {wanted}",
        )

    out = dict(table)
    if "beam_size" in table:
        value = table["beam_size"]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 20:
            raise bad("beam_size", "a whole number from 0 (greedy) to 20")
        out["beam_size"] = value or None
    for key in ("condition_on_previous_text",):
        if key in table and not isinstance(table[key], bool):
            raise bad(key, "true or false")
    for key, top in (("hallucination_silence_threshold", 30.0), ("no_speech_threshold", 1.0)):
        value = table.get(key)
        if key in table and (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or not 0 <= value <= top
        ):
            raise bad(key, f"a number from 0 to {top:g}")
    if "temperature" in table:
        temps = table["temperature"]
        temps = temps if isinstance(temps, list) else [temps]
        if not temps or any(
            isinstance(t, bool) or not isinstance(t, int | float) or not 0 <= t <= 1 for t in temps
        ):
            raise bad("temperature", "a number from 0 to 1, or a list of them")
        out["temperature"] = tuple(float(t) for t in temps)
    return out


def _norms(path: Path, captions: dict[str, Any]) -> CaptionNorms:
    """The profile named in ``[captions]`` with the table's other keys on top of it."""
    changes = dict(captions)
    name = changes.pop("profile", "web")
    if not isinstance(name, str) or name not in PROFILES:
        raise VideokitError(
            f"[captions] profile = {name!r} is not a known profile",
            path=path,
            stage="config",
            hint="use one of: " + ", ".join(f'"{n}"' for n in PROFILES),
        )
    try:
        return profile_norms(name, **changes)
    except (TypeError, ValueError) as err:
        raise VideokitError(f"[captions]: {err}", path=path, stage="config") from None


def _social(path: Path, table: dict[str, Any]) -> SocialSettings:
    """``[social]``, with ``[social.profiles]`` naming a caption profile per format."""
    known = tuple(f.name for f in dataclasses.fields(SocialSettings))
    _check_keys(path, "social", table, known)
    data = dict(table)
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        raise VideokitError(
            "[social] profiles must be a table", path=path, stage="config",
            hint='write [social.profiles] and below it e.g. "9:16" = "vertical"',
        )  # fmt: skip
    for fmt, name in profiles.items():
        if name != "" and name not in PROFILES:
            raise VideokitError(
                f"[social.profiles] {fmt!r} = {name!r} is not a known profile",
                path=path,
                stage="config",
                hint='use "" (the [captions] profile) or one of: '
                + ", ".join(f'"{n}"' for n in PROFILES),
            )
    if "formats" in data and not isinstance(data["formats"], list):
        raise VideokitError(
            "[social] formats must be a list", path=path, stage="config",
            hint='write e.g. formats = ["16:9", "9:16"]',
        )  # fmt: skip
    try:
        return SocialSettings.from_dict(data)
    except (TypeError, ValueError) as err:
        raise VideokitError(f"[social]: {err}", path=path, stage="config") from None


def load_settings(path: Path | None) -> Settings:
    if path is None or not path.is_file():
        return Settings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise VideokitError(f"not valid TOML: {err}", path=path, stage="config") from None
    _check_keys(path, "videokit.toml", data, ("model", "captions", "decoding", "asr", "social"))
    model = data.get("model")
    if model is not None and not (isinstance(model, str) and model.strip()):
        raise VideokitError(
            f"model = {model!r} is not a model name",
            path=path,
            stage="config",
            hint='write e.g. model = "large-v3" or model = "hf:syvai/hviske-v2"',
        )
    captions = _table(path, data, "captions")
    decoding = _decoding(path, _table(path, data, "decoding"))
    norm_keys = tuple(f.name for f in dataclasses.fields(CaptionNorms))
    _check_keys(path, "captions", captions, norm_keys)
    _check_keys(path, "decoding", decoding, DECODING_KEYS)
    norms = _norms(path, captions)
    asr = _table(path, data, "asr")
    _check_keys(path, "asr", asr, tuple(f.name for f in dataclasses.fields(AsrSettings)))
    try:
        engine = AsrSettings(**asr)
    except (TypeError, ValueError) as err:
        raise VideokitError(f"[asr]: {err}", path=path, stage="config") from None
    social = _social(path, _table(path, data, "social"))
    return Settings(norms, decoding, model, engine, social)
