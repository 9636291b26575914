"""What each Whisper architecture costs on this machine: real-time factor and peak memory per engine.

Run from the repository root (each measurement in a fresh process, so memory peaks are its own):

    .venv/bin/python bench/models.py [--archs base,small] [--seconds 60] [--threads 2]
        [--settings ow-seq,ow-batched,fw-int8] [--tokens-per-second 4] [--markdown]

**The weights are random**, in the real shapes of base, small, large-v3-turbo and large-v3 (all with
the 51865-token vocabulary whose tokenizer is available offline; v3's one token more changes
nothing measurable). Random weights read no speech, so the amount of decoding is forced instead:
every 30-s window decodes exactly ``--tokens-per-second`` x 30 tokens (the end-of-text and other
special tokens are suppressed; 4 tokens/s is fluent Danish speech in Whisper's tokens), with
beam 5 (videokit's default) and word times from the alignment heads, as a real draft has. What is
not modelled: the temperature fallback re-reading a window, and windows that are partly silent.

Settings:

- ``ow-seq``: openai-whisper, float32, one window after the other (``[asr] batched = false``);
- ``ow-batched``: openai-whisper, float32, 8 windows per batch (``batched = true``);
- ``fw-int8``: faster-whisper (CTranslate2) int8, one window after the other;
- ``fw-int8-batched``: the same, 8 windows per batch (only when named in ``--settings``).

Printed per row: load seconds, decoding wall seconds, real-time factor (wall seconds per second of
audio), CPU seconds per audio second (what the work costs whatever else the machine is doing: on a
shared machine the wall clock also counts other people's work), and the process's peak resident
memory. The CTranslate2 folders are converted once (CTranslate2's own converter) into
``$XDG_CACHE_HOME/videokit/bench-models``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ARCHS: dict[str, dict[str, int]] = {
    # n_mels, width, heads, encoder layers, decoder layers (openai-whisper's ModelDimensions)
    "base": {"n_mels": 80, "state": 512, "heads": 8, "enc": 6, "dec": 6},
    "small": {"n_mels": 80, "state": 768, "heads": 12, "enc": 12, "dec": 12},
    "large-v3-turbo": {"n_mels": 128, "state": 1280, "heads": 20, "enc": 32, "dec": 4},
    "large-v3": {"n_mels": 128, "state": 1280, "heads": 20, "enc": 32, "dec": 32},
}
SETTINGS = ("ow-seq", "ow-batched", "fw-int8", "fw-int8-batched")
VOCAB = 51865
BEAM = 5
BATCH = 8
WINDOW_S = 30
FRAMES = 3000  # mel frames per 30-s window
# <|startoftranscript|> <|da|> <|transcribe|> <|notimestamps|>
PROMPT = [50258, 50285, 50359, 50363]
EOT = 50257
SPECIAL = list(range(EOT, VOCAB))  # suppressed: text tokens only, never the end


def dims(arch: str) -> dict[str, int]:
    a = ARCHS[arch]
    return {
        "n_mels": a["n_mels"],
        "n_audio_ctx": 1500,
        "n_audio_state": a["state"],
        "n_audio_head": a["heads"],
        "n_audio_layer": a["enc"],
        "n_vocab": VOCAB,
        "n_text_ctx": 448,
        "n_text_state": a["state"],
        "n_text_head": a["heads"],
        "n_text_layer": a["dec"],
    }


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "videokit" / "bench-models"


def tokenizer_json() -> Path:
    from videokit import models

    return models.ct2_dir(models.resolve("base")) / "tokenizer.json"


def ct2_folder(arch: str) -> Path:
    """A random transformers Whisper of ``arch``'s shape, converted by CTranslate2 to int8, once."""
    folder = cache_root() / f"{arch}-int8"
    if (folder / "model.bin").is_file():
        return folder
    import shutil
    import tempfile

    import torch
    from ctranslate2.converters import TransformersConverter
    from transformers import WhisperConfig, WhisperForConditionalGeneration

    d = dims(arch)
    config = WhisperConfig(
        vocab_size=VOCAB,
        num_mel_bins=d["n_mels"],
        d_model=d["n_audio_state"],
        encoder_layers=d["n_audio_layer"],
        decoder_layers=d["n_text_layer"],
        encoder_attention_heads=d["n_audio_head"],
        decoder_attention_heads=d["n_text_head"],
        encoder_ffn_dim=4 * d["n_audio_state"],
        decoder_ffn_dim=4 * d["n_text_state"],
        max_source_positions=1500,
        max_target_positions=448,
    )
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent) as tmp:
        src = Path(tmp) / "hf"
        torch.manual_seed(0)
        # float16 halves what large-v3 needs to be built; the int8 conversion does not care.
        model = WhisperForConditionalGeneration(config).half()
        model.save_pretrained(src)
        del model
        shutil.copyfile(tokenizer_json(), src / "tokenizer.json")
        out = Path(tmp) / "ct2"
        TransformersConverter(str(src), copy_files=["tokenizer.json"]).convert(
            str(out), quantization="int8"
        )
        os.replace(out, folder)
    return folder


