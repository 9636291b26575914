"""What a Whisper architecture costs on a CPU, as ``bench/models.py`` measured it, and which model
this machine can afford.

The figures are CPU seconds per second of audio with 2 threads (random weights of the real shapes,
4 tokens per audio second forced, beam 5, word times): a run takes at most this long per audio
second on 2 idle cores (both cores busy all the time would halve it), so the estimates are upper
bounds. Pure logic: the caller says how many cores and how much memory there are.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

FASTEST = "fw-int8"  # faster-whisper int8: the fastest setting measured on CPU for every size
# openai-whisper's best: batched where it was measured, else sequential (large-v3 batched needs
# about 16 GB, more than the measuring machine could spare).
TORCH = "ow-batched"
SETTING_NAMES = {
    "ow-seq": "openai-whisper, sequential",
    "ow-batched": "openai-whisper, batched",
    "fw-int8": "faster-whisper int8",
    "fw-int8-batched": "faster-whisper int8, batched pipeline",
}
MEASURED_THREADS = 2
# Beyond the measured threads, each further core is assumed to add this share of one core's work
# (CTranslate2's and torch's GEMMs scale well; the decoding loop between them does not).
EXTRA_CORE_EFFICIENCY = 0.6
MAX_USEFUL_CORES = 8


@dataclass(frozen=True)
class Cost:
    cpu_per_audio_s: float  # CPU seconds per second of audio, 2 threads
    peak_mb: int  # the process's peak resident memory
    wall_rtf: float = 0.0  # wall seconds per audio second on 2 cores (0: not recorded)

    @property
    def on_two_cores(self) -> float:
        """Seconds per audio second on 2 cores, the worse of the two measures: the CPU time
        bounds an idle machine, but a run that waits on memory can take longer than it."""
        return max(self.cpu_per_audio_s, self.wall_rtf)


# bench/models.py --threads 2, 2026-12-02, on an idle 2-core machine (the README's table; peak
# memory rounded to 0.1 GB where the run printed it so). fw-int8-batched is faster-whisper's batched
# pipeline, which videokit's drafts do not use; it is kept for comparison only.
MEASURED: dict[str, dict[str, Cost]] = {
    "base": {
        "ow-seq": Cost(0.69, 1400, 0.59),
        "ow-batched": Cost(0.27, 1600, 0.22),
        "fw-int8": Cost(0.13, 500, 0.09),
        "fw-int8-batched": Cost(0.10, 900, 0.06),
    },
    "small": {
        "ow-seq": Cost(2.56, 3100, 2.57),
        "ow-batched": Cost(1.43, 3800, 1.85),
        "fw-int8": Cost(0.42, 800, 0.63),
        "fw-int8-batched": Cost(0.34, 1500, 0.43),
    },
    "large-v3-turbo": {
        "ow-seq": Cost(2.94, 6500, 1.83),
        "ow-batched": Cost(2.30, 6500, 1.22),
        "fw-int8": Cost(0.85, 3700, 1.11),
    },
    "large-v3": {
        "ow-seq": Cost(7.85, 14900, 4.11),
        "fw-int8": Cost(2.20, 6500, 1.48),
    },
}


def cost(arch: str, setting: str = FASTEST) -> Cost | None:
    measured = MEASURED.get(arch, {})
    if setting == TORCH and setting not in measured:
        return measured.get("ow-seq")
    return measured.get(setting)


def rtf_on(c: Cost, cores: int) -> float:
    """Estimated real-time factor on ``cores`` (an idle machine): the 2-core figure, spread over
    the cores there are, counting the cores beyond two at a discount. One core does the whole CPU
    time alone, which the 2-core figure already bounds."""
    useful = min(max(cores, 1), MAX_USEFUL_CORES)
    if useful <= MEASURED_THREADS:
        return c.on_two_cores
    extra = (useful - MEASURED_THREADS) * EXTRA_CORE_EFFICIENCY
    return c.on_two_cores * MEASURED_THREADS / (MEASURED_THREADS + extra)


def ten_minutes(arch: str, setting: str = FASTEST, cores: int = MEASURED_THREADS) -> str:
    """'a 10-minute video takes ...' on ``cores``, or '–' where it was not measured."""
    c = cost(arch, setting)
    if c is None:
        return "–"
    return f"≤ {math.ceil(rtf_on(c, cores) * 10 - 1e-9)} min"


def fits(c: Cost, memory_mb: int) -> bool:
    """Whether a model of this cost fits beside the rest of videokit (a quarter kept free)."""
    return c.peak_mb <= memory_mb * 0.75


@dataclass(frozen=True)
class Pick:
    arch: str
    rtf: float
    peak_mb: int


def affordable(
    archs: Sequence[str], cores: int, memory_mb: int, max_rtf: float = 1.0
) -> list[Pick]:
    """The architectures (in the order given) that run at ``max_rtf`` or faster on the fastest
    engine and :func:`fit <fits>` in memory."""
    out = []
    for arch in archs:
        c = cost(arch)
        if c is None:
            continue
        rtf = rtf_on(c, cores)
        if rtf <= max_rtf and fits(c, memory_mb):
            out.append(Pick(arch, rtf, c.peak_mb))
    return out
