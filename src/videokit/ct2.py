"""Read a CTranslate2 Whisper ``model.bin`` and map it onto openai-whisper's state-dict names.

Many Whisper models (the registry's base, faster-whisper's conversions) exist only in CTranslate2's
layout. The weights are the same numbers under other names, with the attention projections fused;
this module undoes that with numpy alone, so it can be tested without torch. Any size converts;
float32, float16 and bfloat16 weights are kept exactly (bfloat16 widened to float32), and int8/int16
weights are dequantised the way CTranslate2 itself reads them (``value / weight_scale`` per row), so
the result is as good as the quantised model, not as the float model it came from. The layout (see
CTranslate2's ``models/model.cc``):

    uint32 version; string spec_name; uint32 spec_revision; uint32 n_variables;
    n_variables x (string name, uint8 rank, rank x uint32 dims, uint8 dtype, uint32 nbytes, raw bytes);
    uint32 n_aliases; n_aliases x (string alias, string target)

where ``string`` is a uint16 byte length followed by the bytes and a terminating NUL.
"""

from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .checkpoint import Converted
from .errors import ModelError

# CTranslate2's DataType enum, as far as Whisper checkpoints use it (5, bfloat16, is read as uint16).
_DTYPES: dict[int, np.dtype] = {
    0: np.dtype("<f4"),
    1: np.dtype("i1"),
    2: np.dtype("<i2"),
    3: np.dtype("<i4"),
    4: np.dtype("<f2"),
    5: np.dtype("<u2"),
}
_BFLOAT16 = 5


@dataclass(frozen=True)
class Ct2Model:
    spec_name: str
    spec_revision: int
    variables: dict[str, np.ndarray]


def _read(f: BinaryIO, fmt: str) -> int:
    size = struct.calcsize(fmt)
    data = f.read(size)
    if len(data) != size:
        raise EOFError("model.bin ends early")
    value: int = struct.unpack(fmt, data)[0]
    return value


def _read_string(f: BinaryIO) -> str:
    length = _read(f, "<H")
    return f.read(length).rstrip(b"\0").decode("utf-8")


def read_model_bin(path: Path) -> Ct2Model:
    """Parse the whole file; aliases become extra names pointing at the same array."""
    try:
        with path.open("rb") as f:
            version = _read(f, "<I")
            if version < 5:
                raise ModelError(f"CTranslate2 format version {version} is too old", path=path)
            spec = _read_string(f)
            revision = _read(f, "<I")
            variables: dict[str, np.ndarray] = {}
            for _ in range(_read(f, "<I")):
                name = _read_string(f)
                rank = _read(f, "<B")
                dims = tuple(_read(f, "<I") for _ in range(rank))
                dtype_id = _read(f, "<B")
                nbytes = _read(f, "<I")
                if dtype_id not in _DTYPES:
                    raise ModelError(f"variable {name} has unsupported dtype {dtype_id}", path=path)
                raw = f.read(nbytes)
                if len(raw) != nbytes:
                    raise EOFError(f"variable {name} is cut short")
                arr = np.frombuffer(raw, _DTYPES[dtype_id])
                if dtype_id == _BFLOAT16:  # the upper half of a float32: widening is exact
                    arr = (arr.astype(np.uint32) << 16).view(np.float32)
                variables[name] = arr.reshape(dims)
            for _ in range(_read(f, "<I")):
                alias, target = _read_string(f), _read_string(f)
                variables[alias] = variables[target]
    except (EOFError, UnicodeDecodeError, ValueError) as err:
        raise ModelError(
            f"not a valid CTranslate2 model.bin: {err}",
            path=path,
            hint="the file is damaged or cut short: delete it and pull the model again",
        ) from None
    return Ct2Model(spec, revision, variables)


@dataclass(frozen=True)
class WhisperDims:
    """openai-whisper's ModelDimensions, derived from the weights rather than trusted from a file."""

    n_mels: int
    n_audio_ctx: int
    n_audio_state: int
    n_audio_head: int
    n_audio_layer: int
    n_vocab: int
    n_text_ctx: int
    n_text_state: int
    n_text_head: int
    n_text_layer: int

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def _n_layers(names: set[str], prefix: str) -> int:
    found = {int(m.group(1)) for n in names if (m := re.match(rf"{prefix}/layer_(\d+)/", n))}
    return max(found) + 1 if found else 0


