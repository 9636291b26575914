"""Model provisioning: the offline base build, official names, local files, and their failures."""

from __future__ import annotations

import base64
import gzip
import json
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

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
