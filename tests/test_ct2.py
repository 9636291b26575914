"""The CTranslate2 reader and name mapping, on a tiny model written here (no weights needed)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from videokit import ct2
from videokit.errors import ModelError

D, HEADS, VOCAB, MELS, ACTX, TCTX = 8, 2, 11, 4, 6, 5
FF = 4 * D  # whisper fixes the MLP width at 4 x d_model


def _string(s: str) -> bytes:
    b = s.encode() + b"\0"
    return struct.pack("<H", len(b)) + b


def _var(name: str, arr: np.ndarray) -> bytes:
    code = {np.dtype("<f2"): 4, np.dtype("<f4"): 0, np.dtype("i1"): 1, np.dtype("<i2"): 2}[
        arr.dtype
    ]
    out = _string(name) + struct.pack("<B", arr.ndim)
    out += b"".join(struct.pack("<I", d) for d in arr.shape)
    return out + struct.pack("<BI", code, arr.nbytes) + arr.tobytes()


def tiny_variables(rng: np.random.Generator, layers: int = 1) -> dict[str, np.ndarray]:
    f = lambda *shape: rng.standard_normal(shape).astype("<f2")  # noqa: E731
    v: dict[str, np.ndarray] = {
        "encoder/conv1/weight": f(D, MELS, 3),
        "encoder/conv1/bias": f(D),
        "encoder/conv2/weight": f(D, D, 3),
        "encoder/conv2/bias": f(D),
        "encoder/position_encodings/encodings": f(ACTX, D),
        "encoder/layer_norm/gamma": f(D),
        "encoder/layer_norm/beta": f(D),
        "decoder/embeddings/weight": f(VOCAB, D),
        "decoder/position_encodings/encodings": f(TCTX, D),
        "decoder/layer_norm/gamma": f(D),
        "decoder/layer_norm/beta": f(D),
        "encoder/num_heads": np.array(HEADS, "<i2"),
        "decoder/num_heads": np.array(HEADS, "<i2"),
        "decoder/activation": np.array(3, "i1"),
        "decoder/pre_norm": np.array(1, "i1"),
        "decoder/scale_embeddings": np.array(0, "i1"),
        "decoder/alibi": np.array(0, "i1"),
    }
    blocks = [("encoder", "self_attention")] + [
        ("decoder", "self_attention"),
        ("decoder", "attention"),
    ]
    for i in range(layers):
        for side, attn in blocks:
            p = f"{side}/layer_{i}/{attn}"
            v[f"{p}/layer_norm/gamma"], v[f"{p}/layer_norm/beta"] = f(D), f(D)
            if attn == "self_attention":
                v[f"{p}/linear_0/weight"], v[f"{p}/linear_0/bias"] = f(3 * D, D), f(3 * D)
                v[f"{p}/linear_1/weight"], v[f"{p}/linear_1/bias"] = f(D, D), f(D)
            else:
                v[f"{p}/linear_0/weight"], v[f"{p}/linear_0/bias"] = f(D, D), f(D)
                v[f"{p}/linear_1/weight"], v[f"{p}/linear_1/bias"] = f(2 * D, D), f(2 * D)
                v[f"{p}/linear_2/weight"], v[f"{p}/linear_2/bias"] = f(D, D), f(D)
        for side in ("encoder", "decoder"):
            p = f"{side}/layer_{i}/ffn"
            v[f"{p}/layer_norm/gamma"], v[f"{p}/layer_norm/beta"] = f(D), f(D)
            v[f"{p}/linear_0/weight"], v[f"{p}/linear_0/bias"] = f(FF, D), f(FF)
            v[f"{p}/linear_1/weight"], v[f"{p}/linear_1/bias"] = f(D, FF), f(D)
    return v


def write_model_bin(
    path: Path,
    variables: dict[str, np.ndarray],
    spec: str = "WhisperSpec",
    aliases: dict[str, str] | None = None,
) -> Path:
    body = struct.pack("<I", 6) + _string(spec) + struct.pack("<II", 3, len(variables))
    body += b"".join(_var(k, a) for k, a in variables.items())
    aliases = aliases or {}
    body += struct.pack("<I", len(aliases))
    body += b"".join(_string(a) + _string(t) for a, t in aliases.items())
    path.write_bytes(body)
    return path


@pytest.fixture
def tiny(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    v = tiny_variables(np.random.default_rng(0), layers=2)
    return write_model_bin(
        tmp_path / "model.bin",
        v,
        aliases={"decoder/projection/weight": "decoder/embeddings/weight"},
    ), v


def test_reads_every_variable_and_alias(tiny):
    path, v = tiny
    m = ct2.read_model_bin(path)
    assert m.spec_name == "WhisperSpec" and m.spec_revision == 3
    for name, arr in v.items():
        np.testing.assert_array_equal(m.variables[name], arr)
    assert m.variables["decoder/projection/weight"] is m.variables["decoder/embeddings/weight"]


def test_dims_come_from_the_weights(tiny):
    dims = ct2.infer_dims(ct2.read_model_bin(tiny[0]))
    assert dims.as_dict() == {
        "n_mels": MELS,
        "n_audio_ctx": ACTX,
        "n_audio_state": D,
        "n_audio_head": HEADS,
        "n_audio_layer": 2,
        "n_vocab": VOCAB,
        "n_text_ctx": TCTX,
        "n_text_state": D,
        "n_text_head": HEADS,
        "n_text_layer": 2,
    }


def test_fused_projections_are_split_and_key_bias_dropped(tiny):
    path, v = tiny
    m = ct2.read_model_bin(path)
    sd = ct2.to_whisper_state_dict(m, ct2.infer_dims(m))
    fused = v["encoder/layer_1/self_attention/linear_0/weight"]
    np.testing.assert_array_equal(sd["encoder.blocks.1.attn.query.weight"], fused[:D])
    np.testing.assert_array_equal(sd["encoder.blocks.1.attn.key.weight"], fused[D : 2 * D])
    np.testing.assert_array_equal(sd["encoder.blocks.1.attn.value.weight"], fused[2 * D :])
    assert "encoder.blocks.1.attn.key.bias" not in sd
    kv = v["decoder/layer_0/attention/linear_1/weight"]
    np.testing.assert_array_equal(sd["decoder.blocks.0.cross_attn.key.weight"], kv[:D])
    np.testing.assert_array_equal(sd["decoder.blocks.0.cross_attn.value.weight"], kv[D:])
    np.testing.assert_array_equal(
        sd["decoder.blocks.0.cross_attn.value.bias"],
        v["decoder/layer_0/attention/linear_1/bias"][D:],
    )
    assert "decoder.blocks.0.cross_attn.key.bias" not in sd


def test_state_dict_loads_strictly_into_openai_whisper(tiny):
    torch = pytest.importorskip("torch")
    wm = pytest.importorskip("whisper.model")
    m = ct2.read_model_bin(tiny[0])
    dims = ct2.infer_dims(m)
    sd = {
        k: torch.from_numpy(np.array(a, dtype=np.float32))
        for k, a in ct2.to_whisper_state_dict(m, dims).items()
    }
    wm.Whisper(wm.ModelDimensions(**dims.as_dict())).load_state_dict(sd, strict=True)


def test_truncated_file_is_a_model_error(tiny, tmp_path):
    cut = tmp_path / "cut.bin"
    cut.write_bytes(tiny[0].read_bytes()[:-100])
    with pytest.raises(ModelError, match="not a valid CTranslate2"):
        ct2.read_model_bin(cut)


@pytest.mark.parametrize(
    "name,value,needed", [("decoder/pre_norm", 0, "pre_norm"), ("decoder/activation", 1, "GELU")]
)
def test_other_architectures_are_refused(tmp_path, name, value, needed):
    v = tiny_variables(np.random.default_rng(1))
    v[name] = np.array(value, "i1")
    m = ct2.read_model_bin(write_model_bin(tmp_path / "m.bin", v))
    with pytest.raises(ModelError, match=needed):
        ct2.check_spec(m, tmp_path / "m.bin")


def test_other_spec_is_refused(tmp_path):
    m = ct2.read_model_bin(
        write_model_bin(
            tmp_path / "m.bin", tiny_variables(np.random.default_rng(2)), spec="TransformerSpec"
        )
    )
    with pytest.raises(ModelError, match="WhisperSpec"):
        ct2.check_spec(m, tmp_path / "m.bin")


def test_bfloat16_variables_widen_exactly(tmp_path):
    values = np.array([1.0, -2.5, 3.140625, 0.0078125], np.float32)
    upper = (values.view(np.uint32) >> 16).astype("<u2")  # these values are exact in bfloat16
    body = struct.pack("<I", 6) + _string("WhisperSpec") + struct.pack("<II", 3, 1)
    body += _string("x") + struct.pack("<BI", 1, 4) + struct.pack("<BI", 5, 8) + upper.tobytes()
    body += struct.pack("<I", 0)
    (tmp_path / "m.bin").write_bytes(body)
    read = ct2.read_model_bin(tmp_path / "m.bin").variables["x"]
    assert read.dtype == np.float32
    np.testing.assert_array_equal(read, values)


def test_int8_weights_are_dequantised_per_row(tiny, tmp_path):
    _, v = tiny
    w = v["decoder/layer_1/ffn/linear_0/weight"].astype(np.float32)
    scale = (127 / np.abs(w).max(axis=1)).astype(np.float32)
    q = np.round(w * scale[:, None]).astype(np.int8)
    quantised = dict(v)
    quantised["decoder/layer_1/ffn/linear_0/weight"] = q
    quantised["decoder/layer_1/ffn/linear_0/weight_scale"] = scale
    m = ct2.read_model_bin(write_model_bin(tmp_path / "q.bin", quantised))
    assert ct2.is_quantised(m)
    sd = ct2.to_whisper_state_dict(m, ct2.infer_dims(m))
    np.testing.assert_allclose(sd["decoder.blocks.1.mlp.0.weight"], q / scale[:, None], rtol=1e-6)
    assert np.abs(sd["decoder.blocks.1.mlp.0.weight"] - w).max() <= (0.5 / scale).max() * 1.001


def test_an_untied_output_projection_is_refused(tmp_path):
    v = tiny_variables(np.random.default_rng(3))
    v["decoder/projection/weight"] = v["decoder/embeddings/weight"] * 2
    m = ct2.read_model_bin(write_model_bin(tmp_path / "m.bin", v))
    with pytest.raises(ModelError, match="ties"):
        ct2.to_whisper_state_dict(m, ct2.infer_dims(m))


def test_folder_heads_from_config_and_ct2s_own_guess_is_no_heads(tiny):
    path, _ = tiny
    config = path.parent / "config.json"
    config.write_text('{"alignment_heads": [[1, 0]]}')
    assert ct2.convert_folder(path.parent).alignment_heads == [[1, 0]]
    # What CTranslate2 writes when it knows none: every head of the last half of the layers.
    config.write_text('{"alignment_heads": [[1, 0], [1, 1]]}')
    assert ct2.convert_folder(path.parent).alignment_heads is None
