"""How a team's work is spread: shares of a batch for its workers, and the wall time a back
catalogue takes on N CPU workers and M GPU workers (``bench/schedule.py``).

Pure arithmetic: the team path (``flows.share``) and the benchmark use the same rule, so the
benchmark's figures are those of the service.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass


def shares(weights: Sequence[float], n: int) -> list[list[int]]:
    """The indices of ``weights`` in at most ``n`` shares of about equal weight.

    Longest first, each to the lightest share so far (within 4/3 of the best split); a share
    keeps its items in their given order, so a batch's videos are made in the order it lists.
    """
    n = max(1, min(n, len(weights)))
    heap = [(0.0, k) for k in range(n)]
    out: list[list[int]] = [[] for _ in range(n)]
    for i in sorted(range(len(weights)), key=lambda i: -weights[i]):
        load, k = heapq.heappop(heap)
        out[k].append(i)
        heapq.heappush(heap, (load + weights[i], k))
    return [sorted(share) for share in out if share]


@dataclass(frozen=True)
class StageTimes:
    """Measured costs of one video's stages, per second of its audio unless named ``_s``."""

    encode: float  # web encode (CPU)
    captions: float  # captions, pages, preview after the draft (CPU)
    draft_gpu: float  # speech recognition on a GPU worker
    draft_cpu: float  # the same on a CPU worker (where there is no GPU pool)
    probe_s: float = 0.5
    subflow_s: float = 1.5  # Prefect's cost per video (a subflow and its tasks)
    run_start_s: float = 15.0  # a deployment run: process start and model load

    def to_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.__dict__.items()}

    @classmethod
    def from_dict(cls, data: dict[str, float]) -> StageTimes:
        return cls(**{k: float(data[k]) for k in cls.__dataclass_fields__ if k in data})


def wall_time(times: StageTimes, durations_s: Sequence[float], cpu: int, gpu: int) -> float:
    """Seconds until every video is done on ``cpu`` CPU workers and ``gpu`` GPU workers.

    Each worker does one stage at a time. A video's encode can start at once, its draft too (on
    the GPU pool in the batch's order, else on a CPU worker after its encode), its captions once
    both are done; a free CPU worker makes captions before it starts new work (finished videos
    first). Each worker pays one run start (process and model), each video its Prefect subflow.
    """
    if cpu < 1:
        raise ValueError("at least one CPU worker is needed (encodes and captions)")
    n = len(durations_s)
    encoded: list[float | None] = [None] * n
    drafted: list[float | None] = [None] * n
    gpu_free = [times.run_start_s] * gpu
    for v in range(n if gpu else 0):
        k = min(range(gpu), key=gpu_free.__getitem__)
        gpu_free[k] += times.probe_s + times.draft_gpu * durations_s[v]
        drafted[v] = gpu_free[k]
    work = [(stage, v) for v in range(n) for stage in ("encode", *(() if gpu else ("draft",)))]
    work.reverse()  # popped from the end: the batch's order
    cpu_free = [times.run_start_s] * cpu
    captioned = 0
    finished = 0.0
    made: set[int] = set()
    while captioned < n:
        k = min(range(cpu), key=cpu_free.__getitem__)
        now = cpu_free[k]
        ready = [
            (max(e, d), v)
            for v, (e, d) in enumerate(zip(encoded, drafted))
            if v not in made and e is not None and d is not None
        ]
        due = [r for r in ready if r[0] <= now]
        if due:
            v = min(due)[1]
            made.add(v)
            captioned += 1
            cpu_free[k] = now + times.captions * durations_s[v] + times.subflow_s
            finished = max(finished, cpu_free[k])
        elif work:
            stage, v = work.pop()
            cost = times.encode if stage == "encode" else times.draft_cpu
            cpu_free[k] = now + times.probe_s + cost * durations_s[v]
            (encoded if stage == "encode" else drafted)[v] = cpu_free[k]
        else:
            cpu_free[k] = min(r[0] for r in ready)  # idle until the next draft is done
    return finished
