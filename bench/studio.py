"""The review studio as an editor uses it: how many UI actions a correction takes, and how fast a
keystroke is at 900 cues.

1. **A scripted correction.** A 40-second video whose machine draft has 28 wrong words of 75
   (word by word: misspellings, a mis-heard word three times, split and joined words, missing
   commas), one invented cue, three cue edges off by 0.5-0.6 s and no speaker.
   ``bench/studio.mjs`` makes the same correction an editor would, in Chromium, counting every
   click, key, drag and scroll, and checks that the result is the reference (text, times within
   50 ms, speaker).
2. **Keystroke latency at 900 cues** (a 60-minute video): the page's own work for one key in a
   cue's text (every handler, then style and layout), median and 95th percentile of 60 keys.

Run from the repository root: ``.venv/bin/python bench/studio.py`` (needs Chromium and the
browser tests' node_modules, as ``make test`` does).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from difflib import SequenceMatcher
from pathlib import Path

import numpy as np

from videokit import pipeline
from videokit.config import Settings
from videokit.draft import Source
from videokit.edits import to_review_srt
from videokit.engines import DEFAULT_ASR
from videokit.media import MediaInfo
from videokit.review import ReviewDesk
from videokit.studio import running
from videokit.transcript import Cue, Segment, Transcript, Word
from videokit.workspace import Layout, Project, VideoJob

ROOT = Path(__file__).resolve().parents[1]
SLUG = "budgetmoede"
SPEAKER = "Mette Hansen"
# (start, end, reference text, draft text, draft start, draft end)
SCRIPT = [
    (500, 3900, "Velkommen til årets budgetmøde i byrådet.",
     "Velkomen til aarets budget møde i byråded.", 0, 3900),
    (4200, 7600, "Vi skal i aften drøfte budgettet for skolerne",
     "Vi skal i aften drøfde butikken for skolrne", 4200, 7600),
    (7800, 10900, "og se på, hvordan forskningen i læsning bruges.",
     "og se på, hvordan forskiningen i læsnig bruges.", 7800, 10900),
    (11300, 14800, "Og budgettet for ældreplejen kommer bagefter,",
     "Og butikken for ældreplegen kommer bageftr,", 11300, 14800),
    (15000, 18600, "og borgerne kan stille spørgsmål til sidst.",
     "og borgrne kan stille spørgsmaal til sidst.", 15000, 18000),
    (19000, 22700, "Husk, at sprogene i vores skoler er mange,",
     "Husk at sprogne i vores skoler er mange,", 19000, 22700),
    (23000, 26400, "og at budgettet skal tage hensyn til det.",
     "og at butikken skal tage hensny til det.", 23000, 26400),
    (26800, 30200, "Tak, fordi I kom, og god fornøjelse.",
     "Tak, for at I kom og god fornøjlse.", 26800, 30200),
    (30600, 34000, "Mødet bliver optaget og lagt på kommunens hjemmeside.",
     "Mødet bliver optaget og lagt på kommunes hjemmesde.", 31200, 34000),
    (34300, 37800, "Der kommer undertekster på, så alle kan følge med.",
     "Der kommer under tekster på så alle kan følge med.", 34300, 37800),
]  # fmt: skip
INVENTED = Cue(38300, 39500, ("Tak for i aften.",))
DURATION_MS = 40_000


class FakeModel:
    """The pipeline step's model, without one: the studio loads no speech model either."""

    ref = "bench"

    def __init__(self) -> None:
        self.spec = type("Spec", (), {"sha256": "bench-model"})()
        self.settings = DEFAULT_ASR  # what keys its drafts in the cache
        self.asr = self

    def align(self, audio, windows):
        return [None for _ in windows]


def machine(cues: list[Cue], duration_ms: int) -> Transcript:
    segments = []
    for cue in cues:
        words = cue.text.split()
        step = (cue.end_ms - cue.start_ms) // max(1, len(words))
        ws = tuple(
            Word(" " + w, cue.start_ms + k * step, cue.start_ms + (k + 1) * step - 20, 0.9)
            for k, w in enumerate(words)
        )
        segments.append(Segment(cue.start_ms, cue.end_ms, " " + " ".join(words), ws))
    return Transcript("da", duration_ms, tuple(segments), model="bench@1")


