"""The model cache: converted checkpoints with their manifests, and what a person sees of them.

Each converted model is ``<stem>.pt`` (an openai-whisper checkpoint) beside ``<stem>.json`` (its
:class:`Manifest`: where it came from, which revision, its dimensions and alignment heads) and, where
the source allows, ``<stem>-ct2/`` (the same weights for faster-whisper, :mod:`videokit.ct2build`).
Every file is checked against its recorded SHA-256 before use.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from . import checkpoint, ct2build, hf
from .errors import ModelError
from .files import read_json, sha256_file, write_json

CONVERTER_VERSION = 1  # bump when the conversion changes, so old checkpoints are rebuilt
Log = Callable[[str], None]


@dataclass(frozen=True)
class ModelSpec:
    """A model ready to load: the file, its identity for caching, and how to load it."""

    name: str
    path: Path
    sha256: str
    source: str  # "registry" | "openai" | "file" | "hf" | "folder"
    alignment_heads: bytes | None = None  # openai-whisper's base85 mask; None = whisper decides

    @property
    def cache_id(self) -> str:
        """What the draft cache keys on: the same bytes give the same transcript."""
        return f"{self.name}@{self.sha256[:16]}"


@dataclass(frozen=True)
class Manifest:
    """What the cache knows about a converted checkpoint: ``<stem>.json`` beside ``<stem>.pt``."""

    name: str  # the reference it answers to: "base", "hf:org/name", a folder
    source: str  # "registry" | "hf" | "folder"
    sha256: str  # of the .pt, checked before every use
    dims: dict[str, int]
    alignment_heads: str | None  # base85 mask; None: the checkpoint had none (whisper's fallback)
    converter: int = CONVERTER_VERSION
    origin: str = ""  # repository id or folder path
    revision: str = ""  # the commit a hub download came from
    layout: str = "ctranslate2"  # of the source: "ctranslate2" | "transformers"
    languages: str = ""
    note: str = ""
    source_sha256: str = ""  # registry: the pinned source; folder: fingerprint of its files
    packages: tuple[str, ...] = ()
    license: str = ""
    ct2: dict[str, str] = field(default_factory=dict)  # <stem>-ct2/ file -> SHA-256
    ct2_absent: str = ""  # why there is no CTranslate2 twin ("" and no ct2: made before there was)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["packages"] = list(self.packages)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["packages"] = tuple(values.get("packages", ()))
        values["dims"] = {k: int(v) for k, v in values.get("dims", {}).items()}
        values["ct2"] = {str(k): str(v) for k, v in values.get("ct2", {}).items()}
        return cls(**values)

    @property
    def heads_status(self) -> str:
        if self.alignment_heads is not None:
            return "from the checkpoint"
        return "none: fallback, word times rougher"

    @property
    def engines(self) -> tuple[str, ...]:
        fast = self.source == "registry" or bool(self.ct2)
        return ("openai-whisper", "faster-whisper") if fast else ("openai-whisper",)

    @property
    def complete(self) -> bool:
        """Whether a pull made everything this version makes (the CTranslate2 twin came later)."""
        return self.source == "registry" or bool(self.ct2) or bool(self.ct2_absent)


def cache_dir() -> Path:
    explicit = os.environ.get("VIDEOKIT_MODEL_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "videokit" / "models"


def alignment_heads_mask(pairs: list[list[int]], n_layers: int, n_heads: int) -> bytes:
    """Encode (layer, head) pairs as openai-whisper's gzip+base85 boolean mask."""
    mask = bytearray(n_layers * n_heads)
    for layer, head in pairs:
        if not (0 <= layer < n_layers and 0 <= head < n_heads):
            raise ModelError(
                f"alignment head ({layer}, {head}) is outside the decoder's "
                f"{n_layers} layers x {n_heads} heads"
            )
        mask[layer * n_heads + head] = 1
    return base64.b85encode(gzip.compress(bytes(mask), mtime=0))