def _scalar(model: Ct2Model, name: str) -> float | None:
    value = model.variables.get(name)
    return None if value is None else float(np.asarray(value).reshape(-1)[0])


def check_spec(model: Ct2Model, path: Path) -> None:
    """Refuse a checkpoint whose architecture differs from openai-whisper's (same numbers, other maths)."""
    if model.spec_name != "WhisperSpec":
        raise ModelError(f"expected a WhisperSpec model, found {model.spec_name}", path=path)
    expected = {"pre_norm": 1.0, "scale_embeddings": 0.0, "alibi": 0.0}
    for name, value in model.variables.items():
        leaf = name.rsplit("/", 1)[-1]
        scalar = float(np.asarray(value).reshape(-1)[0]) if np.asarray(value).size == 1 else None
        if leaf in expected and scalar is not None and scalar != expected[leaf]:
            raise ModelError(f"{name} is {value}, openai-whisper needs {expected[leaf]}", path=path)
        # CTranslate2's ActivationType: 3 is exact GELU, which openai-whisper uses.
        if leaf == "activation" and int(np.asarray(value).reshape(-1)[0]) != 3:
            raise ModelError(f"{name} is not GELU", path=path)


def infer_dims(model: Ct2Model) -> WhisperDims:
    v = model.variables
    names = set(v)
    n_audio_head, n_text_head = (
        _scalar(model, "encoder/num_heads"),
        _scalar(model, "decoder/num_heads"),
    )
    if n_audio_head is None or n_text_head is None:
        raise ModelError("model.bin does not say how many attention heads it has")
    conv1 = v["encoder/conv1/weight"]
    return WhisperDims(
        n_mels=int(conv1.shape[1]),
        n_audio_ctx=int(v["encoder/position_encodings/encodings"].shape[0]),
        n_audio_state=int(conv1.shape[0]),
        n_audio_head=int(n_audio_head),
        n_audio_layer=_n_layers(names, "encoder"),
        n_vocab=int(v["decoder/embeddings/weight"].shape[0]),
        n_text_ctx=int(v["decoder/position_encodings/encodings"].shape[0]),
        n_text_state=int(v["decoder/embeddings/weight"].shape[1]),
        n_text_head=int(n_text_head),
        n_text_layer=_n_layers(names, "decoder"),
    )


def _split_attention(
    out: dict[str, np.ndarray], v: dict[str, np.ndarray], src: str, dst: str, parts: tuple[str, ...]
) -> None:
    """Split a fused projection into openai's separate ones; openai's key has no bias."""
    weight = v[f"{src}/weight"]
    bias = v.get(f"{src}/bias")
    chunk = weight.shape[0] // len(parts)
    for i, part in enumerate(parts):
        out[f"{dst}.{part}.weight"] = weight[i * chunk : (i + 1) * chunk]
        if bias is not None and part != "key":
            out[f"{dst}.{part}.bias"] = bias[i * chunk : (i + 1) * chunk]


def _linear(out: dict[str, np.ndarray], v: dict[str, np.ndarray], src: str, dst: str) -> None:
    out[f"{dst}.weight"] = v[f"{src}/weight"]
    if f"{src}/bias" in v:
        out[f"{dst}.bias"] = v[f"{src}/bias"]


def _norm(out: dict[str, np.ndarray], v: dict[str, np.ndarray], src: str, dst: str) -> None:
    out[f"{dst}.weight"] = v[f"{src}/gamma"]
    out[f"{dst}.bias"] = v[f"{src}/beta"]


