"""What each Whisper architecture costs on this machine: real-time factor and peak memory per engine.

Run from the repository root (each measurement in a fresh process, so memory peaks are its own):

    .venv/bin/python bench/models.py [--archs base,small] [--seconds 60] [--threads 2]
        [--settings ow-seq,ow-batched,fw-int8] [--tokens-per-second 4] [--markdown]
        [--device cuda]

``--device cuda`` runs both engines on the GPU (faster-whisper in float16, as videokit does there)
and prints the GPU's name; it has not been run on a GPU yet.

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
import contextlib
import importlib
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
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


def speech(seconds: int) -> np.ndarray:
    """``seconds`` of the sample videos' Danish speech, repeated as needed: videokit's speech
    detection and window cuts see real speech and pauses (the words read are forced anyway)."""
    from videokit import samples
    from videokit.media import load_audio

    folder = cache_root() / "speech"
    if not any(folder.glob("*.mp4")):
        import shutil

        repo = Path(__file__).resolve().parent.parent
        shutil.copytree(repo / "media" / "samples", folder / "samples", dirs_exist_ok=True)
        samples.render_all(folder)
    parts = [_spoken_only(load_audio(p)) for p in sorted(folder.glob("*.mp4"))]
    return np.resize(np.concatenate(parts), seconds * 16000).astype(np.float32)


def _spoken_only(audio: np.ndarray) -> np.ndarray:
    """The recording without the long silences videokit would not read (title cards, ends)."""
    from videokit.asr import unread_parts

    per_ms = 16
    keep, at = [], 0
    for a, b in unread_parts(audio):
        keep.append(audio[at : a * per_ms])
        at = b * per_ms
    keep.append(audio[at:])
    return np.concatenate(keep)


def features(arch: str, windows: int) -> np.ndarray:
    g = np.random.default_rng(0)
    return g.standard_normal((windows, ARCHS[arch]["n_mels"], FRAMES)).astype(np.float32)


def openai_checkpoint(arch: str) -> Path:
    """A random openai-whisper checkpoint of ``arch``'s shape (float32), saved once."""
    path = cache_root() / f"{arch}-openai.pt"
    if path.is_file():
        return path
    import torch
    from whisper.model import ModelDimensions, Whisper

    torch.manual_seed(0)
    model = Whisper(ModelDimensions(**dims(arch)))
    with torch.no_grad():
        # whisper leaves the decoder's positions uninitialised (torch.empty: whatever the memory
        # held, denormal floats included, which made every step many times slower) and draws the
        # token embedding at a scale 50x a trained one's; drawn as transformers' Whisper does.
        model.decoder.positional_embedding.normal_(0.0, 0.02)
        model.decoder.token_embedding.weight.normal_(0.0, 0.02)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_suffix(".part")
    torch.save({"dims": dims(arch), "model_state_dict": model.state_dict()}, part)
    os.replace(part, path)
    return path


@contextlib.contextmanager
def forced_tokens(per_second: float, counted: list[int]) -> Iterator[None]:
    """Every decoding whisper runs (videokit's batched task is a subclass of whisper's) reads
    ``per_second`` text tokens per second of the audio its windows hold: the end of text,
    timestamps and other special tokens are suppressed until then. A batch of windows of
    different lengths decodes the mean of their counts, so the batch reads as many tokens in all
    as real speech would. ``counted`` receives the tokens each decoded window produced."""
    import whisper.audio as wa
    import whisper.decoding as wd

    # whisper/__init__ rebinds the name "transcribe" to the function; fetch the module itself.
    wt = importlib.import_module("whisper.transcribe")

    lengths: list[int] = []  # mel frames each window holds before padding, in decoding order
    pad = wa.pad_or_trim

    def measuring_pad(array: Any, length: int = wa.N_SAMPLES, **kwargs: Any) -> Any:
        if length == wa.N_FRAMES and getattr(array, "ndim", 0) == 2:
            lengths.append(min(array.shape[-1], wa.N_FRAMES))
        return pad(array, length, **kwargs)

    class TextOnly(wd.LogitFilter):
        def __init__(self, eot: int) -> None:
            self.eot = eot

        def apply(self, logits: Any, _tokens: Any) -> None:
            logits[:, self.eot :] = -np.inf

    init, run = wd.DecodingTask.__init__, wd.DecodingTask.run

    def forced_init(self: Any, model: Any, options: Any, *args: Any, **kwargs: Any) -> None:
        init(self, model, options, *args, **kwargs)
        self.logit_filters.append(TextOnly(self.tokenizer.eot))

    def counting_run(self: Any, mel: Any) -> Any:
        windows = len(mel)
        held = [lengths.pop(0) if lengths else wa.N_FRAMES for _ in range(windows)]
        self.sample_len = max(1, round(per_second * np.mean(held) / 100))  # 100 frames a second
        results = run(self, mel)
        counted.extend(len(r.tokens) for r in results)
        return results

    saved = (wa.pad_or_trim, wt.pad_or_trim, wd.DecodingTask.__init__, wd.DecodingTask.run)
    wa.pad_or_trim = wt.pad_or_trim = measuring_pad
    wd.DecodingTask.__init__, wd.DecodingTask.run = forced_init, counting_run
    try:
        yield
    finally:
        wa.pad_or_trim, wt.pad_or_trim, wd.DecodingTask.__init__, wd.DecodingTask.run = saved