def read_manifest(path: Path) -> Manifest | None:
    try:
        return Manifest.from_json(read_json(path))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def file_hash(path: Path) -> str:
    """SHA-256 of a checkpoint, remembered by size and mtime (large models take seconds)."""
    stat = path.stat()
    memo = cache_dir() / "hashes.json"
    key = f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    try:
        known: dict[str, str] = read_json(memo)
    except (OSError, ValueError):
        known = {}
    if key not in known:
        known[key] = sha256_file(path)
        with contextlib.suppress(OSError):  # a read-only cache only costs the hash next time
            write_json(memo, known)
    return known[key]


def cached_spec(
    stem: str, *, fresh: Callable[[Manifest], bool] = lambda _m: True
) -> ModelSpec | None:
    """The converted checkpoint ``stem`` if it is there, current and intact; None if not there."""
    pt = cache_dir() / f"{stem}.pt"
    manifest = read_manifest(pt.with_suffix(".json"))
    if manifest is None or not pt.is_file() or manifest.converter != CONVERTER_VERSION:
        return None
    if not fresh(manifest):
        return None
    actual = file_hash(pt)
    if actual != manifest.sha256:
        raise ModelError(
            "converted checkpoint does not match its recorded SHA-256 (corrupt or modified)",
            path=pt,
            hint=f"delete it and run 'videokit models pull {manifest.name}'",
        )
    heads = manifest.alignment_heads.encode() if manifest.alignment_heads is not None else None
    return ModelSpec(manifest.name, pt, actual, manifest.source, heads)


def ct2_folder(spec: ModelSpec) -> Path:
    """The verified CTranslate2 twin of a cached (non-registry) model, for faster-whisper."""
    manifest = read_manifest(spec.path.with_suffix(".json"))
    if manifest is None or not manifest.ct2:
        why = manifest.ct2_absent if manifest is not None and manifest.ct2_absent else ""
        raise ModelError(
            f"model {spec.name!r} has no CTranslate2 weights for the faster-whisper engine"
            + (f" ({why})" if why else ""),
            path=spec.path,
            hint=(
                'use engine = "openai-whisper" for this model'
                if why or manifest is None
                else f"run 'videokit models pull {spec.name}' to make them"
            ),
        )
    folder = ct2build.folder_for(spec.path)
    for name, expected in manifest.ct2.items():
        path = folder / name
        if not path.is_file() or file_hash(path) != expected:
            raise ModelError(
                f"{name} of the CTranslate2 weights is missing or does not match its SHA-256",
                path=path,
                hint=f"delete {folder.name} and run 'videokit models pull {manifest.name}'",
            )
    return folder


def card_languages(folder: Path) -> list[str]:
    """The ``language:`` of a model card's front matter (README.md), if it has one."""
    import yaml

    try:
        text = (folder / "README.md").read_text(encoding="utf-8")
    except OSError:
        return []
    parts = text.split("---", 2)
    if not text.startswith("---") or len(parts) < 3:
        return []
    try:
        meta = yaml.safe_load(parts[1]) or {}
    except yaml.YAMLError:
        return []
    langs = meta.get("language", []) if isinstance(meta, dict) else []
    return [str(x) for x in ([langs] if isinstance(langs, str) else langs)]


def languages(n_vocab: int, card: list[str]) -> str:
    # openai-whisper: a multilingual vocabulary holds n_vocab - 51765 - 1 language tokens
    vocab = "English only" if n_vocab == 51864 else f"{n_vocab - 51766} languages"
    return f"{', '.join(card)} (model card); {vocab}" if card else vocab


