"""ASR engines side by side, in one process, on the same audio: time, memory and agreement.

Run from the repository root after `make run` (or `videokit samples`):

    .venv/bin/python bench/asr.py [--minutes 10] [--beam 5] [--runs plain,batched,fw-int8]

Audio: the three samples, passed in one call (which is how batching across videos works), plus a
long clip made by repeating the samples with a second of silence between. Rows, each at the same
beam size, temperatures and with word timestamps, each starting from the same random seed:

- ``plain``: openai-whisper's own transcribe(), one 30-s window after the other (videokit's
  default, ``[asr] batched = false``);
- ``batched``: ``[asr] batched = true``, windows cut at pauses and decoded in batches, in lanes;
- ``batched-alone`` (only when named in ``--runs``): the same, one recording per call, as when a
  run's videos are not read together;
- ``fw-int8``: faster-whisper, int8, its sequential transcribe();
- ``fw-int8-batched``: faster-whisper's batched pipeline on videokit's windows.

Printed per row: seconds, real-time factor (seconds per second of audio), the peak resident memory
of the process while the row ran (and its growth during the row: memory freed by earlier rows is
not always returned to the system), word error rate against the ``plain`` transcript and
against the manuscripts (the samples are espeak-ng narration, which base reads badly, so only
the comparison means much), and how far matched words' start times are from the ``plain`` ones.
"""

from __future__ import annotations

import argparse
import difflib
import gc
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from decoding import wer, words

from videokit import media, models
from videokit.asr import AudioJob, DecodeOptions
from videokit.asr_whisper import WhisperASR
from videokit.audio import SAMPLE_RATE
from videokit.transcript import Transcript

SR = SAMPLE_RATE


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@contextmanager
def peak_rss() -> Iterator[list[int]]:
    """Sample the resident set every 20 ms; the list holds the peak when the block ends."""
    peak = [rss_bytes()]
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.02):
            peak[0] = max(peak[0], rss_bytes())

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    try:
        yield peak
    finally:
        stop.set()
        t.join()
        peak[0] = max(peak[0], rss_bytes())


def start_gaps(ref: Transcript, hyp: Transcript) -> list[int]:
    """|start difference| in ms of the words both transcripts share, matched in order."""
    a = [w.text.strip().casefold() for w in ref.words]
    b = [w.text.strip().casefold() for w in hyp.words]
    gaps = []
    for block in difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks():
        for k in range(block.size):
            gaps.append(abs(ref.words[block.a + k].start_ms - hyp.words[block.b + k].start_ms))
    return gaps


Runner = Callable[[list[np.ndarray]], list[Transcript]]


def seed_everything(seed: int = 0) -> None:
    import torch

    torch.manual_seed(seed)
    try:
        import ctranslate2

        ctranslate2.set_random_seed(seed)
    except ImportError:
        pass


def runners(spec: models.ModelSpec, options: DecodeOptions) -> dict[str, Callable[[], Runner]]:
    """Each entry loads its engine (timed apart from decoding) and returns what decodes."""

    def openai(batched: bool, together: bool = True) -> Callable[[], Runner]:
        def load() -> Runner:
            asr = WhisperASR(spec, batched=batched)
            if batched and together:
                return lambda audios: asr.transcribe_many([AudioJob(a, options) for a in audios])
            return lambda audios: [asr.transcribe(a, options) for a in audios]

        return load

    def faster(batched: bool) -> Callable[[], Runner]:
        def load() -> Runner:
            from videokit.asr_ct2 import FasterWhisperASR

            asr = FasterWhisperASR(spec, models.ct2_dir(spec), compute_type="int8", batched=batched)
            return lambda audios: asr.transcribe_many([AudioJob(a, options) for a in audios])

        return load

    return {
        "plain": openai(False),
        "batched": openai(True),
        # Each recording in its own call: what batching across a run's videos saves.
        "batched-alone": openai(True, together=False),
        "fw-int8": faster(False),
        "fw-int8-batched": faster(True),
    }


