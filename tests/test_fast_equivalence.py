"""The CTranslate2 twin computes what the original and the openai-whisper conversion compute.

Tiny random Whisper models with both spectrogram sizes (80 mels as up to large-v2, 128 as large-v3;
both with the 51865-token vocabulary whose tokenizer is available offline) and real context sizes
(30-s windows, 448 text positions) are saved with transformers, pulled as local folders (which makes
the openai-whisper checkpoint and, through CTranslate2's own converter, the CTranslate2 twin), and run
on the same random spectrogram: greedy tokens with nothing suppressed, and the word times of a forced
Danish sentence from the alignment heads.
"""

from __future__ import annotations

import pytest

from tinywhisper import (
    ct2_greedy,
    ct2_word_times,
    hf_greedy,
    make_hf_whisper,
    whisper_greedy,
    whisper_word_times,
    window_features,
)
from videokit import models

pytestmark = [pytest.mark.slow, pytest.mark.model]  # the tokenizer comes from the registry's base

TOKENS = 40
WORD_TOLERANCE_S = 0.020
HEADS = [[1, 0], [2, 1]]  # not the converter's default (all heads of layers 1-2)


@pytest.fixture(scope="module", params=[80, 128], ids=lambda n: f"{n}mels")
def pulled(request, tmp_path_factory, whisper_tokenizer):
    root = tmp_path_factory.mktemp(f"eq{request.param}")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VIDEOKIT_MODEL_DIR", str(root / "cache"))
        model = make_hf_whisper(
            root / "model",
            n_mels=request.param,
            d_model=64,
            layers=2,
            heads=HEADS,
            audio_ctx=1500,
            text_ctx=448,
            tokenizer=whisper_tokenizer,
        )
        spec = models.pull(str(root / "model"))
        yield model, spec, models.ct2_dir(spec), window_features(model)


def test_float32_greedy_tokens_are_the_same_on_all_three(pulled):
    model, spec, folder, mel = pulled
    theirs = hf_greedy(model, mel, TOKENS)
    assert len(theirs) == TOKENS  # a random model never says end-of-text this early: a real check
    assert whisper_greedy(spec.path, mel, TOKENS) == theirs
    assert ct2_greedy(folder, mel, TOKENS) == theirs


def test_float32_word_times_agree_within_20_ms(pulled):
    _model, spec, folder, mel = pulled
    ours = whisper_word_times(spec.path, spec.alignment_heads, mel)
    fast = ct2_word_times(folder, mel)
    assert [w for w, _, _ in fast] == [w for w, _, _ in ours] and len(ours) >= 10
    for (_, a0, a1), (_, b0, b1) in zip(ours, fast):
        assert abs(a0 - b0) <= WORD_TOLERANCE_S and abs(a1 - b1) <= WORD_TOLERANCE_S


def test_int8_agreement_is_measured_and_reported(pulled, capsys):
    model, _spec, folder, mel = pulled
    theirs = hf_greedy(model, mel, TOKENS)
    quantised = ct2_greedy(folder, mel, TOKENS, "int8")
    same = sum(a == b for a, b in zip(theirs, quantised))
    prefix = next((i for i, (a, b) in enumerate(zip(theirs, quantised)) if a != b), TOKENS)
    with capsys.disabled():
        print(
            f"\n{model.config.num_mel_bins} mels, int8 vs float32: {same}/{TOKENS} greedy tokens "
            f"agree, the first {prefix} in a row"
        )
    # int8 must still be the same model (its first token), not an assumed-equal one.
    assert quantised[0] == theirs[0] and len(quantised) == TOKENS
