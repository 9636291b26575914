"""How well corrected text lands on the audio: sentence-start error on the sample videos.

The samples are read by espeak-ng one sentence at a time, so ``media/<slug>.timing.json`` holds the
true start of every sentence. For each video this transcribes a draft with the real Whisper base,
aligns the manuscript (the "corrected" text) twice, with Whisper's forced alignment and with the
draft-only fallback, and compares:

- sentence start: the first word of each sentence against the true start;
- cue start: each caption cue that begins a sentence against that sentence's true start.

Run: ``.venv/bin/python bench/alignment.py`` (renders the samples first if media/ has no videos).
Goal: median sentence-start error <= 150 ms with Whisper.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from videokit import media, models
from videokit.align import align_text
from videokit.asr import DecodeOptions, WhisperASR
from videokit.files import sha256_file
from videokit.segment import cues_from_transcript
from videokit.transcript import Transcript

ROOT = Path(__file__).resolve().parent.parent
MEDIA = ROOT / "media"
GOAL_MS = 150
# Drafts of espeak audio can take minutes (temperature fallback); keep them between runs.
CACHE = Path(os.environ.get("VIDEOKIT_BENCH_CACHE", Path(tempfile.gettempdir()) / "videokit-bench"))


@dataclass
class Errors:
    sentence: list[int]
    cue: list[int]
    seconds: float
    how: str


def _first_words(sentences: list[dict[str, object]]) -> list[int]:
    """Index of each sentence's first word in the manuscript's word sequence."""
    out, k = [], 0
    for s in sentences:
        out.append(k)
        k += len(str(s["text"]).split())
    return out


def _errors(t: Transcript, sentences: list[dict[str, object]], seconds: float) -> Errors:
    words = t.words
    firsts = _first_words(sentences)
    truth = [int(str(s["start_ms"])) for s in sentences]
    sentence = [abs(words[k].start_ms - true) for k, true in zip(firsts, truth, strict=True)]
    # Cues keep every word once, in order; count words to find the cue each sentence begins in.
    cue_starts: dict[int, int] = {}
    k = 0
    for cue in cues_from_transcript(t):
        cue_starts[k] = cue.start_ms
        k += sum(len(line.lstrip("-").split()) for line in cue.lines)
    cue = [abs(cue_starts[f] - true) for f, true in zip(firsts, truth, strict=True) if f in cue_starts]
    return Errors(sentence, cue, seconds, str(t.options.get("alignment", "?")))


def _draft(asr: WhisperASR, video: Path, audio: np.ndarray) -> tuple[Transcript, float | None]:
    """The machine draft, from the cache when this model has already read this very video."""
    options = DecodeOptions()
    opts = hashlib.sha256(json.dumps(options.to_dict(), sort_keys=True).encode()).hexdigest()[:8]
    key = f"{asr.spec.cache_id}-{sha256_file(video)[:16]}-{opts}"
    cached = CACHE / f"{video.stem}.{key}.json"
    if cached.exists():
        return Transcript.from_json(cached.read_text("utf-8")), None
    t0 = time.perf_counter()
    draft = asr.transcribe(audio, options)
    seconds = time.perf_counter() - t0
    CACHE.mkdir(parents=True, exist_ok=True)
    cached.write_text(draft.to_json(), "utf-8")
    return draft, seconds


def _stats(values: list[int]) -> str:
    if not values:
        return f"{'-':>6} {'-':>6}"
    return f"{np.median(values):6.0f} {np.percentile(values, 95):6.0f}"


def main() -> int:
    if not list(MEDIA.glob("*.mp4")):
        subprocess.run([str(ROOT / ".venv/bin/videokit"), "samples", "--if-empty"], check=True)
    videos = sorted(v for v in MEDIA.glob("*.mp4") if v.with_suffix(".timing.json").exists())
    t0 = time.perf_counter()
    asr = WhisperASR(models.resolve("base"))
    print(f"model loaded in {time.perf_counter() - t0:.1f} s; {len(videos)} videos\n")
    header = (f"{'video':34} {'aligner':8} {'n':>3} {'sent.med':>8} {'p95':>6} "
              f"{'cue.med':>7} {'p95':>6} {'time s':>7}  result")
    print(header)
    print("-" * len(header))
    totals: dict[str, Errors] = {}
    for video in videos:
        sentences = json.loads(video.with_suffix(".timing.json").read_text("utf-8"))["sentences"]
        text = video.with_suffix(".manuscript.txt").read_text("utf-8")
        audio = media.load_audio(video)
        draft, draft_s = _draft(asr, video, audio)
        runs: dict[str, Errors] = {}
        t0 = time.perf_counter()
        runs["whisper"] = _errors(align_text(draft, text, audio, asr.align), sentences,
                                  time.perf_counter() - t0)
        t0 = time.perf_counter()
        runs["draft"] = _errors(align_text(draft, text), sentences, time.perf_counter() - t0)
        for name, e in runs.items():
            print(f"{video.stem[:34]:34} {name:8} {len(e.sentence):3} {_stats(e.sentence)}   "
                  f"{_stats(e.cue)} {e.seconds:7.2f}  {e.how}")
            total = totals.setdefault(name, Errors([], [], 0.0, ""))
            total.sentence += e.sentence
            total.cue += e.cue
            total.seconds += e.seconds
        took = "cached" if draft_s is None else f"{draft_s:.1f} s"
        print(f"{'':34} (draft transcription {took}, audio {len(audio) / 16000:.1f} s)")
    print("-" * len(header))
    for name, e in totals.items():
        print(f"{'ALL':34} {name:8} {len(e.sentence):3} {_stats(e.sentence)}   "
              f"{_stats(e.cue)} {e.seconds:7.2f}")
    med = float(np.median(totals["whisper"].sentence)) if totals else float("nan")
    verdict = "meets" if med <= GOAL_MS else "misses"
    print(f"\nerrors in ms (|aligned - true| start); whisper median {med:.0f} ms {verdict} the "
          f"goal of {GOAL_MS} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
