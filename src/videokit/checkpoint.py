"""openai-whisper checkpoint files: writing a converted one, and fetching an official one.

This is where model *files* are made; :mod:`videokit.asr` is where models *run*. Writing a ``.pt``
needs ``torch.save`` and the official download needs whisper's own downloader, so both import them
lazily, inside the function: importing this module costs nothing, and it never loads a model.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ModelError

# openai-whisper picks its tokenizer by vocabulary size: English-only, v1/v2 multilingual, v3.
WHISPER_VOCAB_SIZES = (51864, 51865, 51866)


@dataclass(frozen=True)
class Converted:
    """A model in openai-whisper's terms, ready for :func:`save_checkpoint`."""

    dims: dict[str, int]
    state: dict[str, np.ndarray]
    alignment_heads: list[list[int]] | None  # (layer, head) pairs; None: the checkpoint has none
    layout: str  # "transformers" | "ctranslate2"
    note: str = ""  # what a person should know about the conversion (e.g. int8 dequantised)


def expected_shapes(dims: dict[str, int]) -> dict[str, tuple[int, ...]]:
    """Every name and shape ``whisper.model.Whisper(dims).state_dict()`` holds, without the memory.

    The encoder and decoder are built on torch's meta device (shapes only); the whole model cannot
    be, because its alignment-heads buffer is a sparse tensor, and it is not saved anyway.
    """
    import torch
    import whisper.model as wm

    d = wm.ModelDimensions(**dims)
    with torch.device("meta"):
        parts = {
            "encoder": wm.AudioEncoder(
                d.n_mels, d.n_audio_ctx, d.n_audio_state, d.n_audio_head, d.n_audio_layer
            ),
            "decoder": wm.TextDecoder(
                d.n_vocab, d.n_text_ctx, d.n_text_state, d.n_text_head, d.n_text_layer
            ),
        }
    return {
        f"{prefix}.{name}": tuple(tensor.shape)
        for prefix, module in parts.items()
        for name, tensor in module.state_dict().items()
    }


def check_state(
    dims: dict[str, int],
    state: dict[str, np.ndarray],
    source: Path | None = None,
    source_name: Callable[[str], str] = lambda name: name,
) -> None:
    """A strict load without the model: every tensor present, none extra, every shape right.

    ``source_name`` translates openai-whisper's name of a missing tensor into the source's, so the
    message names the tensor as the downloaded file spells it.
    """
    if dims["n_vocab"] not in WHISPER_VOCAB_SIZES:
        raise ModelError(
            f"vocabulary of {dims['n_vocab']} tokens; openai-whisper's tokenizers have "
            + "/".join(map(str, WHISPER_VOCAB_SIZES)),
            path=source,
            hint="this model uses a tokenizer of its own, which openai-whisper cannot load",
        )
    expected = expected_shapes(dims)
    missing = sorted(set(expected) - set(state))
    extra = sorted(set(state) - set(expected))
    wrong = sorted(
        f"{k} is {tuple(state[k].shape)}, needs {expected[k]}"
        for k in set(expected) & set(state)
        if tuple(state[k].shape) != expected[k]
    )
    problems = [
        *(f"missing tensor {source_name(k)} ({k})" for k in missing),
        *(f"unexpected tensor {k}" for k in extra),
        *wrong,
    ]
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise ModelError(
            "converted weights do not fit openai-whisper: " + "; ".join(problems[:3]) + more,
            path=source,
            hint="the checkpoint is incomplete or not a Whisper model; download it again",
        )


def save_checkpoint(
    model: Converted,
    path: Path,
    *,
    source: Path | None = None,
    source_name: Callable[[str], str] = lambda name: name,
) -> None:
    """Write ``{"dims", "model_state_dict"}`` as ``whisper.load_model`` reads it, after a strict check.

    Weights keep their precision: float16 stays float16, anything wider is stored as float32, so a
    float32 fine-tune converts bit for bit. (openai-whisper computes in float32 either way.)
    """
    import torch

    dims, state = model.dims, model.state
    check_state(dims, state, source, source_name)
    wide = any(np.asarray(v).dtype != np.float16 for v in state.values())
    dtype = np.float32 if wide else np.float16
    with warnings.catch_warnings():
        # Memory-mapped source weights are read-only; torch.save only reads them.
        warnings.simplefilter("ignore", UserWarning)
        tensors: dict[str, Any] = {
            k: torch.from_numpy(np.ascontiguousarray(v, dtype=dtype)) for k, v in state.items()
        }
    torch.save({"dims": dict(dims), "model_state_dict": tensors}, path)


def download_official(name: str, root: Path) -> Path:
    """Fetch an official model with openai-whisper's own downloader (it verifies the SHA-256)."""
    import whisper

    try:
        return Path(str(whisper._download(whisper._MODELS[name], str(root), in_memory=False)))
    except (OSError, RuntimeError) as err:
        raise ModelError(
            f"download of Whisper {name!r} failed: {err}",
            path=root,
            hint="check the internet connection and retry",
        ) from None
