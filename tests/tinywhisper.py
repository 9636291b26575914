"""Tiny random Whisper models in transformers' layout, and the two implementations run side by side.

Every weight is drawn at random (transformers would start biases at zero and layer norms at one,
which would let a swapped bias or norm convert "correctly"). The vocabulary is a real Whisper one,
because openai-whisper picks its tokenizer by vocabulary size.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

V2_VOCAB, V3_VOCAB = 51865, 51866
TOKENS = [50258, 50260, 50360, 50364, 440, 1000, 2000, 3000, 50257]


def make_hf_whisper(
    folder: Path,
    *,
    n_mels: int = 80,
    vocab: int = V2_VOCAB,
    d_model: int = 64,
    layers: int = 2,
    heads: list[list[int]] | None = None,
    seed: int = 0,
    dtype: str = "float32",
    max_shard_size: str | None = None,
    audio_ctx: int = 16,
    text_ctx: int = 24,
    tokenizer: Path | None = None,
) -> Any:
    """Save a random ``WhisperForConditionalGeneration`` to ``folder`` (safetensors) and return it.

    The default contexts are tiny (for conversion checks); an engine that cuts 30-s windows needs
    ``audio_ctx=1500, text_ctx=448``. ``tokenizer``: a tokenizer.json to save beside the weights, as
    a hub repository carries one (faster-whisper needs it).
    """
    import torch
    from transformers import WhisperConfig, WhisperForConditionalGeneration

    config = WhisperConfig(
        vocab_size=vocab,
        num_mel_bins=n_mels,
        d_model=d_model,
        encoder_layers=layers,
        decoder_layers=layers + 1,  # unequal depths catch a mix-up of the two
        encoder_attention_heads=4,
        decoder_attention_heads=2,
        encoder_ffn_dim=4 * d_model,
        decoder_ffn_dim=4 * d_model,
        max_source_positions=audio_ctx,
        max_target_positions=text_ctx,
    )
    torch.manual_seed(seed)
    model = WhisperForConditionalGeneration(config).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * 0.2)
    if heads is not None:
        model.generation_config.alignment_heads = heads
    if dtype != "float32":
        model = model.to(getattr(torch, dtype))
    kwargs = {"max_shard_size": max_shard_size} if max_shard_size else {}
    model.save_pretrained(folder, **kwargs)
    if tokenizer is not None:
        (folder / "tokenizer.json").write_bytes(tokenizer.read_bytes())
    return model


def features(model: Any, seed: int = 1) -> Any:
    import torch

    cfg = model.config
    g = torch.Generator().manual_seed(seed)
    return torch.randn(1, cfg.num_mel_bins, 2 * cfg.max_source_positions, generator=g)


def hf_outputs(model: Any, mel: Any) -> tuple[np.ndarray, np.ndarray]:
    """transformers' encoder output and decoder logits, in float32."""
    import torch

    model = model.float()
    tokens = torch.tensor([TOKENS])
    with torch.no_grad():
        enc = model.model.encoder(mel).last_hidden_state
        logits = model(input_features=mel, decoder_input_ids=tokens).logits
    return enc.numpy(), logits.numpy()


def whisper_outputs(checkpoint: Path, mel: Any) -> tuple[np.ndarray, np.ndarray]:
    """openai-whisper's encoder output and decoder logits from a converted checkpoint."""
    import torch
    import whisper

    model = whisper.load_model(str(checkpoint), device="cpu")
    tokens = torch.tensor([TOKENS])
    with torch.no_grad():
        enc = model.encoder(mel)
        logits = model.decoder(tokens, enc)
    return enc.numpy(), logits.numpy()


# The decoder prompt for greedy comparisons: <|startoftranscript|> <|da|> <|transcribe|>
# <|notimestamps|> in a multilingual (51865-token) vocabulary.
DANISH_PROMPT = [50258, 50285, 50359, 50363]
EOT = 50257


