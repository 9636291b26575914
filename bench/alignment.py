"""How well known text lands on the audio: cue-start error on the sample videos, in hard cases.

The samples are read by espeak-ng one sentence at a time, so ``media/<slug>.timing.json`` holds the
true start of every sentence. For each video this transcribes a draft with the real Whisper base and
aligns the manuscript to the audio with Whisper's forced alignment, in these cases:

- ``punct``: the manuscript as written (sentence punctuation, paragraphs);
- ``no-punct``: the same words without punctuation, in one block;
- ``paragraphs``: no punctuation, one sentence per line, paragraphs separated by blank lines;
- ``long-pauses``: no punctuation, and 3 s of extra silence before every second sentence
  (the draft's times shifted to match), as a presenter who stops to think;
- ``missed-first`` / ``missed-middle``: the manuscript, but the draft lacks the first sentence or a
  sentence in the middle (the recogniser missed it);
- ``noise`` / ``music``: the manuscript, the audio with a bed of noise or soft music 20 dB under the
  speech, starting 2 s before it. The draft is the clean audio's, moved by those 2 s: transcribing
  every bed again costs minutes and measures the recogniser, not the alignment.

Measured per case over all videos:

- sentence start: the first word of each sentence against the true start;
- cue start: each cue that begins a sentence against that sentence's true start (``cues`` says how
  many sentences begin a cue);
- over pause: cues that show words from both sides of a true silence longer than 1.5 s;
- squeezed: words aligned to less than 50 ms.

Targets: median cue-start error <= 50 ms and p95 <= 250 ms in every case, no cue over a pause,
no squeezed word. Run: ``.venv/bin/python bench/alignment.py [--json FILE]`` (renders the samples
first if media/ has no videos).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from videokit import media, models, samples
from videokit.align import align_text
from videokit.asr import DecodeOptions
from videokit.asr_whisper import WhisperASR
from videokit.audio import SAMPLE_RATE
from videokit.segment import cues_from_transcript
from videokit.transcript import Transcript, Word

ROOT = Path(__file__).resolve().parent.parent
MEDIA = ROOT / "media"
MEDIAN_GOAL_MS, P95_GOAL_MS = 50, 250
LONG_PAUSE_MS = 1500  # a cue must not show words from both sides of a silence this long
SQUEEZED_MS = 50
EXTRA_PAUSE_MS = 3000
BED_LEAD_MS = 2000
# Drafts of espeak audio can take minutes (temperature fallback); keep them between runs.
CACHE = Path(os.environ.get("VIDEOKIT_BENCH_CACHE", Path(tempfile.gettempdir()) / "videokit-bench"))
_PUNCT = re.compile(r"[.,;:!?…]+(?=\s|$)")

Sentences = list[dict[str, object]]


@dataclass
class Result:
    sentence: list[int] = field(default_factory=list)
    cue: list[int] = field(default_factory=list)
    sentences: int = 0
    over_pause: int = 0
    squeezed: int = 0
    seconds: float = 0.0

    def add(self, other: Result) -> None:
        self.sentence += other.sentence
        self.cue += other.cue
        self.sentences += other.sentences
        self.over_pause += other.over_pause
        self.squeezed += other.squeezed
        self.seconds += other.seconds

    def to_dict(self) -> dict[str, object]:
        return {
            "sentence_median_ms": _pct(self.sentence, 50),
            "sentence_p95_ms": _pct(self.sentence, 95),
            "cue_median_ms": _pct(self.cue, 50),
            "cue_p95_ms": _pct(self.cue, 95),
            "cues_starting_sentences": f"{len(self.cue)}/{self.sentences}",
            "cues_over_pause": self.over_pause,
            "squeezed_words": self.squeezed,
            "seconds": round(self.seconds, 2),
        }


def _pct(values: list[int], q: int) -> float | None:
    return round(float(np.percentile(values, q)), 1) if values else None


def _unpunctuated(text: str) -> str:
    return _PUNCT.sub("", text)


def _first_words(sentences: Sentences) -> list[int]:
    """Index of each sentence's first word in the manuscript's word sequence."""
    out, k = [], 0
    for s in sentences:
        out.append(k)
        k += len(str(s["text"]).split())
    return out


def _measure(t: Transcript, sentences: Sentences, seconds: float) -> Result:
    words = t.words
    firsts = _first_words(sentences)
    truth = [int(str(s["start_ms"])) for s in sentences]
    sentence = [abs(words[k].start_ms - true) for k, true in zip(firsts, truth, strict=True)]
    # Cues keep every word once, in order; count words to find the cue each sentence begins in.
    cue_starts: dict[int, int] = {}
    spans: list[tuple[int, int]] = []  # first and one-past-last word of each cue
    k = 0
    for cue in cues_from_transcript(t):
        cue_starts[k] = cue.start_ms
        n = sum(len(line.lstrip("-").split()) for line in cue.lines)
        spans.append((k, k + n))
        k += n
    cue = [
        abs(cue_starts[f] - true) for f, true in zip(firsts, truth, strict=True) if f in cue_starts
    ]
    # A long true silence before sentence i: a cue holding its first word and the word before.
    long_before = {
        firsts[i]
        for i in range(1, len(sentences))
        if truth[i] - int(str(sentences[i - 1]["end_ms"])) > LONG_PAUSE_MS
    }
    over = sum(1 for a, b in spans if any(a < f < b for f in long_before))
    squeezed = sum(1 for w in words if w.end_ms - w.start_ms < SQUEEZED_MS)
    return Result(sentence, cue, len(sentences), over, squeezed, seconds)


def _draft(asr: WhisperASR, audio: np.ndarray) -> Transcript:
    """The machine draft, from the cache when this model has already read this very audio."""
    options = DecodeOptions()
    blob = json.dumps(options.to_dict(), sort_keys=True).encode() + audio.tobytes()
    key = f"{asr.spec.cache_id}-{hashlib.sha256(blob).hexdigest()[:20]}"
    cached = CACHE / f"draft.{key}.json"
    if cached.exists():
        return Transcript.from_json(cached.read_text("utf-8"))
    t0 = time.perf_counter()
    draft = asr.transcribe(audio, options)
    print(f"  (draft transcribed in {time.perf_counter() - t0:.1f} s)", flush=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    cached.write_text(draft.to_json(), "utf-8")
    return draft


def _without(draft: Transcript, start_ms: int, end_ms: int) -> Transcript:
    """The draft minus the words heard in ``start_ms..end_ms``: speech the recogniser missed."""
    segments = []
    for seg in draft.segments:
        kept = tuple(w for w in seg.words if not start_ms <= (w.start_ms + w.end_ms) // 2 < end_ms)
        if kept:
            text = "".join(w.text for w in kept)
            segments.append(
                replace(
                    seg,
                    words=kept,
                    text=text,
                    start_ms=kept[0].start_ms,
                    end_ms=max(seg.start_ms, max(w.end_ms for w in kept)),
                )
            )
    return draft.with_segments(tuple(segments))


def _delayed(draft: Transcript, ms: int) -> Transcript:
    moved = [
        replace(
            seg,
            start_ms=seg.start_ms + ms,
            end_ms=seg.end_ms + ms,
            words=tuple(
                replace(w, start_ms=w.start_ms + ms, end_ms=w.end_ms + ms) for w in seg.words
            ),
        )
        for seg in draft.segments
    ]
    return replace(draft, duration_ms=draft.duration_ms + ms, segments=tuple(moved))


def _shift(t: int, inserts: list[tuple[int, int]]) -> int:
    return t + sum(length for at, length in inserts if at <= t)


def _with_pauses(
    audio: np.ndarray, draft: Transcript, sentences: Sentences
) -> tuple[np.ndarray, Transcript, Sentences]:
    """Extra silence in the middle of the gap before every second sentence; times moved to match."""
    inserts = []
    for i in range(1, len(sentences), 2):
        gap_mid = (int(str(sentences[i - 1]["end_ms"])) + int(str(sentences[i]["start_ms"]))) // 2
        inserts.append((gap_mid, EXTRA_PAUSE_MS))
    pieces, done = [], 0
    for at, length in inserts:
        cut = at * SAMPLE_RATE // 1000
        pieces += [audio[done:cut], np.zeros(length * SAMPLE_RATE // 1000, np.float32)]
        done = cut
    pieces.append(audio[done:])
    moved = [
        replace(
            seg,
            start_ms=_shift(seg.start_ms, inserts),
            end_ms=_shift(seg.end_ms, inserts),
            words=tuple(
                Word(w.text, _shift(w.start_ms, inserts), _shift(w.end_ms, inserts), w.probability)
                for w in seg.words
            ),
        )
        for seg in draft.segments
    ]
    total = draft.duration_ms + EXTRA_PAUSE_MS * len(inserts)
    shifted = replace(draft, duration_ms=total, segments=tuple(moved))
    truth = [
        {
            **s,
            "start_ms": _shift(int(str(s["start_ms"])), inserts),
            "end_ms": _shift(int(str(s["end_ms"])), inserts),
        }
        for s in sentences
    ]
    return np.concatenate(pieces), shifted, truth


def _lines(sentences: Sentences) -> str:
    """No punctuation, a sentence per line, a blank line between paragraphs."""
    out, last = [], None
    for s in sentences:
        if last is not None and s["paragraph"] != last:
            out.append("")
        out.append(_unpunctuated(str(s["text"])))
        last = s["paragraph"]
    return "\n".join(out) + "\n"


Case = Callable[
    [np.ndarray, Transcript, Sentences, str], tuple[np.ndarray, Transcript, Sentences, str]
]


def _cases() -> dict[str, Case]:
    def bed(kind: str) -> Case:
        def make(
            audio: np.ndarray, draft: Transcript, s: Sentences, text: str
        ) -> tuple[np.ndarray, Transcript, Sentences, str]:
            mixed = samples.mix_bed(audio, kind, lead_ms=BED_LEAD_MS)
            truth = [
                {
                    **x,
                    "start_ms": int(str(x["start_ms"])) + BED_LEAD_MS,
                    "end_ms": int(str(x["end_ms"])) + BED_LEAD_MS,
                }
                for x in s
            ]
            return mixed, _delayed(draft, BED_LEAD_MS), truth, text

        return make

    def missed(i: Callable[[int], int]) -> Case:
        def make(
            audio: np.ndarray, draft: Transcript, s: Sentences, text: str
        ) -> tuple[np.ndarray, Transcript, Sentences, str]:
            k = i(len(s))
            start = int(str(s[k]["start_ms"])) - (200 if k else 10_000)
            return audio, _without(draft, start, int(str(s[k]["end_ms"]))), s, text

        return make

    def long_pauses(
        audio: np.ndarray, draft: Transcript, s: Sentences, text: str
    ) -> tuple[np.ndarray, Transcript, Sentences, str]:
        longer, moved, truth = _with_pauses(audio, draft, s)
        return longer, moved, truth, _unpunctuated(" ".join(text.split()))

    return {
        "punct": lambda a, d, s, t: (a, d, s, t),
        "no-punct": lambda a, d, s, t: (a, d, s, _unpunctuated(" ".join(t.split()))),
        "paragraphs": lambda a, d, s, t: (a, d, s, _lines(s)),
        "long-pauses": long_pauses,
        "missed-first": missed(lambda n: 0),
        "missed-middle": missed(lambda n: n // 2),
        "noise": bed("noise"),
        "music": bed("music"),
    }


def _row(name: str, r: Result) -> str:
    d = r.to_dict()

    def ms(key: str) -> str:
        return "-" if d[key] is None else f"{d[key]:.0f}"

    ok = (
        r.cue
        and d["cue_median_ms"] is not None
        and float(str(d["cue_median_ms"])) <= MEDIAN_GOAL_MS
        and float(str(d["cue_p95_ms"])) <= P95_GOAL_MS
        and not r.over_pause
        and not r.squeezed
    )
    return (
        f"{name:14} {r.sentences:4} {ms('sentence_median_ms'):>8} {ms('sentence_p95_ms'):>6} "
        f"{d['cues_starting_sentences']!s:>6} {ms('cue_median_ms'):>7} {ms('cue_p95_ms'):>6} "
        f"{r.over_pause:>5} {r.squeezed:>5} {r.seconds:7.1f}  {'meets' if ok else 'misses'}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the figures per case here")
    parser.add_argument("--case", action="append", help="only these cases")
    parser.add_argument("--video", action="append", help="only videos whose name holds this")
    args = parser.parse_args()
    if not list(MEDIA.glob("*.mp4")):
        subprocess.run([str(ROOT / ".venv/bin/videokit"), "samples", "--if-empty"], check=True)
    videos = sorted(v for v in MEDIA.glob("*.mp4") if v.with_suffix(".timing.json").exists())
    videos = [v for v in videos if not args.video or any(s in v.name for s in args.video)]
    t0 = time.perf_counter()
    asr = WhisperASR(models.resolve("base"))
    print(f"model loaded in {time.perf_counter() - t0:.1f} s; {len(videos)} videos\n", flush=True)
    cases = _cases()
    chosen = args.case or list(cases)
    totals = {name: Result() for name in chosen}
    for video in videos:
        sentences = json.loads(video.with_suffix(".timing.json").read_text("utf-8"))["sentences"]
        text = video.with_suffix(".manuscript.txt").read_text("utf-8")
        audio = media.load_audio(video)
        draft = _draft(asr, audio)
        for name in chosen:
            a, d, s, t = cases[name](audio, draft, sentences, text)
            t0 = time.perf_counter()
            aligned = align_text(d, t, a, asr.align)
            r = _measure(aligned, s, time.perf_counter() - t0)
            print(f"{video.stem[:24]:24} {_row(name, r)}", flush=True)
            totals[name].add(r)
    header = (
        f"{'case':14} {'sent':>4} {'sent.med':>8} {'p95':>6} {'cues':>6} {'cue.med':>7} "
        f"{'p95':>6} {'pause':>5} {'squ.':>5} {'time s':>7}  result"
    )
    print(f"\n{header}\n{'-' * len(header)}")
    for name, r in totals.items():
        print(_row(name, r))
    print(
        f"\nerrors in ms (|aligned - true| start); targets: cue median <= {MEDIAN_GOAL_MS} ms, "
        f"p95 <= {P95_GOAL_MS} ms, 0 cues over a pause > {LONG_PAUSE_MS} ms, "
        f"0 words < {SQUEEZED_MS} ms"
    )
    if args.json:
        args.json.write_text(json.dumps({k: v.to_dict() for k, v in totals.items()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