def project(tmp: Path, cues: list[Cue], duration_ms: int, video: bool) -> Project:
    """A produced project whose draft is exactly ``cues`` (as an editor's first file)."""
    path = tmp / "media" / f"{SLUG}.mp4"
    path.parent.mkdir(parents=True, exist_ok=True)
    if video:
        subprocess.run(
            ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=320x180:r=25",
             "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", str(duration_ms / 1000),
             "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-y", str(path)],
            check=True,
        )  # fmt: skip
    else:
        path.write_bytes(b"no picture: the keystroke benchmark needs none")
    samples = np.zeros(duration_ms * 16, np.float32)
    pipeline.load_samples = lambda _s: samples  # type: ignore[assignment]
    source = Source(VideoJob(path, SLUG), "ab" * 32, MediaInfo(duration_ms))
    layout = Layout(tmp / "build", tmp / "review")
    if video:
        pipeline.encode_preview(source, layout)
    draft = machine(cues, duration_ms)
    pipeline.caption_and_review(layout, source, draft, FakeModel(), Settings())
    ReviewDesk(layout.review).srt_path(SLUG).write_text(to_review_srt(cues), encoding="utf-8")
    pipeline.caption_and_review(layout, source, draft, FakeModel(), Settings())
    return Project.locate(tmp)


def wrong_words(reference: str, draft: str) -> int:
    """Words of the draft that differ from the reference (a replaced run counts its longer side)."""
    ops = SequenceMatcher(a=reference.split(), b=draft.split(), autojunk=False).get_opcodes()
    return sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in ops if tag != "equal")


def long_cues(count: int = 900) -> list[Cue]:
    text = ("Byrådet drøfter budgettet for skolerne i aften", "og borgerne kan spørge til sidst.")
    return [Cue(i * 4000 + 200, i * 4000 + 3800, text) for i in range(count)]


def run_node(mode: str, url: str, out: Path, extra: dict) -> dict:
    config = {"mode": mode, "url": url, "slug": SLUG, "chromium": "/usr/bin/chromium", **extra}
    (out / f"{mode}.json").write_text(json.dumps(config), encoding="utf-8")
    done = subprocess.run(
        ["node", str(ROOT / "bench" / "studio.mjs"), str(out / f"{mode}.json")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode:
        sys.exit(f"studio.mjs {mode} failed:\n{done.stdout}\n{done.stderr}")
    result: dict = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=("actions", "keys"), help="run one of the two")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="videokit-bench-studio-") as name:
        tmp = Path(name)
        if args.only != "keys":
            draft = [Cue(s, e, (d,)) for _, _, _, d, s, e in SCRIPT] + [INVENTED]
            reference = [
                {"start_ms": s, "end_ms": e, "text": t, "speaker": SPEAKER}
                for s, e, t, *_ in SCRIPT
            ]
            wrong = sum(wrong_words(t, d) for _, _, t, d, *_ in SCRIPT)
            p = project(tmp / "actions", draft, DURATION_MS, video=True)
            (p.media / "glossary.txt").write_text("byrådet\n", encoding="utf-8")
            with running(p) as url:
                got = run_node("actions", url, tmp, {"reference": reference})
            print(f"Scripted correction ({len(draft)} draft cues, about {wrong} wrong words):")
            print(f"  {got['total']} UI actions: {got['counts']}")
            print(f"  result equals the reference: {got['matches']}")
            if not got["matches"]:
                print(json.dumps(got["differences"], ensure_ascii=False, indent=1))
        if args.only != "actions":
            cues = long_cues()
            p = project(tmp / "keys", cues, cues[-1].end_ms + 1000, video=False)
            with running(p) as url:
                got = run_node("keys", url, tmp, {})
            print(f"Keystroke at {len(cues)} cues: median {got['median_ms']:.1f} ms, "
                  f"p95 {got['p95_ms']:.1f} ms over {got['keys']} keys (target < 16 ms)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