def window_features(model: Any, seed: int = 1) -> np.ndarray:
    """A random 30-s spectrogram (3000 frames), what every engine feeds a 1500-position encoder."""
    g = np.random.default_rng(seed)
    n_mels = model.config.num_mel_bins
    return g.standard_normal((1, n_mels, 3000)).astype(np.float32)


def _greedy(step: Any, n: int) -> list[int]:
    tokens = list(DANISH_PROMPT)
    out: list[int] = []
    while len(out) < n:
        token = int(step(tokens))
        if token == EOT:
            break
        out.append(token)
        tokens.append(token)
    return out


def hf_greedy(model: Any, mel: np.ndarray, n: int) -> list[int]:
    """transformers' greedy tokens: the argmax of the logits, step by step (nothing suppressed)."""
    import torch

    model = model.float()
    x = torch.from_numpy(mel)
    with torch.no_grad():
        enc = model.model.encoder(x).last_hidden_state

        def step(tokens: list[int]) -> int:
            out = model(encoder_outputs=(enc,), decoder_input_ids=torch.tensor([tokens]))
            return int(out.logits[0, -1].argmax())

        return _greedy(step, n)


def whisper_greedy(checkpoint: Path, mel: np.ndarray, n: int) -> list[int]:
    """openai-whisper's greedy tokens from a converted checkpoint, the same way."""
    import torch
    import whisper

    model = whisper.load_model(str(checkpoint), device="cpu")
    with torch.no_grad():
        enc = model.encoder(torch.from_numpy(mel))

        def step(tokens: list[int]) -> int:
            return int(model.decoder(torch.tensor([tokens]), enc)[0, -1].argmax())

        return _greedy(step, n)


def ct2_greedy(folder: Path, mel: np.ndarray, n: int, compute_type: str = "float32") -> list[int]:
    """CTranslate2's greedy tokens from its folder, with nothing suppressed, as above."""
    import ctranslate2

    model = ctranslate2.models.Whisper(str(folder), device="cpu", compute_type=compute_type)
    result = model.generate(
        ctranslate2.StorageView.from_array(mel),
        [DANISH_PROMPT],
        beam_size=1,
        # Measured: CTranslate2 stopped at half of max_length here; ask for room to spare.
        max_length=min(448, 2 * (n + len(DANISH_PROMPT))),
        suppress_blank=False,
        suppress_tokens=[],
    )[0]
    return [t for t in result.sequences_ids[0] if t != EOT][:n]


DANISH_TEXT = " Det er en god dag i København, og solen skinner over havnen"


def whisper_word_times(checkpoint: Path, heads: bytes | None, mel: np.ndarray) -> list[Any]:
    """openai-whisper's word times (seconds) for DANISH_TEXT, forced through the model."""
    import torch
    import whisper
    from whisper.timing import find_alignment
    from whisper.tokenizer import get_tokenizer

    model = whisper.load_model(str(checkpoint), device="cpu")
    if heads is not None:
        model.set_alignment_heads(heads)
    tok = get_tokenizer(True, num_languages=model.num_languages, language="da", task="transcribe")
    with torch.no_grad():
        words = find_alignment(
            model, tok, tok.encode(DANISH_TEXT), torch.from_numpy(mel[0]), mel.shape[-1]
        )
    return [(w.word, w.start, w.end) for w in words]


def ct2_word_times(folder: Path, mel: np.ndarray, compute_type: str = "float32") -> list[Any]:
    """faster-whisper's word times for the same text, from the model's alignment heads."""
    from faster_whisper import WhisperModel
    from faster_whisper.tokenizer import Tokenizer

    model = WhisperModel(str(folder), device="cpu", compute_type=compute_type)
    tok = Tokenizer(model.hf_tokenizer, True, task="transcribe", language="da")
    encoded = model.encode(mel[0])
    (words,) = model.find_alignment(tok, [tok.encode(DANISH_TEXT)], encoded, mel.shape[-1])
    return [(w["word"], float(w["start"]), float(w["end"])) for w in words]
