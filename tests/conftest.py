from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings

# Properties are about what is true, not how fast: on two shared cores a single example can take
# longer than Hypothesis's 200-ms deadline and fail a run for no reason.
settings.register_profile("videokit", deadline=None)
settings.load_profile("videokit")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

# Quiet, offline-clean Prefect for every test that touches it.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")


@pytest.fixture(scope="session")
def base_model():
    """The real Whisper base, provisioned offline (converted once, then taken from the cache)."""
    from videokit import models

    return models.resolve("base")


@pytest.fixture(scope="session")
def whisper_tokenizer(base_model, tmp_path_factory):
    """A multilingual Whisper tokenizer.json (base's, 51865 tokens), as hub repositories carry one."""
    from videokit import models

    copy = tmp_path_factory.mktemp("tokenizer") / "tokenizer.json"
    copy.write_bytes((models.ct2_dir(base_model) / "tokenizer.json").read_bytes())
    return copy


@pytest.fixture(scope="session")
def whisper_base(base_model):
    from videokit.asr_whisper import WhisperASR

    return WhisperASR(base_model)


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