def long_clip(audios: list[np.ndarray], seconds: float) -> np.ndarray:
    gap = np.zeros(SR, dtype=np.float32)
    parts, total = [], 0
    while total < seconds * SR:
        for a in audios:
            parts += [a, gap]
            total += len(a) + len(gap)
    return np.concatenate(parts)[: int(seconds * SR)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--media", type=Path, default=Path("media"))
    parser.add_argument("--minutes", type=float, default=10.0, help="long clip; 0 = none")
    parser.add_argument("--beam", type=int, default=5, help="0 = greedy")
    parser.add_argument(
        "--temperature", default="default", help="'default' (videokit's fallback) or e.g. 0"
    )
    parser.add_argument("--runs", default="plain,batched,fw-int8,fw-int8-batched")
    args = parser.parse_args()
    videos = sorted(
        p for p in args.media.glob("*.mp4") if (args.media / f"{p.stem}.manuscript.txt").is_file()
    )
    if not videos:
        print("no sample videos with manuscripts: run 'videokit samples' first", file=sys.stderr)
        return 1
    options = DecodeOptions(beam_size=args.beam or None)
    if args.temperature != "default":
        options = DecodeOptions(
            beam_size=args.beam or None,
            temperature=tuple(float(t) for t in args.temperature.split(",")),
        )
    spec = models.resolve("base")
    samples = [media.load_audio(v) for v in videos]
    manuscripts = [words((args.media / f"{v.stem}.manuscript.txt").read_text()) for v in videos]
    sets = {"samples": samples}
    if args.minutes:
        sets[f"{args.minutes:g} min"] = [long_clip(samples, args.minutes * 60)]
    load1 = os.getloadavg()[0]
    print(
        f"model {spec.cache_id}, beam {options.beam_size}, temperature {options.temperature}, "
        f"{len(os.sched_getaffinity(0))} cores, load average {load1:.1f} at start\n"
    )
    header = (
        f"{'audio':<9} {'engine':<16} {'load s':>6} {'time s':>7} {'RTF':>5} {'peak MB (+row)':>14} "
        f"{'WER vs plain':>12} {'WER vs text':>11} {'start gap ms med/p90':>21}"
    )
    print(header)
    reference: dict[str, list[Transcript]] = {}
    makers = runners(spec, options)
    for name in args.runs.split(","):
        seed_everything()  # the fallback samples at random: the same draws for every row
        gc.collect()
        before = rss_bytes()
        with peak_rss() as peak:
            started = time.perf_counter()
            run = makers[name]()
            loaded = time.perf_counter() - started
            run([samples[0][: SR * 5]])  # warm-up: first-call compilation is not decoding
            results = {}
            for label, audios in sets.items():
                t0 = time.perf_counter()
                results[label] = (run(audios), time.perf_counter() - t0)
        del run
        for label, (transcripts, took) in results.items():
            seconds = sum(len(a) for a in sets[label]) / SR
            reference.setdefault(label, transcripts)
            ref_words = [words(t.text) for t in reference[label]]
            n_ref = sum(map(len, ref_words)) or 1
            vs_plain = (
                sum(wer(r, words(t.text)) * len(r) for r, t in zip(ref_words, transcripts)) / n_ref
            )
            vs_text = "-"
            if label == "samples":
                n = sum(map(len, manuscripts))
                errors = sum(
                    wer(m, words(t.text)) * len(m) for m, t in zip(manuscripts, transcripts)
                )
                vs_text = f"{errors / n:.1%}"
            gaps = [g for r, t in zip(reference[label], transcripts) for g in start_gaps(r, t)]
            gap = f"{statistics.median(gaps):.0f}/{np.percentile(gaps, 90):.0f}" if gaps else "-"
            print(
                f"{label:<9} {name:<16} {loaded:6.1f} {took:7.1f} {took / seconds:5.2f} "
                f"{peak[0] / 1e6:6.0f} ({(peak[0] - before) / 1e6:+5.0f}) "
                f"{vs_plain:12.1%} {vs_text:>11} {gap:>21}",
                flush=True,
            )
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
