"""The GPU path's precision handling, run on the CPU with a tiny random Whisper.

A GPU runs the model in fp16. That path (half weights, float32 layer norms, half audio features
through batched beam search and the batched alignment pass) is forced here on the CPU, where
fp16 is slow but correct, with a model small enough to decode in seconds. The batch-size and
device decisions are tested in test_engines.py with a stand-in for torch.cuda.
"""

from __future__ import annotations

import numpy as np
import pytest

from videokit.asr import AudioJob, DecodeOptions
from videokit.asr_whisper import WhisperASR
from videokit.models import ModelSpec

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    import torch
    import whisper.model as wm

    # A short text context keeps decoding to 32 tokens a window.
    dims = wm.ModelDimensions(80, 1500, 64, 2, 1, 51865, 64, 64, 2, 2)
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("tiny") / "tiny.pt"
    state = wm.Whisper(dims).state_dict()
    torch.save({"dims": dims.__dict__, "model_state_dict": state}, path)
    return ModelSpec("tiny-random", path, "0" * 64, "file")


def bursts(seconds: list[float]) -> np.ndarray:
    """Noise bursts with a second of silence before each: something for windows to find."""
    rng = np.random.default_rng(0)
    parts = []
    for s in seconds:
        parts += [
            np.zeros(16000, np.float32),
            rng.normal(0, 0.2, int(16000 * s)).astype(np.float32),
        ]
    return np.concatenate(parts)


def test_fp16_weights_keep_float32_norms_and_decode_in_batches(tiny):
    import torch

    asr = WhisperASR(tiny, "cpu", fp16=True, batch_size=2)
    model = asr.model
    assert model.decoder.token_embedding.weight.dtype == torch.float16
    assert model.encoder.conv1.weight.dtype == torch.float16
    norms = [m for m in model.modules() if isinstance(m, torch.nn.LayerNorm)]
    assert norms and all(m.weight.dtype == torch.float32 for m in norms)
    audios = [bursts([2.0, 3.0]), bursts([1.5])]
    options = DecodeOptions(beam_size=2, temperature=(0.0,))
    drafts = asr.transcribe_many([AudioJob(a, options) for a in audios])
    assert [d.duration_ms for d in drafts] == [round(len(a) / 16) for a in audios]
    words = [w for d in drafts for w in d.words]
    assert words, "a random model still emits text, which must get word times"
    for d in drafts:
        assert all(0 <= w.start_ms <= w.end_ms <= d.duration_ms for w in d.words)
        # The first second is silent: no window covers most of it. (A random model in fp16 can
        # produce NaN scores and odd timestamps, so only a coarse bound.)
        assert all(s.start_ms >= 500 for s in d.segments), d.to_json()[:1500]
