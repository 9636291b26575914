"""Approving on the sample videos: how long the approval itself takes, and the social files after.

Run from the repository root: ``.venv/bin/python bench/approve.py [--short-side 1080]``.

It renders the three sample videos (``media/samples/``) into a temporary project, produces each
from its manuscript's true sentence times (no speech model: how the draft was made does not change
what approving costs), and then per video:

1. ``approve``: ``pipeline.approve_and_publish``, what ``videokit approve`` and the studio wait for
   (checked, staged, recorded, swapped in, preview and zip updated); target under 5 s;
2. ``social``: ``pipeline.finish_social``, the background work after it: every format of
   ``[social] formats``, clean and burned in, each checked on its frames.

Printed: seconds for each, and each format's state and measured contrast.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import time
from pathlib import Path

from videokit import draft, pipeline, samples
from videokit.config import Settings
from videokit.media import probe
from videokit.social import SocialSettings
from videokit.transcript import Segment, Transcript, Word
from videokit.workspace import Layout, VideoJob, read_meta

TARGET_S = 5.0


def timed_transcript(timing: Path) -> Transcript:
    """The manuscript's sentences at their true times, words spread by length inside each."""
    data = json.loads(timing.read_text(encoding="utf-8"))
    segments = []
    for s in data["sentences"]:
        words, span = s["text"].split(), s["end_ms"] - s["start_ms"]
        total, at, out = sum(len(w) + 1 for w in words), s["start_ms"], []
        for w in words:
            step = span * (len(w) + 1) // total
            out.append(Word(" " + w, at, at + step))
            at += step
        segments.append(Segment(s["start_ms"], s["end_ms"], " " + s["text"], tuple(out)))
    return Transcript("da", max(s.end_ms for s in segments) + 1500, tuple(segments))


def produce(layout: Layout, video: Path) -> str:
    job = VideoJob(video, video.stem)
    digest = hashlib.sha256(video.read_bytes()).hexdigest()
    source = draft.Source(job, digest, probe(video))
    pipeline.encode_preview(source, layout)
    machine = timed_transcript(video.with_name(f"{video.stem}.timing.json"))
    caps = draft.captions(machine)
    pipeline.review_and_publish(
        layout, source, read_meta(job), machine, caps, align=lambda _text: machine
    )
    return job.slug


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short-side", type=int, default=1080, help="social formats' short side")
    args = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    settings = Settings(social=SocialSettings(short_side=args.short_side))
    with tempfile.TemporaryDirectory(prefix="videokit-bench-") as tmp:
        media_dir = Path(tmp) / "media"
        (media_dir / "samples").mkdir(parents=True)
        for manuscript in samples.sample_manuscripts(root / "media"):
            (media_dir / "samples" / manuscript.name).write_bytes(manuscript.read_bytes())
        videos = samples.render_all(media_dir)
        layout = Layout(Path(tmp) / "build", Path(tmp) / "review")
        print(f"{'video':<36} {'length':>7} {'approve':>8} {'social':>8}  formats")
        worst = 0.0
        for video in videos:
            slug = produce(layout, video)
            started = time.perf_counter()
            pipeline.approve_and_publish(layout, slug, "Bench")
            approve_s = time.perf_counter() - started
            worst = max(worst, approve_s)
            started = time.perf_counter()
            status = pipeline.finish_social(layout, slug, settings)
            social_s = time.perf_counter() - started
            length = probe(video).duration_ms / 1000
            formats = ", ".join(
                f"{o.format} {o.state}"
                + (f" ({min(c.contrast for c in o.checks):.1f}:1)" if o.checks else "")
                for o in (status.outputs if status else ())
            )
            print(f"{slug:<36} {length:>6.1f}s {approve_s:>7.2f}s {social_s:>7.1f}s  {formats}")
        verdict = "ok" if worst < TARGET_S else "OVER"
        print(f"\nslowest approval: {worst:.2f} s (target under {TARGET_S:g} s): {verdict}")
    return 0 if worst < TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