def store(
    stem: str,
    model: checkpoint.Converted,
    folder: Path,
    log: Log,
    *,
    fast: bool = False,
    **meta: Any,
) -> ModelSpec:
    """Write ``<stem>.pt`` and its manifest atomically, and say what a person should know.

    ``fast``: also make the CTranslate2 twin for faster-whisper, where the source has a tokenizer.
    """
    dims = model.dims
    heads = (
        alignment_heads_mask(model.alignment_heads, dims["n_text_layer"], dims["n_text_head"])
        if model.alignment_heads
        else None
    )
    if heads is None:
        log(
            "this checkpoint names no alignment heads: word times will be rougher "
            "(openai-whisper's fallback, all heads of the last half of the decoder)"
        )
    if model.note:
        log(f"note: {model.note}")
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    pt = root / f"{stem}.pt"
    source_name = hf.hf_name if model.layout == "transformers" else (lambda n: n)
    log(f"writing the openai-whisper checkpoint {pt} ...")
    with tempfile.TemporaryDirectory(dir=root, prefix=".convert-") as tmp:
        tmp_pt = Path(tmp) / pt.name
        checkpoint.save_checkpoint(model, tmp_pt, source=folder, source_name=source_name)
        os.replace(tmp_pt, pt)
    twin: dict[str, str] = {}
    absent = ""
    if fast and ct2build.missing_tokenizer(folder):
        absent = f"the source has no {ct2build.TOKENIZER}"
        log(f"note: {absent}, so this model runs on openai-whisper only")
    elif fast:
        twin = ct2build.build(
            folder,
            ct2build.folder_for(pt),
            layout=model.layout,
            n_mels=dims["n_mels"],
            alignment_heads=model.alignment_heads,
            log=log,
        )
    manifest = Manifest(
        sha256=sha256_file(pt),
        dims=dict(dims),
        alignment_heads=heads.decode() if heads is not None else None,
        layout=model.layout,
        note=model.note,
        ct2=twin,
        ct2_absent=absent,
        **meta,
    )
    write_json(pt.with_suffix(".json"), manifest.to_json())
    spec = cached_spec(stem)
    assert spec is not None  # just written
    return spec


# ---------------------------------------------------------------------------------------------------
# What is in the cache


@dataclass(frozen=True)
class CachedModel:
    name: str  # what --model takes
    path: Path
    bytes: int
    source: str  # where it came from, with the revision
    params: int | None  # None: not known without loading it
    languages: str
    heads: str  # the alignment heads' status
    engines: tuple[str, ...] = ("openai-whisper",)


def parameter_count(dims: dict[str, int]) -> int:
    """Weights of a Whisper with these dimensions (whisper's MLP is 4 x wide), embeddings included."""
    d, t = dims["n_audio_state"], dims["n_text_state"]
    encoder = (
        dims["n_mels"] * d * 3 + d * d * 3 + 2 * d + dims["n_audio_layer"] * (12 * d * d + 12 * d)
    )
    decoder = (dims["n_vocab"] + dims["n_text_ctx"]) * t + dims["n_text_layer"] * (
        16 * t * t + 17 * t
    )
    return encoder + 2 * d + decoder + 2 * t


def _describe(m: Manifest) -> str:
    how = f"{m.layout}; {m.note}" if m.note else m.layout
    if m.source == "hf":
        return f"hf:{m.origin} (commit {m.revision[:12]}, {how})"
    if m.source == "registry":
        return "registry packages " + ", ".join(m.packages)
    return f"{m.source} {m.origin} ({how})"


def list_cached() -> list[CachedModel]:
    """Every checkpoint in the cache; official downloads have no manifest and are known by name."""
    root = cache_dir()
    out = []
    for pt in sorted(root.glob("*.pt")) if root.exists() else []:
        size = pt.stat().st_size
        m = read_manifest(pt.with_suffix(".json"))
        if m is None:
            langs = "English only" if pt.stem.endswith(".en") else "multilingual"
            out.append(CachedModel(pt.stem, pt, size, "openai", None, langs, "openai's, by name"))
            continue
        complete = len(m.dims) == 10  # manifests of earlier versions may lack some
        params = parameter_count(m.dims) if complete else None
        langs = m.languages or (languages(m.dims["n_vocab"], []) if complete else "")
        out.append(
            CachedModel(m.name, pt, size, _describe(m), params, langs, m.heads_status, m.engines)
        )
    return out
