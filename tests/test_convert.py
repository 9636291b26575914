"""Converted checkpoints compute what the originals compute: transformers and CTranslate2 to openai-whisper.

Tiny random Whisper models (v2 style: 80 mels, 51865 tokens; v3 style: 128 mels, 51866 tokens) are
built with transformers, converted by videokit, loaded by openai-whisper, and run on the same input.
"""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from tinywhisper import V2_VOCAB, V3_VOCAB, features, hf_outputs, make_hf_whisper, whisper_outputs
from videokit import ct2, hf, models
from videokit.errors import ModelError
from videokit.modelcache import list_cached

pytestmark = pytest.mark.slow  # transformers, torch and whisper imports: seconds, not milliseconds

TOLERANCE = 1e-4  # float32, as the issue demands
STYLES = {"v2": {"n_mels": 80, "vocab": V2_VOCAB}, "v3": {"n_mels": 128, "vocab": V3_VOCAB}}


@pytest.fixture(autouse=True)
def model_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("VIDEOKIT_MODEL_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _max_diffs(model, pt: Path) -> tuple[float, float]:
    mel = features(model)
    enc_hf, logits_hf = hf_outputs(model, mel)
    enc_w, logits_w = whisper_outputs(pt, mel)
    assert enc_w.shape == enc_hf.shape and logits_w.shape == logits_hf.shape
    return float(np.abs(enc_w - enc_hf).max()), float(np.abs(logits_w - logits_hf).max())


def _pairs(mask: bytes, layers: int, heads: int) -> list[list[int]]:
    m = np.frombuffer(gzip.decompress(base64.b85decode(mask)), bool).reshape(layers, heads)
    return [[int(a), int(b)] for a, b in zip(*np.nonzero(m))]


@pytest.mark.parametrize("style", sorted(STYLES))
def test_transformers_checkpoint_converts_exactly(tmp_path, style):
    src = tmp_path / f"hf-{style}"
    model = make_hf_whisper(src, **STYLES[style])
    spec = models.pull(str(src))
    enc, logits = _max_diffs(model, spec.path)
    print(f"\n{style} transformers -> openai-whisper: encoder {enc:.2e}, logits {logits:.2e}")
    assert enc <= TOLERANCE and logits <= TOLERANCE
    # The float32 source is stored as float32: the conversion is a renaming, bit for bit.
    import torch

    stored = torch.load(spec.path, weights_only=True)["model_state_dict"]
    np.testing.assert_array_equal(
        stored["decoder.blocks.2.cross_attn.value.bias"].numpy(),
        model.model.decoder.layers[2].encoder_attn.v_proj.bias.detach().numpy(),
    )


@pytest.mark.parametrize("quantization", ["float32", "float16"])
def test_ctranslate2_checkpoint_converts_exactly(tmp_path, quantization):
    ctranslate2 = pytest.importorskip("ctranslate2")
    src = tmp_path / "hf"
    model = make_hf_whisper(src, **STYLES["v3"])
    out = tmp_path / f"ct2-{quantization}"
    ctranslate2.converters.TransformersConverter(str(src)).convert(
        str(out), quantization=quantization
    )
    # Published CTranslate2 Whisper folders carry their heads in config.json.
    config = json.loads((out / "config.json").read_text())
    config["alignment_heads"] = [[2, 1], [1, 0]]
    (out / "config.json").write_text(json.dumps(config))
    spec = models.pull(str(out))
    if quantization == "float16":
        model = model.half()  # the reference is the same model with its weights rounded alike
    enc, logits = _max_diffs(model, spec.path)
    print(f"\nCTranslate2 {quantization} -> openai-whisper: encoder {enc:.2e}, logits {logits:.2e}")
    assert enc <= TOLERANCE and logits <= TOLERANCE
    assert spec.alignment_heads is not None
    assert _pairs(spec.alignment_heads, 3, 2) == [[1, 0], [2, 1]]


def test_int8_ctranslate2_is_dequantised_to_within_half_a_step(tmp_path):
    ctranslate2 = pytest.importorskip("ctranslate2")
    src, out = tmp_path / "hf", tmp_path / "ct2-int8"
    model = make_hf_whisper(src, **STYLES["v2"])
    ctranslate2.converters.TransformersConverter(str(src)).convert(str(out), quantization="int8")
    converted = ct2.convert_folder(out)
    assert "dequantised" in converted.note
    # Without heads in the source, CTranslate2 writes its guess (whisper's fallback): not real heads.
    assert json.loads((out / "config.json").read_text())["alignment_heads"]
    assert converted.alignment_heads is None
    for ours, theirs in [
        ("decoder.blocks.1.mlp.0.weight", model.model.decoder.layers[1].fc1.weight),
        (
            "encoder.blocks.0.attn.value.weight",
            model.model.encoder.layers[0].self_attn.v_proj.weight,
        ),
        ("decoder.token_embedding.weight", model.model.decoder.embed_tokens.weight),
    ]:
        original = theirs.detach().numpy()
        step = np.abs(original).max(axis=1, keepdims=True) / 127  # CTranslate2's per-row scale
        error = np.abs(converted.state[ours] - original)
        assert (error <= step / 2 * (1 + 1e-5)).all(), ours
        assert error.max() > 0  # it really was quantised: the test can tell
    spec = models.pull(str(out))  # and it loads strictly and runs
    _, logits = _max_diffs(model, spec.path)
    assert np.isfinite(logits)
    (listed,) = list_cached()
    assert "int8/int16 weights dequantised" in listed.source


def test_bfloat16_widens_exactly(tmp_path):
    src = tmp_path / "bf16"
    model = make_hf_whisper(src, dtype="bfloat16")
    weights = hf.read_weights(src)
    original = model.model.encoder.layers[1].fc2.weight.float().detach().numpy()
    np.testing.assert_array_equal(weights["model.encoder.layers.1.fc2.weight"], original)


def test_sharded_checkpoint_reads_every_shard(tmp_path):
    single, sharded = tmp_path / "one", tmp_path / "shards"
    make_hf_whisper(single, seed=3)
    make_hf_whisper(sharded, seed=3, max_shard_size="2MB")
    assert (sharded / hf.WEIGHTS_INDEX).is_file() and not (sharded / hf.WEIGHTS).exists()
    a, b = hf.convert_folder(single).state, hf.convert_folder(sharded).state
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def test_alignment_heads_come_from_the_generation_config(tmp_path):
    from videokit.asr_whisper import WhisperASR

    src = tmp_path / "heads"
    make_hf_whisper(src, heads=[[2, 1], [1, 0]])
    spec = models.pull(str(src))
    assert spec.alignment_heads is not None
    assert _pairs(spec.alignment_heads, 3, 2) == [[1, 0], [2, 1]]
    asr = WhisperASR(spec, device="cpu")  # the loaded model uses exactly these heads
    heads = asr.model.alignment_heads.to_dense().nonzero().tolist()
    assert heads == [[1, 0], [2, 1]]
    (listed,) = list_cached()
    assert listed.heads == "from the checkpoint" and listed.name == str(src.resolve())


def test_missing_heads_use_the_fallback_and_say_so(tmp_path):
    src = tmp_path / "noheads"
    make_hf_whisper(src)
    said: list[str] = []
    spec = models.pull(str(src), log=said.append)
    assert spec.alignment_heads is None
    assert any("rougher" in line for line in said)
    (listed,) = list_cached()
    assert "fallback" in listed.heads and "rougher" in listed.heads


def test_missing_tensor_fails_the_strict_load_and_names_it(tmp_path):
    from safetensors.numpy import save_file

    src = tmp_path / "broken"
    make_hf_whisper(src)
    weights = {k: np.array(v) for k, v in hf.read_weights(src).items()}
    del weights["model.decoder.layers.1.fc2.weight"]
    save_file(weights, str(src / hf.WEIGHTS), metadata={"format": "pt"})
    with pytest.raises(ModelError, match=r"model\.decoder\.layers\.1\.fc2\.weight"):
        models.pull(str(src))


def test_cut_short_weights_name_the_file(tmp_path):
    src = tmp_path / "cut"
    make_hf_whisper(src)
    data = (src / hf.WEIGHTS).read_bytes()
    (src / hf.WEIGHTS).write_bytes(data[: len(data) - 1000])
    with pytest.raises(ModelError, match=r"model\.safetensors is damaged or cut short") as err:
        models.pull(str(src))
    assert err.value.path == src.resolve() / hf.WEIGHTS


def test_other_architectures_are_refused(tmp_path):
    src = tmp_path / "wide"
    make_hf_whisper(src)
    config = json.loads((src / "config.json").read_text())
    config["encoder_ffn_dim"] = 3 * config["d_model"]
    (src / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match="encoder_ffn_dim"):
        models.pull(str(src))


def test_a_changed_folder_is_converted_again(tmp_path):
    src = tmp_path / "tune"
    make_hf_whisper(src, seed=1)
    first = models.resolve(str(src))
    assert models.resolve(str(src)).sha256 == first.sha256  # unchanged: taken from the cache
    make_hf_whisper(src, seed=2)
    second = models.resolve(str(src))
    assert second.sha256 != first.sha256 and second.path == first.path


@pytest.mark.model
def test_whisper_base_round_trips_through_the_transformers_layout(base_model, tmp_path):
    """Real weights at real size: base written in transformers' layout comes back bit for bit."""
    import torch
    from transformers import WhisperConfig, WhisperForConditionalGeneration

    checkpoint = torch.load(base_model.path, weights_only=True)
    dims, state = checkpoint["dims"], checkpoint["model_state_dict"]
    config = WhisperConfig(
        vocab_size=dims["n_vocab"],
        num_mel_bins=dims["n_mels"],
        d_model=dims["n_audio_state"],
        encoder_layers=dims["n_audio_layer"],
        decoder_layers=dims["n_text_layer"],
        encoder_attention_heads=dims["n_audio_head"],
        decoder_attention_heads=dims["n_text_head"],
        encoder_ffn_dim=4 * dims["n_audio_state"],
        decoder_ffn_dim=4 * dims["n_text_state"],
        max_source_positions=dims["n_audio_ctx"],
        max_target_positions=dims["n_text_ctx"],
    )
    model = WhisperForConditionalGeneration(config).eval()
    result = model.load_state_dict(
        {hf.hf_name(k): v.float() for k, v in state.items()}, strict=False
    )
    assert result.unexpected_keys == [] and result.missing_keys == ["proj_out.weight"]  # tied
    model.tie_weights()
    model.save_pretrained(tmp_path / "base-hf")
    spec = models.pull(str(tmp_path / "base-hf"))
    back = torch.load(spec.path, weights_only=True)["model_state_dict"]
    assert back.keys() == state.keys()
    assert all(torch.equal(back[k], state[k].float()) for k in state)
    enc, logits = _max_diffs(model, spec.path)
    print(f"\nbase via transformers layout: encoder {enc:.2e}, logits {logits:.2e}")
    assert enc <= TOLERANCE and logits <= TOLERANCE