def dequantised(variables: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Integer weights back to float32 as CTranslate2 reads them: ``q / scale``, one scale per row."""
    out = dict(variables)
    for name, scale in variables.items():
        if not name.endswith("/weight_scale"):
            continue
        weight = name.removesuffix("_scale")
        q = variables[weight]
        if q.dtype.kind != "i":
            continue
        scale = np.asarray(scale, np.float32)
        out[weight] = q.astype(np.float32) / scale.reshape(
            scale.shape + (1,) * (q.ndim - scale.ndim)
        )
        del out[name]
    return out


def is_quantised(model: Ct2Model) -> bool:
    return any(n.endswith("/weight_scale") for n in model.variables)


def _check_tied(v: dict[str, np.ndarray]) -> None:
    """openai-whisper has no output projection of its own: it must be the embedding (an alias)."""
    ties = [("decoder/projection/weight", "decoder/embeddings/weight")]
    if "decoder/projection/weight_scale" in v:
        ties.append(("decoder/projection/weight_scale", "decoder/embeddings/weight_scale"))
    for proj, embed in ties:
        if proj in v and not (v[proj] is v[embed] or np.array_equal(v[proj], v[embed])):
            raise ModelError(f"{proj} differs from {embed}; openai-whisper ties the two")


def to_whisper_state_dict(model: Ct2Model, dims: WhisperDims) -> dict[str, np.ndarray]:
    """Every openai-whisper parameter and buffer, named as ``whisper.model.Whisper`` names them."""
    _check_tied(model.variables)
    v = dequantised(model.variables)
    out: dict[str, np.ndarray] = {}
    for conv in ("conv1", "conv2"):
        _linear(out, v, f"encoder/{conv}", f"encoder.{conv}")
    out["encoder.positional_embedding"] = v["encoder/position_encodings/encodings"]
    for i in range(dims.n_audio_layer):
        s, d = f"encoder/layer_{i}", f"encoder.blocks.{i}"
        _norm(out, v, f"{s}/self_attention/layer_norm", f"{d}.attn_ln")
        _split_attention(
            out, v, f"{s}/self_attention/linear_0", f"{d}.attn", ("query", "key", "value")
        )
        _linear(out, v, f"{s}/self_attention/linear_1", f"{d}.attn.out")
        _norm(out, v, f"{s}/ffn/layer_norm", f"{d}.mlp_ln")
        _linear(out, v, f"{s}/ffn/linear_0", f"{d}.mlp.0")
        _linear(out, v, f"{s}/ffn/linear_1", f"{d}.mlp.2")
    _norm(out, v, "encoder/layer_norm", "encoder.ln_post")

    out["decoder.token_embedding.weight"] = v["decoder/embeddings/weight"]
    out["decoder.positional_embedding"] = v["decoder/position_encodings/encodings"]
    for i in range(dims.n_text_layer):
        s, d = f"decoder/layer_{i}", f"decoder.blocks.{i}"
        _norm(out, v, f"{s}/self_attention/layer_norm", f"{d}.attn_ln")
        _split_attention(
            out, v, f"{s}/self_attention/linear_0", f"{d}.attn", ("query", "key", "value")
        )
        _linear(out, v, f"{s}/self_attention/linear_1", f"{d}.attn.out")
        _norm(out, v, f"{s}/attention/layer_norm", f"{d}.cross_attn_ln")
        _linear(out, v, f"{s}/attention/linear_0", f"{d}.cross_attn.query")
        _split_attention(out, v, f"{s}/attention/linear_1", f"{d}.cross_attn", ("key", "value"))
        _linear(out, v, f"{s}/attention/linear_2", f"{d}.cross_attn.out")
        _norm(out, v, f"{s}/ffn/layer_norm", f"{d}.mlp_ln")
        _linear(out, v, f"{s}/ffn/linear_0", f"{d}.mlp.0")
        _linear(out, v, f"{s}/ffn/linear_1", f"{d}.mlp.2")
    _norm(out, v, "decoder/layer_norm", "decoder.ln")
    return out


def _ct2_default_heads(dims: WhisperDims) -> list[list[int]]:
    """What CTranslate2's converter writes when the source has no heads: the last half, all heads."""
    return [
        [layer, head]
        for layer in range(dims.n_text_layer // 2, dims.n_text_layer)
        for head in range(dims.n_text_head)
    ]


def convert_folder(folder: Path) -> Converted:
    """A CTranslate2 Whisper folder (``model.bin`` and ``config.json``) in openai-whisper's terms."""
    path = folder / "model.bin"
    model = read_model_bin(path)
    check_spec(model, path)
    dims = infer_dims(model)
    config = folder / "config.json"
    heads: list[list[int]] | None = None
    if config.is_file():
        try:
            heads = json.loads(config.read_text(encoding="utf-8")).get("alignment_heads")
        except ValueError as err:
            raise ModelError(f"config.json is not JSON: {err}", path=config) from None
    # CTranslate2 fills in its guess when the source had none; that guess is whisper's fallback.
    if heads is not None and sorted(map(list, heads)) == _ct2_default_heads(dims):
        heads = None
    note = "int8/int16 weights dequantised" if is_quantised(model) else ""
    return Converted(
        dims.as_dict(), to_whisper_state_dict(model, dims), heads or None, "ctranslate2", note
    )
