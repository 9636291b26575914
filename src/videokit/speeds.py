"""What a Whisper architecture costs on a CPU, as ``bench/models.py`` measured it, and which model
this machine can afford.

The figures are CPU seconds per second of audio with 2 threads (random weights of the real shapes,
120 tokens per 30-s window, beam 5, word times): on an idle 2-core machine a run takes at most this
long per audio second (both cores busy all the time would halve it). They were measured on a
shared machine, where the CPU time is what the work costs and the wall clock is not. Pure logic:
the caller says how many cores and how much memory there are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

FASTEST = "fw-int8"  # faster-whisper int8: the fastest setting measured on CPU for every size
SETTING_NAMES = {
    "ow-seq": "openai-whisper, sequential",
    "ow-batched": "openai-whisper, batched",
    "fw-int8": "faster-whisper int8",
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


# bench/models.py --seconds 30 --threads 2, 2026-12-02 (the README's model table). An architecture
# or setting that is missing was not measured: the shared 2-core machine ran at a load of 25-35.
MEASURED: dict[str, dict[str, Cost]] = {
    "base": {"fw-int8": Cost(0.16, 456)},  # a second run: 0.14, 443 MB
    "small": {"fw-int8": Cost(0.42, 717)},
}


def cost(arch: str, setting: str = FASTEST) -> Cost | None:
    return MEASURED.get(arch, {}).get(setting)


def rtf_on(cpu_per_audio_s: float, cores: int) -> float:
    """Estimated real-time factor on ``cores`` (an idle machine): the 2-thread CPU time spread
    over the cores there are, counting the cores beyond two at a discount."""
    useful = min(max(cores, 1), MAX_USEFUL_CORES)
    if useful <= MEASURED_THREADS:
        # Measured with 2 threads: on 2 cores at most the CPU time; on 1 core exactly it.
        return cpu_per_audio_s
    extra = (useful - MEASURED_THREADS) * EXTRA_CORE_EFFICIENCY
    return cpu_per_audio_s * MEASURED_THREADS / (MEASURED_THREADS + extra)


def ten_minutes(arch: str, setting: str = FASTEST, cores: int = MEASURED_THREADS) -> str:
    """'a 10-minute video takes ...' on ``cores``, or '–' where it was not measured."""
    c = cost(arch, setting)
    if c is None:
        return "–"
    return f"≤ {rtf_on(c.cpu_per_audio_s, cores) * 10:.0f} min"


@dataclass(frozen=True)
class Pick:
    arch: str
    rtf: float
    peak_mb: int


def affordable(
    archs: Sequence[str], cores: int, memory_mb: int, max_rtf: float = 1.0
) -> list[Pick]:
    """The architectures (in the order given) that run at ``max_rtf`` or faster on the fastest
    engine and fit in memory with room for the rest of videokit (a quarter kept free)."""
    out = []
    for arch in archs:
        c = cost(arch)
        if c is None:
            continue
        rtf = rtf_on(c.cpu_per_audio_s, cores)
        if rtf <= max_rtf and c.peak_mb <= memory_mb * 0.75:
            out.append(Pick(arch, rtf, c.peak_mb))
    return out
