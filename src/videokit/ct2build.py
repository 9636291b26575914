"""CTranslate2 folders for the faster-whisper engine, kept beside the openai-whisper checkpoint.

A transformers checkpoint is converted by CTranslate2's own ``TransformersConverter`` (the one the
faster-whisper project maintains; videokit does not write a second one). A CTranslate2 source is
taken as it is: its files are linked (or copied) into the cache, never reconverted. Either way the
folder is ``<stem>-ct2/`` beside ``<stem>.pt``, and the manifest of the ``.pt`` records the SHA-256
of each of its files, so both engines run weights from the same source and commit, checked the same
way.

What the converter leaves to the caller, done here: word timestamps need the alignment heads the
checkpoint names (the converter reads them from transformers' generation config, which does not
always carry them through; without heads it picks the last half of the decoder, as openai-whisper
does), and faster-whisper sizes its spectrogram from ``preprocessor_config.json`` (80 mels when it
is missing, which would feed a 128-mel large-v3 the wrong input).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import ModelError
from .files import sha256_file, write_json

SUFFIX = "-ct2"
TOKENIZER = "tokenizer.json"
PREPROCESSOR = "preprocessor_config.json"
# What faster-whisper reads besides model.bin and config.json; a repository's other files stay out.
_SIDE_FILES = (TOKENIZER, PREPROCESSOR, "vocabulary.json", "vocabulary.txt")
_LANGUAGE = re.compile(r"<\|[a-z]{2,3}(_[a-z]+)?\|>|<\|haw\|>|<\|yue\|>")
Log = Callable[[str], None]


def folder_for(pt: Path) -> Path:
    """Where the CTranslate2 twin of the checkpoint ``<stem>.pt`` lives."""
    return pt.with_name(pt.stem + SUFFIX)


def missing_tokenizer(source: Path) -> bool:
    """faster-whisper needs the model's tokenizer.json; without it, it would ask the internet."""
    return not (source / TOKENIZER).is_file()


def build(
    source: Path,
    target: Path,
    *,
    layout: str,
    n_mels: int,
    alignment_heads: list[list[int]] | None,
    log: Log,
) -> dict[str, str]:
    """Write ``target`` (atomically) from ``source``; return each file's SHA-256."""
    if missing_tokenizer(source):
        raise ModelError(
            f"the folder has no {TOKENIZER}, which the faster-whisper engine needs",
            path=source,
            hint="save the processor with the model (processor.save_pretrained(folder)), "
            'or use engine = "openai-whisper"',
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".ct2-") as tmp:
        work = Path(tmp) / target.name
        if layout == "transformers":
            log("converting to CTranslate2 for the faster-whisper engine ...")
            _convert(source, work)
        else:
            work.mkdir()
            for name in ("model.bin", "config.json", *_SIDE_FILES):
                if (source / name).is_file():
                    _link_or_copy(source / name, work / name)
        _complete(work, n_mels, alignment_heads)
        if target.exists():
            os.replace(target, Path(tmp) / "old")
        os.replace(work, target)
    return checksums(target)


def checksums(folder: Path) -> dict[str, str]:
    return {p.name: sha256_file(p) for p in sorted(folder.iterdir()) if p.is_file()}


def _convert(source: Path, work: Path) -> None:
    import logging

    from ctranslate2.converters import TransformersConverter

    copy = [name for name in (TOKENIZER, PREPROCESSOR) if (source / name).is_file()]
    # transformers reports each weight it loads; a person pulling a model needs none of that.
    quiet = logging.getLogger("transformers")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        # Weights keep the checkpoint's precision (no quantization): the engine quantises when it
        # loads (int8 on CPU, float16 on a GPU), and float32 stays comparable with the source.
        TransformersConverter(str(source), copy_files=copy).convert(str(work), force=True)
    except (ValueError, OSError, RuntimeError, KeyError) as err:
        raise ModelError(
            f"CTranslate2 could not convert the model: {err}",
            path=source,
            hint='use engine = "openai-whisper" for this model, or report the error',
        ) from None
    finally:
        quiet.setLevel(level)


def _link_or_copy(src: Path, dst: Path) -> None:
    real = src.resolve()  # the hub cache's snapshot files are links into its blob store
    try:
        os.link(real, dst)
    except OSError:
        shutil.copyfile(real, dst)


def _complete(folder: Path, n_mels: int, heads: list[list[int]] | None) -> None:
    """The alignment heads videokit read from the checkpoint, the languages, the mel count."""
    config_path = folder / "config.json"
    try:
        config: dict[str, Any] = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ModelError(
            f"the CTranslate2 config.json is unreadable: {err}", path=config_path
        ) from None
    if heads:
        config["alignment_heads"] = [list(map(int, pair)) for pair in heads]
    if not config.get("lang_ids"):
        config["lang_ids"] = _language_ids(folder)
    _rewrite(config_path, config)
    if not (folder / PREPROCESSOR).is_file():
        write_json(folder / PREPROCESSOR, {"feature_size": n_mels}, indent=2)


def _rewrite(path: Path, data: dict[str, Any]) -> None:
    # A linked file is the source's own copy: write a new file rather than through the link.
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    write_json(path, data, indent=2)


def _language_ids(folder: Path) -> list[int]:
    """Token ids of the language tokens (faster-whisper's language detection chooses among them)."""
    path = folder / "vocabulary.json"
    if path.is_file():
        tokens: list[str] = json.loads(path.read_text(encoding="utf-8"))
    elif (folder / "vocabulary.txt").is_file():
        tokens = (folder / "vocabulary.txt").read_text(encoding="utf-8").splitlines()
    else:
        return []
    try:
        start = tokens.index("<|startoftranscript|>") + 1
        end = tokens.index("<|translate|>")
    except ValueError:
        return []
    return [i for i in range(start, end) if _LANGUAGE.fullmatch(tokens[i])]
