"""Fetching a Whisper repository from the Hugging Face Hub, every file checked against the hub's word.

``huggingface_hub`` does the transfer: when a connection drops it asks for the rest of the file
(an HTTP range) instead of starting again, and it refuses a file whose length differs from the one
the hub announced. It does not check the
content, so each file is hashed here and compared with the repository listing the hub publishes: the
SHA-256 of large (LFS) files and the git blob id of small ones. A mismatch deletes the bad copy (the
next pull fetches it afresh) and names the file. ``HF_ENDPOINT`` (read when called) points the whole
exchange at another server, a mirror or a test's stand-in; the files land in the usual Hugging Face
cache (``HF_HUB_CACHE``), so a model that another tool already downloaded is not fetched again.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ModelError
from .files import sha256_file

# What a Whisper checkpoint needs, in transformers or CTranslate2 layout, and nothing else
# (repositories often carry the same weights again as pytorch_model.bin, ONNX, GGML, ...).
WANTED = (
    "config.json",
    "generation_config.json",
    "model.safetensors",
    "model.safetensors.index.json",
    "model-*-of-*.safetensors",
    "model.bin",
    "tokenizer.json",  # faster-whisper's tokenizer, which it would otherwise ask the internet for
    "preprocessor_config.json",  # the spectrogram's size (128 mels for large-v3)
    "vocabulary.json",
    "vocabulary.txt",
    "README.md",
)


@dataclass(frozen=True)
class Snapshot:
    repo: str
    commit: str
    folder: Path


def git_blob_id(path: Path) -> str:
    """The id git gives a file's content: SHA-1 of ``blob <size>\\0`` and the bytes."""
    h = hashlib.sha1(f"blob {path.stat().st_size}\0".encode())
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def _endpoint() -> str | None:
    return os.environ.get("HF_ENDPOINT") or None


def _cache() -> str | None:
    return os.environ.get("HF_HUB_CACHE") or None


def latest_commit(repo: str, revision: str | None) -> str:
    """The commit ``revision`` (the default branch if None) names on the hub now."""
    import httpx
    from huggingface_hub import HfApi

    try:
        commit = HfApi(endpoint=_endpoint()).model_info(repo, revision=revision).sha
    except (OSError, ValueError, httpx.HTTPError) as err:
        raise ModelError(
            f"cannot reach {_label(repo, revision)} on the Hugging Face Hub: {_first_line(err)}",
            hint="check the name and revision (and HF_TOKEN for a gated model), and that this "
            "machine is online; offline, pull it elsewhere and copy the model cache",
        ) from None
    if commit is None:
        raise ModelError(f"the hub names no commit for {_label(repo, revision)}")
    return commit


def download(repo: str, commit: str, log: Callable[[str], None]) -> Snapshot:
    """Download the wanted files of ``repo`` at ``commit`` and verify each against the listing."""
    import httpx
    from huggingface_hub import HfApi, hf_hub_download
    from huggingface_hub.hf_api import RepoFile

    where = f"{repo}@{commit[:12]}"
    try:
        files = [
            f
            for f in HfApi(endpoint=_endpoint()).list_repo_tree(
                repo, revision=commit, recursive=True
            )
            if isinstance(f, RepoFile) and any(fnmatch.fnmatch(f.path, p) for p in WANTED)
        ]
    except (OSError, ValueError, httpx.HTTPError) as err:
        raise ModelError(f"cannot list the files of {where}: {_first_line(err)}") from None
    if not files:
        raise ModelError(
            f"{where} has no Whisper weights (model.safetensors or CTranslate2 model.bin)",
            hint="check the repository's files on the Hub",
        )
    log(f"{where}: {len(files)} files, {sum(f.size for f in files) / 1e9:.2f} GB ...")
    local: dict[str, Path] = {}
    for f in files:
        try:
            local[f.path] = Path(
                hf_hub_download(
                    repo, f.path, revision=commit, cache_dir=_cache(), endpoint=_endpoint()
                )
            )
        except (OSError, ValueError, httpx.HTTPError) as err:
            raise ModelError(
                f"download of {f.path} from {where} failed: {_first_line(err)}",
                path=f.path,
                hint="run the pull again; files already downloaded are kept",
            ) from None
        _verify(f, local[f.path], where)
    return Snapshot(repo, commit, local[files[0].path].parent)


def _label(repo: str, revision: str | None) -> str:
    return f"{repo}@{revision}" if revision else repo


def _verify(entry: Any, path: Path, where: str) -> None:
    lfs = entry.lfs
    expected, actual = (
        (lfs.sha256, sha256_file(path)) if lfs is not None else (entry.blob_id, git_blob_id(path))
    )
    if actual == expected:
        return
    blob = path.resolve()
    path.unlink(missing_ok=True)
    blob.unlink(missing_ok=True)
    raise ModelError(
        f"{entry.path} from {where} does not match the checksum the hub lists for it "
        f"({expected[:12]}…, got {actual[:12]}…); the damaged copy was deleted",
        path=entry.path,
        hint="run the pull again to download it afresh; if it fails again, the server or a proxy "
        "alters the file",
    )


def _first_line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0]