def run_openai(
    arch: str, audio: np.ndarray, per_second: float, batch: int, device: str
) -> dict[str, Any]:
    """videokit's own openai-whisper adapter (its patches, its decoder, word times), reading the
    windows it cuts at pauses ``batch`` at a time.

    The sequential setting reads one window after the other through the same windowing, not
    through whisper's ``transcribe()``: that moves on from each window at its last word's time,
    which random weights put anywhere, so it would read each stretch of audio a random number of
    times. The decoding task per window is the same one.
    """
    from videokit.asr import DecodeOptions
    from videokit.asr_whisper import WhisperASR
    from videokit.modelcache import ModelSpec

    path = openai_checkpoint(arch)
    t0 = time.perf_counter()
    asr = WhisperASR(
        ModelSpec(arch, path, "0" * 64, "file"), device, batched=True, batch_size=batch
    )
    loaded = time.perf_counter() - t0
    # One temperature (the fallback's re-reads are not modelled) and no window skipped as silent.
    options = DecodeOptions(temperature=(0.0,), no_speech_threshold=1.0)
    counted: list[int] = []
    with forced_tokens(per_second, counted):
        # Untimed: whisper's word times compile their time warping (numba) on first use, several
        # CPU seconds once per process, which a run of many videos pays once.
        asr.transcribe(audio[: 10 * 16000], options)
        counted.clear()
        t1, c1 = time.perf_counter(), time.process_time()
        transcript = asr.transcribe(audio, options)
    out = _timed(loaded, t1, c1, sum(counted))
    out["words"] = sum(len(s.words) for s in transcript.segments)
    return out


def _timed(loaded: float, t1: float, c1: float, decoded: int) -> dict[str, Any]:
    """Wall and CPU seconds of the decoding alone (all threads of the process count)."""
    return {
        "load_s": loaded,
        "decode_s": time.perf_counter() - t1,
        "cpu_s": time.process_time() - c1,
        "tokens": decoded,
    }


def run_ct2(
    arch: str, mel: np.ndarray, tokens: int, batch: int, threads: int, device: str
) -> dict[str, Any]:
    import ctranslate2

    folder = ct2_folder(arch)
    t0 = time.perf_counter()
    # int8 on a CPU, float16 on a GPU: what videokit's faster-whisper engine runs.
    compute = "float16" if device == "cuda" else "int8"
    model = ctranslate2.models.Whisper(
        str(folder), device=device, compute_type=compute, intra_threads=threads
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


def one(
    arch: str, setting: str, seconds: float, threads: int, per_second: float, device: str = "cpu"
) -> dict[str, Any]:
    import torch

    torch.set_num_threads(threads)
    # Random weights leave many tiny values that real weights do not; as subnormal floats they
    # would make torch's CPU arithmetic many times slower than real decoding (CTranslate2 flushes).
    torch.set_flush_denormal(True)
    windows = max(1, round(seconds / WINDOW_S))
    tokens = round(per_second * WINDOW_S)
    batch = BATCH if setting.endswith("batched") else 1
    if setting.startswith("fw"):
        ct2_folder(arch)  # built once, outside the measurement
        out = run_ct2(arch, features(arch, windows), tokens, batch, threads, device)
    else:
        openai_checkpoint(arch)
        out = run_openai(arch, speech(windows * WINDOW_S), per_second, batch, device)
    audio_s = windows * WINDOW_S
    return {
        "arch": arch,
        "setting": setting,
        "audio_s": audio_s,
        "tokens_per_s": round(out["tokens"] / audio_s, 2),
        "words": out.get("words"),
        "load_s": round(out["load_s"], 2),
        "decode_s": round(out["decode_s"], 2),
        "rtf": round(out["decode_s"] / audio_s, 3),
        "cpu_per_audio_s": round(out["cpu_s"] / audio_s, 3),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "threads": threads,
        "load_average": round(os.getloadavg()[0], 1),
        "device": _device_name(device),
        # CTranslate2 does not report its GPU memory; torch's allocator does for openai-whisper.
        "gpu_peak_mb": (
            round(torch.cuda.max_memory_allocated() / 2**20)
            if device == "cuda" and not setting.startswith("fw")
            else None
        ),
    }


def _device_name(device: str) -> str:
    import torch

    if device == "cuda":
        return torch.cuda.get_device_name(0)
    return f"CPU ({os.cpu_count()} cores)"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--archs", default="base,small")
    p.add_argument("--settings", default="ow-seq,ow-batched,fw-int8")
    p.add_argument("--seconds", type=float, default=60.0, help="audio per run (30-s windows)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--tokens-per-second", type=float, default=4.0)
    p.add_argument("--markdown", action="store_true", help="also print a README table")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    p.add_argument("--one", nargs=2, metavar=("ARCH", "SETTING"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.one:
        row = one(*args.one, args.seconds, args.threads, args.tokens_per_second, args.device)
        print(json.dumps(row))
        return 0
    rows = []
    print(
        f"{'arch':<15} {'setting':<16} {'tok/s':>7} {'load s':>6} {'wall s':>7} {'RTF':>6} "
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
            cmd += ["--tokens-per-second", str(args.tokens_per_second), "--device", args.device]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                print(f"{arch:<15} {setting:<16} failed: {proc.stderr.strip()[-400:]}")
                continue
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            rows.append(r)
            print(
                f"{arch:<15} {setting:<16} {r['tokens_per_s']:7.1f} {r['load_s']:6.1f} "
                f"{r['decode_s']:7.1f} {r['rtf']:6.2f} {r['cpu_per_audio_s']:7.2f} "
                f"{r['peak_mb']:7d} {r['load_average']:5.1f}  {r['device']}"
                + (f", GPU peak {r['gpu_peak_mb']} MB" if r.get("gpu_peak_mb") else ""),
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
