"""Hugging Face transformers Whisper folders: safetensors weights mapped onto openai-whisper's names.

A transformers ``WhisperForConditionalGeneration`` holds the same numbers as openai-whisper under
other names; nothing is fused or rescaled (both scale queries and keys inside attention, both use
exact GELU and LayerNorm eps 1e-5). The output projection ``proj_out`` is tied to the token
embedding, as openai-whisper ties it, and is usually not even saved. Only numpy and json are needed:
the safetensors format is an 8-byte header length, a JSON table and raw little-endian data, read
here through a memory map so that a 6 GB checkpoint is not copied into memory to be renamed.
"""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path
from typing import Any

import numpy as np

from .checkpoint import Converted
from .errors import ModelError
from .files import read_json

WEIGHTS = "model.safetensors"
WEIGHTS_INDEX = "model.safetensors.index.json"

_ST_DTYPES: dict[str, np.dtype[Any]] = {
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "F64": np.dtype("<f8"),
}

_TOP = {
    "encoder.conv1.weight": "encoder.conv1.weight",
    "encoder.conv1.bias": "encoder.conv1.bias",
    "encoder.conv2.weight": "encoder.conv2.weight",
    "encoder.conv2.bias": "encoder.conv2.bias",
    "encoder.embed_positions.weight": "encoder.positional_embedding",
    "encoder.layer_norm.weight": "encoder.ln_post.weight",
    "encoder.layer_norm.bias": "encoder.ln_post.bias",
    "decoder.embed_tokens.weight": "decoder.token_embedding.weight",
    "decoder.embed_positions.weight": "decoder.positional_embedding",
    "decoder.layer_norm.weight": "decoder.ln.weight",
    "decoder.layer_norm.bias": "decoder.ln.bias",
}
_LAYER = {
    "self_attn.q_proj": "attn.query",
    "self_attn.k_proj": "attn.key",
    "self_attn.v_proj": "attn.value",
    "self_attn.out_proj": "attn.out",
    "self_attn_layer_norm": "attn_ln",
    "encoder_attn.q_proj": "cross_attn.query",
    "encoder_attn.k_proj": "cross_attn.key",
    "encoder_attn.v_proj": "cross_attn.value",
    "encoder_attn.out_proj": "cross_attn.out",
    "encoder_attn_layer_norm": "cross_attn_ln",
    "fc1": "mlp.0",
    "fc2": "mlp.2",
    "final_layer_norm": "mlp_ln",
}
_TOP_BACK = {v: k for k, v in _TOP.items()}
_LAYER_BACK = {v: k for k, v in _LAYER.items()}
_HF_LAYER = re.compile(r"(encoder|decoder)\.layers\.(\d+)\.(.+)\.(weight|bias)")
_OA_LAYER = re.compile(r"(encoder|decoder)\.blocks\.(\d+)\.(.+)\.(weight|bias)")


def whisper_name(hf: str) -> str | None:
    """openai-whisper's name for a transformers tensor name (without ``model.``), or None."""
    if hf in _TOP:
        return _TOP[hf]
    m = _HF_LAYER.fullmatch(hf)
    if m and m.group(3) in _LAYER:
        return f"{m.group(1)}.blocks.{m.group(2)}.{_LAYER[m.group(3)]}.{m.group(4)}"
    return None


def hf_name(name: str) -> str:
    """The inverse of :func:`whisper_name`, to say which tensor of the download is missing."""
    if name in _TOP_BACK:
        return "model." + _TOP_BACK[name]
    m = _OA_LAYER.fullmatch(name)
    if m and m.group(3) in _LAYER_BACK:
        return f"model.{m.group(1)}.layers.{m.group(2)}.{_LAYER_BACK[m.group(3)]}.{m.group(4)}"
    return name


