"""What the team service costs per video: one batch of the sample videos on a team of one worker.

Run from the repository root after `make run`:

    .venv/bin/python bench/team.py [--copies 1] [--config videokit.toml]

It renders the sample videos (``--copies`` of each, renamed, so none is cached) into a fresh
project, starts a team (its own server, team folder, draft cache and port; one worker, the watch
off), runs one ``produce/videokit`` batch of them and stops the team. Printed: the batch's wall
time, per video, and the flow runs it made with the seconds each took from its start to its end.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from videokit.processes import free_port
from videokit.samples import render_all


def main() -> int:
    from flows import server
    from flows import team as t
    from flows.deployments import BATCH
    from prefect.deployments import run_deployment

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--config", type=Path, help="a videokit.toml for the project")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="videokit-bench-team-") as tmp:
        root = Path(tmp)
        media = root / "project" / "media"
        shutil.copytree("media/samples", root / "rendered" / "samples")
        rendered = render_all(root / "rendered")
        media.mkdir(parents=True)
        for copy in range(args.copies):
            for video in rendered:
                shutil.copy(video, media / f"{video.stem}-{copy}{video.suffix}")
        if args.config:
            shutil.copy(args.config, root / "project" / "videokit.toml")
        team = t.Team(
            project=root / "project",
            home=root / "home",
            port=free_port(),
            workers=1,
            watch=False,
            cache_dir=root / "cache",
        )
        t.up(team, log=lambda _m: None)
        try:
            with server.settings(team.url, team.auth):
                started = time.perf_counter()
                batch = run_deployment(BATCH, parameters={}, timeout=None)
                wall = time.perf_counter() - started
            with server.client(team.url, team.auth) as client:
                runs = client.read_flow_runs(limit=200)
        finally:
            t.down(team.home, log=lambda _m: None)
    count = len(rendered) * args.copies
    print(
        f"batch {batch.state_name}: {wall:.1f} s for {count} videos, {wall / count:.1f} s a video"
    )
    for run in sorted(runs, key=lambda r: r.start_time or r.expected_start_time):
        seconds = (run.end_time - run.start_time).total_seconds() if run.end_time else 0.0
        print(f"  {run.name:<40} {run.state_name:<10} {seconds:7.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