def features(arch: str, windows: int) -> np.ndarray:
    g = np.random.default_rng(0)
    return g.standard_normal((windows, ARCHS[arch]["n_mels"], FRAMES)).astype(np.float32)


def run_openai(arch: str, mel: np.ndarray, tokens: int, batch: int) -> dict[str, Any]:
    import torch
    import whisper.decoding as wd
    from whisper.model import ModelDimensions, Whisper
    from whisper.timing import find_alignment
    from whisper.tokenizer import get_tokenizer

    t0 = time.perf_counter()
    torch.manual_seed(0)
    model = Whisper(ModelDimensions(**dims(arch))).eval()
    tok = get_tokenizer(True, num_languages=model.num_languages, language="da", task="transcribe")
    loaded = time.perf_counter() - t0

    class TextOnly(wd.LogitFilter):
        def apply(self, logits: Any, _tokens: Any) -> None:
            logits[:, tok.eot :] = -np.inf  # no end, no special tokens: text to align

    options = wd.DecodingOptions(
        language="da",
        beam_size=BEAM,
        sample_len=tokens,
        without_timestamps=True,
        fp16=False,
        suppress_tokens="",
        suppress_blank=False,
    )
    decoded = 0
    t1, c1 = time.perf_counter(), time.process_time()
    with torch.no_grad():
        for at in range(0, len(mel), batch):
            chunk = torch.from_numpy(mel[at : at + batch])
            task = wd.DecodingTask(model, options)
            task.logit_filters.append(TextOnly())
            for i, result in enumerate(task.run(chunk)):
                decoded += len(result.tokens)
                find_alignment(model, tok, result.tokens, chunk[i], FRAMES)
    return _timed(loaded, t1, c1, decoded)


def _timed(loaded: float, t1: float, c1: float, decoded: int) -> dict[str, Any]:
    """Wall and CPU seconds of the decoding alone (all threads of the process count)."""
    return {
        "load_s": loaded,
        "decode_s": time.perf_counter() - t1,
        "cpu_s": time.process_time() - c1,
        "tokens": decoded,
    }


def run_ct2(arch: str, mel: np.ndarray, tokens: int, batch: int, threads: int) -> dict[str, Any]:
    import ctranslate2

    folder = ct2_folder(arch)
    t0 = time.perf_counter()
    model = ctranslate2.models.Whisper(
        str(folder), device="cpu", compute_type="int8", intra_threads=threads
    )
    loaded = time.perf_counter() - t0
    decoded = 0
    t1, c1 = time.perf_counter(), time.process_time()
    for at in range(0, len(mel), batch):
        chunk = mel[at : at + batch]
        encoded = model.encode(ctranslate2.StorageView.from_array(chunk), to_cpu=False)
        results = model.generate(
            encoded,
            [PROMPT] * len(chunk),
            beam_size=BEAM,
            # Measured: generation stops at half of max_length here (prompt included).
            max_length=2 * (tokens + len(PROMPT)),
            suppress_tokens=SPECIAL,
            suppress_blank=False,
        )
        texts = [r.sequences_ids[0][:tokens] for r in results]
        decoded += sum(len(t) for t in texts)
        model.align(encoded, PROMPT[:3], texts, [FRAMES] * len(chunk))
    return _timed(loaded, t1, c1, decoded)


