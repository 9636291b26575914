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
) -> Any:
    """Save a random ``WhisperForConditionalGeneration`` to ``folder`` (safetensors) and return it."""
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
        max_source_positions=16,
        max_target_positions=24,
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
