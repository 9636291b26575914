"""The caption engine on the sample videos: norm violations, reading speed, and its time.

For each video in media/ this takes the machine draft the flow wrote
(``build/preview/<slug>/transcript.json``), or one this benchmark cached earlier, or else transcribes
the video now with the real Whisper base and times that. It then times the caption step the flow runs
(:func:`videokit.draft.captions`: hallucination guard + glossary + layout) and the layout alone
(:func:`videokit.segment.cues_from_transcript`), each as the median of ``--runs`` runs, and holds the
cues to the norms with :func:`videokit.norms.check_cues`. The caption engine must cost next to
nothing beside transcription; the last column says how much.

Two more rows per run, without audio: each manuscript with its sentences' true times from
``media/<stem>.timing.json`` and words spread evenly inside each sentence (a naive alignment), and a
synthetic 10-minute word stream as a stress number for the engine.

Run from the repository root: ``.venv/bin/python bench/captions.py`` (``make bench``).
Fast when drafts exist; the first run without them transcribes each video (tens of seconds on CPU).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from videokit import draft, media, models
from videokit.asr import DecodeOptions, WhisperASR
from videokit.files import sha256_file
from videokit.guard import Energy
from videokit.norms import check_cues
from videokit.segment import cues_from_transcript
from videokit.transcript import Cue, Segment, Transcript, Word
from videokit.workspace import VideoJob, find_videos, read_glossary

SYNTHETIC_MS = 10 * 60 * 1000


@dataclass(frozen=True)
class Row:
    name: str
    audio_s: float
    words: int
    cues: tuple[Cue, ...]
    engine_ms: float  # guard + glossary + layout, median
    layout_ms: float  # layout alone, median
    transcribe_s: float | None
    note: str  # why there is no transcription time


def median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm-up: word lists are read and cached on first use, which is not the engine's cost
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


class Drafts:
    """Machine drafts: the flow's, else this benchmark's cache, else transcribed now (and cached)."""

    def __init__(self, out: Path, model: str, fresh: bool) -> None:
        self.out = out
        self.model = model
        self.fresh = fresh
        self._asr: WhisperASR | None = None

    def get(self, job: VideoJob) -> tuple[Transcript, float | None, str]:
        sha = sha256_file(job.path)
        if not self.fresh:
            for path, where in (
                (self.out / "preview" / job.slug / "transcript.json", "flow's draft"),
                (self._cache(job), "bench cache"),
            ):
                if path.is_file():
                    t = Transcript.from_json(path.read_text(encoding="utf-8"))
                    # A draft of an older cut of the video is stale: transcribe again.
                    if t.source_sha256 in ("", sha):
                        return t, None, f"n/a ({where})"
        asr = self._load()
        samples = media.load_audio(job.path)
        t0 = time.perf_counter()
        t = asr.transcribe(samples, DecodeOptions(), source_sha256=sha)
        took = time.perf_counter() - t0
        self._cache(job).parent.mkdir(parents=True, exist_ok=True)
        self._cache(job).write_text(t.to_json(), encoding="utf-8")
        return t, took, ""

    def _cache(self, job: VideoJob) -> Path:
        return self.out / "bench" / "drafts" / f"{job.slug}.{self.model}.transcript.json"

    def _load(self) -> WhisperASR:
        if self._asr is None:
            t0 = time.perf_counter()
            self._asr = WhisperASR(models.resolve(self.model))
            # Loading is paid once per run, not per video; reported apart so it skews no row.
            print(f"loaded Whisper {self.model} in {time.perf_counter() - t0:.1f} s", flush=True)
        return self._asr


def measure(
    name: str,
    transcript: Transcript,
    energy: Energy | None,
    glossary: Sequence[str],
    runs: int,
    transcribe_s: float | None,
    note: str,
) -> Row:
    result = draft.captions(transcript, energy, glossary)
    engine = median_ms(lambda: draft.captions(transcript, energy, glossary), runs)
    layout = median_ms(lambda: cues_from_transcript(transcript), runs)
    words = sum(len(s.words) or len(s.text.split()) for s in transcript.segments)
    return Row(
        name,
        transcript.duration_ms / 1000,
        words,
        result.cues,
        engine,
        layout,
        transcribe_s,
        note,
    )


def manuscript_transcript(timing: Path) -> Transcript:
    """Sentences at their true times, no word times: the engine spreads words by length."""
    data = json.loads(timing.read_text(encoding="utf-8"))
    segments = tuple(
        Segment(s["start_ms"], s["end_ms"], " " + s["text"]) for s in data["sentences"]
    )
    return Transcript("da", max((s.end_ms for s in segments), default=0) + 1000, segments)


def synthetic_transcript(sentences: Sequence[str], length_ms: int = SYNTHETIC_MS) -> Transcript:
    """Sentences read again and again at ~14 cps, with breaths and, every fifth, a 1.8 s pause."""
    segments: list[Segment] = []
    t = 500
    k = 0
    while t < length_ms:
        text = sentences[k % len(sentences)]
        words: list[Word] = []
        for w in text.split():
            d = max(120, 65 * len(w))
            words.append(Word(" " + w, t, t + d, 0.9))
            t += d + 20
        segments.append(Segment(words[0].start_ms, words[-1].end_ms, " " + text, tuple(words)))
        k += 1
        t += 1800 if k % 5 == 0 else 350
    return Transcript("da", t + 1000, tuple(segments))


def violations(cues: Sequence[Cue]) -> str:
    found = check_cues(cues)
    if not found:
        return "0"
    rules = Counter(v.rule for v in found)
    return f"{len(found)} (" + ", ".join(f"{r} {n}" for r, n in rules.most_common()) + ")"


def print_table(rows: Sequence[Row]) -> None:
    head = (
        f"{'video':<48} {'audio s':>7} {'words':>6} {'cues':>5} {'max cps':>7} {'mean cps':>8} "
        f"{'engine ms':>9} {'layout ms':>9} {'transcribe s':>22} {'engine share':>12}  violations"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        cps = [c.cps for c in r.cues]
        if r.transcribe_s is not None:
            took = f"{r.transcribe_s:.1f}"
            share = f"{r.engine_ms / (r.transcribe_s * 1000):.3%}"
        else:
            took, share = r.note, "n/a"
        print(
            f"{r.name:<48} {r.audio_s:7.1f} {r.words:6d} {len(r.cues):5d} "
            f"{max(cps, default=0):7.1f} {statistics.fmean(cps) if cps else 0:8.1f} "
            f"{r.engine_ms:9.2f} {r.layout_ms:9.2f} {took:>22} {share:>12}  {violations(r.cues)}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--media", type=Path, default=Path("media"))
    parser.add_argument("--out", type=Path, default=Path("build"), help="the flow's output folder")
    parser.add_argument("--model", default="base")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per measurement (median)")
    parser.add_argument("--fresh", action="store_true", help="transcribe even when a draft exists")
    args = parser.parse_args()

    jobs, errors = find_videos([args.media])
    for e in errors:
        print(e, file=sys.stderr)
    if not jobs:
        print(
            f"no videos in {args.media}: run '.venv/bin/videokit samples --if-empty'",
            file=sys.stderr,
        )
        return 0  # nothing to measure is not a failure of the engine

    drafts = Drafts(args.out, args.model, args.fresh)
    rows: list[Row] = []
    sentences: list[str] = []
    for job in jobs:
        transcript, took, note = drafts.get(job)
        energy = draft.audio_energy(media.load_audio(job.path))
        rows.append(
            measure(job.slug, transcript, energy, read_glossary(job), args.runs, took, note)
        )
        timing = job.path.with_name(f"{job.path.stem}.timing.json")
        if timing.is_file():
            manuscript = manuscript_transcript(timing)
            sentences += [s.text.strip() for s in manuscript.segments]
            name = f"{job.slug} (manuscript)"
            rows.append(measure(name, manuscript, None, (), args.runs, None, "n/a (manuscript)"))
    if sentences:
        synthetic = synthetic_transcript(sentences)
        rows.append(measure("synthetic 10 min", synthetic, None, (), 3, None, "n/a (synthetic)"))

    print()
    print_table(rows)
    print(
        "\nengine = videokit.draft.captions (guard + glossary + layout), layout = "
        f"segment.cues_from_transcript; medians of {args.runs} runs (3 for the synthetic stream)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
