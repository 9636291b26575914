"""Where decoding runs and how many 30-s windows go through the model at once.

Pure decisions on numbers: the caller passes anything shaped like ``torch.cuda`` (``is_available()``
and ``mem_get_info()``), so the GPU rules are tested with a stand-in on machines without one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

GIB = 1 << 30
# On CPU the arithmetic is the same batched or not; a batch spreads the per-step Python and kernel
# overheads over more rows, and a window that is done leaves the batch, so a bigger batch wastes
# little (measured on the samples: 8 windows 10 % faster than 4). Each window holds ~40 MB of
# cross-attention keys and values for base in float32.
CPU_BATCH = 8
MAX_GPU_BATCH = 64
# Room left for the CUDA context, the allocator's fragmentation and other processes.
GPU_RESERVE_BYTES = 2 * GIB
SAFETY = 1.5  # the estimate below counts the big tensors only


class Cuda(Protocol):
    def is_available(self) -> bool: ...

    def mem_get_info(self) -> tuple[int, int]: ...


@dataclass(frozen=True)
class Dims:
    """The model sizes that drive memory (openai-whisper's ModelDimensions has them all)."""

    n_audio_ctx: int
    n_audio_state: int
    n_audio_head: int
    n_text_ctx: int
    n_text_state: int
    n_text_layer: int
    n_vocab: int


@dataclass(frozen=True)
class DevicePlan:
    device: str  # "cuda" | "cpu"
    fp16: bool
    batch_size: int


def window_bytes(dims: Dims, beams: int, bytes_per_value: int = 2) -> int:
    """Peak memory one window adds to a batch: encoder activations plus the decoder's caches."""
    b = bytes_per_value
    # The encoder's attention scores for one layer, and its MLP activations, alive at once.
    encoder = (
        dims.n_audio_head * dims.n_audio_ctx**2 * b + 8 * dims.n_audio_ctx * dims.n_audio_state * b
    )
    # Per window: the cross-attention keys and values of every layer (shared by its beams).
    # Per beam: its copy of the audio features, the self-attention cache, and float32 logits.
    cross = 2 * dims.n_text_layer * dims.n_audio_ctx * dims.n_text_state * b
    per_beam = (
        dims.n_audio_ctx * dims.n_text_state * b
        + 2 * dims.n_text_layer * dims.n_text_ctx * dims.n_text_state * b
        + dims.n_vocab * 4
    )
    return int(SAFETY * (encoder + cross + beams * per_beam))


def plan(
    cuda: Cuda | None,
    dims: Dims,
    beams: int,
    *,
    device: str | None = None,
    batch_size: int | None = None,
) -> DevicePlan:
    """fp16 on a GPU with a batch that fits its free memory; on CPU exactly today's float32.

    ``device`` and ``batch_size`` are the user's settings; None means decide here.
    """
    has_gpu = cuda is not None and cuda.is_available()
    chosen = device or ("cuda" if has_gpu else "cpu")
    if chosen != "cuda" or cuda is None or not has_gpu:
        return DevicePlan("cpu" if chosen == "cuda" else chosen, False, batch_size or CPU_BATCH)
    if batch_size is None:
        free, _total = cuda.mem_get_info()
        fits = (free - GPU_RESERVE_BYTES) // window_bytes(dims, max(1, beams))
        batch_size = max(1, min(MAX_GPU_BATCH, int(fits)))
    return DevicePlan("cuda", True, batch_size)


def videos_at_once(cpu_count: int) -> int:
    """Videos one process works on at the same time when no worker pool shares them out.

    The draft takes every core it is given and runs one video at a time (one model in memory);
    with cores to spare, the next video's probe, web encode and pages run beside it. On two cores
    a second video only slows the draft down.
    """
    return 2 if cpu_count >= 4 else 1
