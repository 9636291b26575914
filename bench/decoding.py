"""Decoding settings: word error rate against the manuscripts, and time, on the sample videos.

Run from the repository root after `make run` (or `videokit samples`):

    .venv/bin/python bench/decoding.py [--settings NAME ...]

The samples are espeak-ng narration, which Whisper base reads badly (WER near 90 %), so the
absolute numbers say little about real speech; the comparison between settings, and the time, do.

Measured 2026-11-24 (base, 100 s of audio, 2 cores; first four rows with other jobs running):

    setting                               WER  WER guarded  time s   RTF
    greedy                              94.7%        93.8%    48.7  0.48
    greedy+fallback                     95.7%        94.7%   473.2  4.71  (loaded machine)
    greedy+full fallback               100.5%        99.5%   249.2  2.48  (loaded machine)
    greedy+fallback, no context         96.7%        95.7%   193.9  1.93  (loaded machine)
    greedy+fallback, no silence skip    90.9%        90.0%   157.5  1.57  (loaded machine)
    beam 5                              69.4%        69.4%    71.5  0.71
    beam 5+fallback (default)           72.2%        72.2%    76.7  0.76

Fallback samples at random, so rows with it vary from run to run.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from videokit import media, models
from videokit.asr import DecodeOptions
from videokit.asr_whisper import WhisperASR
from videokit.audio import SAMPLE_RATE
from videokit.guard import guard_transcript

SETTINGS: dict[str, DecodeOptions] = {
    "greedy": DecodeOptions(temperature=(0.0,)),
    "greedy+fallback": DecodeOptions(beam_size=None),
    "greedy+full fallback": DecodeOptions(
        beam_size=None, temperature=(0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    ),
    "greedy+fallback, no context": DecodeOptions(beam_size=None, condition_on_previous_text=False),
    "greedy+fallback, no silence skip": DecodeOptions(
        beam_size=None, hallucination_silence_threshold=None
    ),
    "beam 5": DecodeOptions(temperature=(0.0,), beam_size=5),
    "beam 5+fallback (default)": DecodeOptions(),
}


def words(text: str) -> list[str]:
    return re.findall(r"[\wæøå]+", text.casefold())


def wer(reference: list[str], hypothesis: list[str]) -> float:
    """Word error rate: (substitutions + deletions + insertions) / reference words."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        current = [i]
        for j, hyp in enumerate(hypothesis, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp)))
        previous = current
    return previous[-1] / max(1, len(reference))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--media", type=Path, default=Path("media"))
    parser.add_argument("--settings", nargs="*", default=list(SETTINGS))
    args = parser.parse_args()
    videos = sorted(
        p for p in args.media.glob("*.mp4") if (args.media / f"{p.stem}.manuscript.txt").is_file()
    )
    if not videos:
        print("no sample videos with manuscripts: run 'videokit samples' first", file=sys.stderr)
        return 1
    asr = WhisperASR(models.resolve("base"))
    audio = {v: media.load_audio(v) for v in videos}
    seconds = sum(len(a) for a in audio.values()) / SAMPLE_RATE
    asr.transcribe(audio[videos[0]][: 16000 * 5], DecodeOptions(temperature=(0.0,)))  # warm-up
    print(f"{len(videos)} videos, {seconds:.0f} s of audio, model {asr.spec.cache_id}\n")
    print(f"{'setting':<34} {'WER':>6} {'WER guarded':>12} {'time s':>7} {'RTF':>5}")
    for name in args.settings:
        options = SETTINGS[name]
        errors = guarded_errors = ref_words = 0.0
        started = time.perf_counter()
        for video in videos:
            ref = words((args.media / f"{video.stem}.manuscript.txt").read_text())
            t = asr.transcribe(audio[video], options)
            errors += wer(ref, words(t.text)) * len(ref)
            guarded_errors += wer(ref, words(guard_transcript(t)[0].text)) * len(ref)
            ref_words += len(ref)
        took = time.perf_counter() - started
        print(
            f"{name:<34} {errors / ref_words:6.1%} {guarded_errors / ref_words:12.1%} "
            f"{took:7.1f} {took / seconds:5.2f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
