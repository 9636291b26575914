"""How long a back catalogue takes on the team service: N CPU workers and M GPU workers.

Run from the repository root after `make run`:

    .venv/bin/python bench/schedule.py [--hours 500] [--video-minutes 30] [--cpu 1,2,4,8]
        [--gpu 0,1,2,4] [--figures FIGURES.json] [--measure-prefect 20]

The per-stage costs come from ``--figures`` (a JSON object with the fields of
``videokit.schedule.StageTimes``), else from the figures measured for the README (below, with
where each comes from). ``--measure-prefect N`` first measures here what Prefect adds per video:
a flow that runs N subflows of one task each against a Prefect server of its own, less the same
work without Prefect. The simulation (``videokit.schedule.wall_time``) is the rule the service
follows: drafts on the GPU pool in the batch's order, encodes and captions on the CPU workers.
Printed: a table of wall times in hours, and the figures used (JSON, to save and edit).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from videokit.schedule import StageTimes, wall_time

# Measured (README: "The whole flow against its draft", "The team service's cost per video").
MEASURED = StageTimes(
    encode=0.15,  # a source that must be re-encoded: 91 s for 10 min on 2 cores (copy: ~0)
    captions=0.02,  # produce minus its draft on the 10-minute video, per audio second
    draft_cpu=1.11,  # base, the defaults, 2 cores: 663.6 s for 10 min
    draft_gpu=0.18,  # base, the defaults, H100: 5.6x real time (shared ASR notes)
    probe_s=0.5,
    subflow_s=1.5,  # replaced by --measure-prefect
    run_start_s=15.0,  # a deployment run's process start and model load (issue's figure)
)


def measure_prefect(n: int) -> float:
    """Seconds Prefect adds per video: a subflow with one task, against a running server."""
    from flows.server import server_for_this_run
    from prefect import flow, task

    @task
    def step(i: int) -> int:
        return i

    @flow
    def video(i: int) -> int:
        return step(i)

    @flow
    def batch(count: int) -> int:
        return sum(video(i) for i in range(count))

    with server_for_this_run():
        batch(1)  # the server's and the engine's start, not a per-video cost
        started = time.perf_counter()
        batch(n)
        with_prefect = time.perf_counter() - started
        started = time.perf_counter()
        batch(0)
        empty = time.perf_counter() - started
    return (with_prefect - empty) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=500.0)
    parser.add_argument("--video-minutes", type=float, default=30.0)
    parser.add_argument("--cpu", default="1,2,4,8")
    parser.add_argument("--gpu", default="0,1,2,4")
    parser.add_argument("--figures", type=Path, default=None)
    parser.add_argument("--measure-prefect", type=int, default=0, metavar="N")
    args = parser.parse_args()
    times = StageTimes.from_dict(json.loads(args.figures.read_text())) if args.figures else MEASURED
    if args.measure_prefect:
        per_video = measure_prefect(args.measure_prefect)
        print(
            f"Prefect per video (subflow and task, {args.measure_prefect} runs): {per_video:.2f} s"
        )
        times = StageTimes.from_dict({**times.to_dict(), "subflow_s": per_video})
    count = round(args.hours * 60 / args.video_minutes)
    videos = [args.video_minutes * 60.0] * count
    cpus = [int(c) for c in args.cpu.split(",")]
    gpus = [int(g) for g in args.gpu.split(",")]
    print(f"{args.hours:g} h as {count} videos of {args.video_minutes:g} min; wall time in hours")
    print("| CPU workers | " + " | ".join(f"{m} GPU" for m in gpus) + " |")
    print("|---|" + "---|" * len(gpus))
    for n in cpus:
        cells = [f"{wall_time(times, videos, n, m) / 3600:.1f}" for m in gpus]
        print(f"| {n} | " + " | ".join(cells) + " |")
    print(json.dumps(times.to_dict()))


if __name__ == "__main__":
    main()