# ---------------------------------------------------------------------------------------------------
# safetensors


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Every tensor of one file as a read-only array; bfloat16 widens exactly to float32."""
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(8)
        if len(head) != 8:
            raise _damaged(path, "it is shorter than a safetensors header")
        (n,) = struct.unpack("<Q", head)
        if n > size - 8:
            raise _damaged(path, f"its header claims {n} bytes, the file has {size}")
        try:
            header: dict[str, Any] = json.loads(f.read(n))
        except ValueError as err:
            raise _damaged(path, f"its header is not JSON ({err})") from None
    header.pop("__metadata__", None)
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + n) if size > 8 + n else None
    held = 0 if data is None else len(data)
    out: dict[str, np.ndarray] = {}
    for name, info in header.items():
        start, end = info["data_offsets"]
        if end > held:
            raise _damaged(
                path, f"tensor {name} ends at byte {end} of the data, which holds {held}"
            )
        raw = data[start:end] if data is not None else np.zeros(0, np.uint8)
        kind, shape = info["dtype"], tuple(info["shape"])
        if kind == "BF16":
            arr = (raw.view("<u2").astype(np.uint32) << 16).view(np.float32)
        elif kind in _ST_DTYPES:
            arr = raw.view(_ST_DTYPES[kind])
        else:
            raise ModelError(f"tensor {name} has type {kind}, not a float type", path=path)
        out[name] = arr.reshape(shape)
    return out


def _damaged(path: Path, why: str) -> ModelError:
    return ModelError(
        f"{path.name} is damaged or cut short: {why}",
        path=path,
        hint="delete it and download the model again",
    )


def read_weights(folder: Path) -> dict[str, np.ndarray]:
    """The folder's weights, from ``model.safetensors`` or the shards its index names."""
    single, index = folder / WEIGHTS, folder / WEIGHTS_INDEX
    if single.is_file():
        return read_safetensors(single)
    if not index.is_file():
        present = ", ".join(sorted(p.name for p in folder.iterdir())) or "nothing"
        raise ModelError(
            f"no {WEIGHTS} (or {WEIGHTS_INDEX}) in the folder; it holds {present}",
            path=folder,
            hint="videokit reads safetensors and CTranslate2 model.bin; save a transformers model "
            "with save_pretrained(..., safe_serialization=True) and pull that folder",
        )
    weight_map: dict[str, str] = json.loads(index.read_text())["weight_map"]
    out: dict[str, np.ndarray] = {}
    for shard in sorted(set(weight_map.values())):
        if not (folder / shard).is_file():
            raise ModelError(f"shard {shard} named in {WEIGHTS_INDEX} is missing", path=folder)
        out.update(read_safetensors(folder / shard))
    lost = sorted(set(weight_map) - set(out))
    if lost:
        raise ModelError(
            f"tensor {lost[0]} is listed in {WEIGHTS_INDEX} but not in {weight_map[lost[0]]}",
            path=folder / weight_map[lost[0]],
        )
    return out


# ---------------------------------------------------------------------------------------------------
# config and conversion


def read_config(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = read_json(path)
        return data
    except (OSError, ValueError) as err:
        raise ModelError(f"cannot read {path.name}: {err}", path=path) from None


def dims_from_config(config: dict[str, Any], path: Path) -> dict[str, int]:
    """ModelDimensions from a transformers WhisperConfig, refusing what openai-whisper cannot run."""
    if config.get("model_type") != "whisper":
        raise ModelError(
            f"model_type is {config.get('model_type')!r}, not 'whisper'",
            path=path,
            hint="only Whisper models can be converted for openai-whisper",
        )
    d = int(config["d_model"])
    needs = {
        "encoder_ffn_dim": 4 * d,
        "decoder_ffn_dim": 4 * d,
        "activation_function": "gelu",
        "scale_embedding": False,
    }
    for key, value in needs.items():
        if config.get(key, value) != value:
            raise ModelError(
                f"{key} is {config[key]!r}; openai-whisper's architecture needs {value!r}",
                path=path,
            )
    return {
        "n_mels": int(config["num_mel_bins"]),
        "n_audio_ctx": int(config["max_source_positions"]),
        "n_audio_state": d,
        "n_audio_head": int(config["encoder_attention_heads"]),
        "n_audio_layer": int(config["encoder_layers"]),
        "n_vocab": int(config["vocab_size"]),
        "n_text_ctx": int(config["max_target_positions"]),
        "n_text_state": d,
        "n_text_head": int(config["decoder_attention_heads"]),
        "n_text_layer": int(config["decoder_layers"]),
    }


def to_whisper_state_dict(weights: dict[str, np.ndarray], folder: Path) -> dict[str, np.ndarray]:
    """Rename every tensor; a name with no openai-whisper counterpart is an error, not a skip."""
    prefixed = any(k.startswith("model.") for k in weights)
    out: dict[str, np.ndarray] = {}
    for name, arr in weights.items():
        bare = name.removeprefix("model.") if prefixed else name
        if bare == "proj_out.weight":
            continue  # checked against the embedding below
        target = whisper_name(bare)
        if target is None:
            raise ModelError(
                f"tensor {name} has no counterpart in openai-whisper",
                path=folder,
                hint="the model is not a plain Whisper (adapters or extra heads are not supported)",
            )
        out[target] = arr
    proj = weights.get("proj_out.weight")
    embed = out.get("decoder.token_embedding.weight")
    if proj is not None and embed is not None and not np.array_equal(proj, embed):
        raise ModelError(
            "proj_out.weight differs from the token embedding; openai-whisper ties the two",
            path=folder,
        )
    return out


def convert_folder(folder: Path) -> Converted:
    """Read a transformers Whisper folder (config.json, safetensors, generation_config.json)."""
    config_path = folder / "config.json"
    dims = dims_from_config(read_config(config_path), config_path)
    state = to_whisper_state_dict(read_weights(folder), folder)
    generation = folder / "generation_config.json"
    heads = read_config(generation).get("alignment_heads") if generation.is_file() else None
    return Converted(dims, state, heads or None, "transformers")
