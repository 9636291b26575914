"""The whole flow against its draft alone, on one long video: what the flow adds to the ASR time.

Run from the repository root after `make run`:

    .venv/bin/python bench/flow.py [--minutes 10] [--config videokit.toml]

It makes a video of ``--minutes`` from the sample videos (repeated) in a project whose settings are
``--config`` (for example ``[asr] batched = true``; default: none, the defaults), then, with an
empty draft cache each time:
1. ``asr``: the draft alone, as the flow makes it (probe, decode the audio, transcribe);
2. ``flow``: ``videokit produce`` on a project holding only that video (a temporary Prefect server,
   the web encode beside the draft, captions, pages, package);
3. ``rerun``: ``videokit produce`` again with nothing changed.

Printed: seconds for each, the flow's ratio to the draft (issue target: at most 1.15) and the
rerun's share of the first run (target: at most 3 %).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from videokit import draft, pipeline
from videokit.config import load_settings
from videokit.workspace import find_videos


def long_video(samples: list[Path], seconds: float, into: Path) -> Path:
    """The samples one after another, repeated until ``seconds`` (stream copy: no re-encode)."""
    listing = into.with_suffix(".txt")
    total, lines = 0.0, []
    durations = {p: _duration(p) for p in samples}
    while total < seconds:
        for p in samples:
            lines.append(f"file '{p.resolve()}'")
            total += durations[p]
    listing.write_text("\n".join(lines) + "\n")
    concat = ["-f", "concat", "-safe", "0", "-i", str(listing)]
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", *concat, "-t", str(seconds), "-c", "copy", str(into)],
        check=True,
    )
    return into


def _duration(path: Path) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(out.stdout.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--media", type=Path, default=Path("media"))
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--config", type=Path, help="a videokit.toml for the project")
    args = parser.parse_args()
    samples = sorted(args.media.glob("*.mp4"))
    if not samples:
        print("no sample videos: run 'make run' (or 'videokit samples') first", file=sys.stderr)
        return 1
    videokit = str(Path(sys.executable).with_name("videokit"))
    with tempfile.TemporaryDirectory(prefix="videokit-bench-") as tmp:
        root = Path(tmp)
        media_dir = root / "project" / "media"
        media_dir.mkdir(parents=True)
        video = long_video(samples, args.minutes * 60, media_dir / "lang-video.mp4")
        print(f"{video.name}: {_duration(video):.0f} s, {os.cpu_count()} cores")
        config = root / "project" / "videokit.toml"
        if args.config:
            shutil.copy(args.config, config)
        settings = load_settings(config)
        print(f"asr settings: {settings.asr}")

        os.environ["VIDEOKIT_CACHE_DIR"] = str(root / "cache-asr")
        (job,), _ = find_videos([video])
        handle = draft.ModelHandle(settings.model_ref(None), settings=settings.asr)
        t0 = time.perf_counter()
        source = draft.probe(job)
        draft.transcribe(source, handle, pipeline.decode_options(job, "da", settings))
        asr = time.perf_counter() - t0

        env = {**os.environ, "VIDEOKIT_CACHE_DIR": str(root / "cache-flow")}
        env.pop("PREFECT_API_URL", None)
        command = [videokit, "produce", "--project", str(root / "project")]
        t0 = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        flow = time.perf_counter() - t0
        t0 = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        rerun = time.perf_counter() - t0
        shutil.rmtree(root / "cache-flow", ignore_errors=True)
    print(f"{'asr (draft alone, model load included)':<40} {asr:8.1f} s")
    print(f"{'flow (videokit produce, first run)':<40} {flow:8.1f} s   {flow / asr:.2f}x asr")
    print(f"{'rerun (nothing changed)':<40} {rerun:8.1f} s   {rerun / flow:.1%} of the first")
    return 0


if __name__ == "__main__":
    sys.exit(main())