def one(arch: str, setting: str, seconds: float, threads: int, per_second: float) -> dict[str, Any]:
    import torch

    torch.set_num_threads(threads)
    # Random weights leave many tiny values that real weights do not; as subnormal floats they
    # would make torch's CPU arithmetic many times slower than real decoding (CTranslate2 flushes).
    torch.set_flush_denormal(True)
    windows = max(1, round(seconds / WINDOW_S))
    tokens = round(per_second * WINDOW_S)
    mel = features(arch, windows)
    batch = BATCH if setting.endswith("batched") else 1
    if setting.startswith("fw"):
        ct2_folder(arch)  # built once, outside the measurement
    if setting.startswith("ow"):
        out = run_openai(arch, mel, tokens, batch)
    else:
        out = run_ct2(arch, mel, tokens, batch, threads)
    audio_s = windows * WINDOW_S
    return {
        "arch": arch,
        "setting": setting,
        "audio_s": audio_s,
        "tokens_per_window": out["tokens"] / windows,
        "load_s": round(out["load_s"], 2),
        "decode_s": round(out["decode_s"], 2),
        "rtf": round(out["decode_s"] / audio_s, 3),
        "cpu_per_audio_s": round(out["cpu_s"] / audio_s, 3),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "threads": threads,
        "load_average": round(os.getloadavg()[0], 1),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--archs", default="base,small")
    p.add_argument("--settings", default="ow-seq,ow-batched,fw-int8")
    p.add_argument("--seconds", type=float, default=60.0, help="audio per run (30-s windows)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--tokens-per-second", type=float, default=4.0)
    p.add_argument("--markdown", action="store_true", help="also print a README table")
    p.add_argument("--one", nargs=2, metavar=("ARCH", "SETTING"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.one:
        row = one(*args.one, args.seconds, args.threads, args.tokens_per_second)
        print(json.dumps(row))
        return 0
    rows = []
    print(
        f"{'arch':<15} {'setting':<16} {'tok/win':>7} {'load s':>6} {'wall s':>7} {'RTF':>6} "
        f"{'cpu s/s':>7} {'peak MB':>7} {'load':>5}"
    )
    for arch in args.archs.split(","):
        if arch not in ARCHS:
            p.error(f"unknown architecture {arch!r}; known: {', '.join(ARCHS)}")
        for setting in args.settings.split(","):
            if setting not in SETTINGS:
                p.error(f"unknown setting {setting!r}; known: {', '.join(SETTINGS)}")
            cmd = [sys.executable, __file__, "--one", arch, setting]
            cmd += ["--seconds", str(args.seconds), "--threads", str(args.threads)]
            cmd += ["--tokens-per-second", str(args.tokens_per_second)]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                print(f"{arch:<15} {setting:<16} failed: {proc.stderr.strip()[-400:]}")
                continue
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            rows.append(r)
            print(
                f"{arch:<15} {setting:<16} {r['tokens_per_window']:7.0f} {r['load_s']:6.1f} "
                f"{r['decode_s']:7.1f} {r['rtf']:6.2f} {r['cpu_per_audio_s']:7.2f} "
                f"{r['peak_mb']:7d} {r['load_average']:5.1f}",
                flush=True,
            )
    if args.markdown:
        print("\n| architecture | setting | RTF (wall) | CPU s per audio s | peak MB |")
        print("|---|---|---|---|---|")
        for r in rows:
            print(
                f"| {r['arch']} | {r['setting']} | {r['rtf']:.2f} | {r['cpu_per_audio_s']:.2f} "
                f"| {r['peak_mb']} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
