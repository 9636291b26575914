"""The places where videokit changes whisper's own objects for the length of a call.

Each is a context manager or a one-time setting on a loaded model, undone or harmless outside
videokit's calls: a budget of decoding attempts per window, the fallback's random draws fixed,
windows encoded and prompts read once, beams sharing their window's cross-attention, and a
faster layout of the token embedding. They rely on the pinned whisper version's internals.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from .asr_tasks import batch_task, cross_attention_inputs
from .transcript import Unread

DRAW_SEED = 0  # where the temperature fallback's sampling starts (see draws_fixed)


# A window of the recording may be decoded this many times per fallback temperature before it is
# skipped as unreadable. Speech needs one or two reads of each 30 s (more where whisper re-reads
# around pauses); Whisper on noise was seen re-reading a window 30 times, one second further each
# time, and spending 52 minutes on under 2 minutes of a room's noise.
WINDOW_ATTEMPTS = 4


class Budget:
    """Decoding attempts per 30 s of each decoded stretch, counted by where whisper's window starts.

    transcribe() slices the window it reads out of the whole recording's spectrogram; the slice's
    offset in that tensor is the window's start (in 10 ms frames), and its width the window's
    length, read as it is handed to ``pad_or_trim``. Past the budget, :func:`decoding_once`
    answers "no speech", so transcribe() moves on by that window, which is reported as skipped.
    Counts start afresh in each of ``clips`` (ms), so a stretch after a costly one gets its own.
    """

    def __init__(
        self, attempts: int, duration_ms: int, clips: Sequence[tuple[int, int]] = ()
    ) -> None:
        self.attempts = max(1, attempts)
        self.duration_ms = duration_ms
        self.clip_starts = sorted(a // 10 for a, _ in clips) or [0]
        self.start_frame = 0
        self.size_frames = 3000
        self.spent: dict[tuple[int, int], int] = {}
        self.skipped: list[Unread] = []

    @contextmanager
    def watching(self, wt: Any) -> Iterator[None]:
        own = wt.pad_or_trim

        def pad_or_trim(array: Any, *args: Any, **kwargs: Any) -> Any:
            if getattr(array, "ndim", 0) == 2 and hasattr(array, "storage_offset"):
                self.start_frame = int(array.storage_offset())
                self.size_frames = int(array.shape[-1])
            return own(array, *args, **kwargs)

        wt.pad_or_trim = pad_or_trim
        try:
            yield
        finally:
            wt.pad_or_trim = own

    def bucket(self) -> tuple[int, int]:
        """The 30 s of its decoded stretch that the window being read starts in."""
        clip = max((c for c in self.clip_starts if c <= self.start_frame), default=0)
        return clip, (self.start_frame - clip) // 3000  # 10 ms frames

    def admit(self) -> bool:
        bucket = self.bucket()
        self.spent[bucket] = self.spent.get(bucket, 0) + 1
        if self.spent[bucket] <= self.attempts:
            return True
        start = min(self.start_frame * 10, self.duration_ms)
        end = min(start + self.size_frames * 10, self.duration_ms)
        if not self.skipped or self.skipped[-1].end_ms < start:
            self.skipped.append(Unread(start, end, "budget"))
        else:
            last = self.skipped[-1]
            self.skipped[-1] = Unread(last.start_ms, max(last.end_ms, end), "budget")
        return False


@contextmanager
def draws_fixed(device: str) -> Iterator[None]:
    """The fallback's random draws start from the same seed for every transcription.

    Above temperature 0 whisper samples tokens. Without a fixed start, the same video, model
    and settings could give another draft each time the cache misses, and a draft would depend on
    what the process had drawn before; the cache key promises it does not. The caller's random
    state is put back afterwards.
    """
    import torch

    devices = [torch.device(device).index or 0] if device.startswith("cuda") else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(DRAW_SEED)
        yield


@contextmanager
def decoding_once(model: Any, budget: Budget | None = None) -> Iterator[None]:
    """whisper's transcribe() with each window encoded once and its prompt read once.

    transcribe() calls ``model.decode`` once per fallback temperature, and each call encodes the
    window again, projects its cross-attention keys and values for every beam, and reads the
    prompt (up to 223 tokens of the text before) once per beam, projecting every position onto
    the vocabulary. Its word timestamps then run the whole model on the window once more. Here
    ``model.decode`` is videokit's task (:func:`batch_task`), which picks the same tokens, on an
    encoding made once per window, and the alignment finds that encoding too.
    """
    import torch
    from whisper.decoding import DecodingOptions, DecodingResult

    last: list[Any] = [None, None]  # the encoder output last projected, and its cross K/V

    @torch.no_grad()
    def decode(mel: Any, options: Any = None, **changes: Any) -> Any:
        options = options or DecodingOptions()  # whisper's decode() signature
        if changes:
            options = replace(options, **changes)
        if budget is not None and mel.ndim == 2 and not budget.admit():
            # What transcribe() takes for silence: it skips the window and reads the next one.
            return DecodingResult(
                audio_features=mel,
                language=options.language or "",
                tokens=[],
                text="",
                avg_logprob=-math.inf,
                no_speech_prob=1.0,
                temperature=options.temperature,
                compression_ratio=0.0,
            )
        mels = mel[None] if mel.ndim == 2 else mel
        # transcribe() hands the same window for every temperature: the encoder answers it from
        # memory (encoding_once), the same object, so its projections are made once too.
        features = model.encoder(mels.half() if options.fp16 else mels)
        if last[0] is not features:
            last[:] = [features, cross_attention_inputs(model, features)]
        results = batch_task(model, options, last[1]).run(features)
        return results[0] if mel.ndim == 2 else results

    model.decode = decode
    try:
        with encoding_once(model.encoder):
            yield
    finally:
        del model.decode  # whisper's own method again


@contextmanager
def encoding_once(encoder: Any) -> Iterator[None]:
    """The encoder answers a window it has just encoded from memory.

    find_alignment (word timestamps) runs the whole model on the window that was just decoded:
    11 s of a 67 s profile of the samples (base, 2 CPU cores). The window is known by its
    address, shape and version counter: a view of the same unchanged values, never values that
    merely look alike. The last input is held, so its memory cannot be handed to another tensor
    meanwhile.
    """
    own = encoder.forward
    last: list[Any] = [None, None, None]  # the input, its key when encoded, the output

    def key(mels: Any) -> tuple[Any, ...]:
        return (mels.data_ptr(), tuple(mels.shape), mels.stride(), mels.dtype, mels._version)

    def forward(mels: Any) -> Any:
        if last[1] != key(mels):
            last[:] = [mels, key(mels), own(mels)]
        return last[2]

    encoder.forward = forward
    try:
        yield
    finally:
        del encoder.forward


def group_cross_attention(model: Any) -> None:
    """Let the beams of a window attend to that window's keys and values, held once.

    With the keys and values of ``n`` windows and the queries of ``n * beams`` rows (window after
    window), the beams' queries become extra query positions of their window: cross-attention has
    no mask, so each query still sees exactly its window. Holding the audio side once instead of
    once per beam cuts the memory read per decoding step by the beam size, which on a CPU is
    where most of a step's time went. Any other call (equal batches) is whisper's own.
    """
    for block in model.decoder.blocks:
        attn = block.cross_attn
        own = attn.qkv_attention

        def grouped(q: Any, k: Any, v: Any, mask: Any = None, own: Any = own) -> tuple[Any, Any]:
            rows, windows = q.shape[0], k.shape[0]
            if rows == windows or rows % windows:
                out, qk = own(q, k, v, mask)
                return out, qk
            n, width = q.shape[1], q.shape[2]
            out, qk = own(q.reshape(windows, rows // windows * n, width), k, v, mask)
            return out.reshape(rows, n, out.shape[-1]), qk

        attn.qkv_attention = grouped


def logits_layout(model: Any) -> None:
    """Store the token embedding column-major, so the logits product reads it in order.

    Every decoding step multiplies by the transposed embedding (n_vocab x n_state); with the
    transpose contiguous, CPU matrix products took 17 % less time for 20 rows (base, 2 cores).
    Same values, same memory; lookups of the embedding still work on the strided view.
    """
    weight = model.decoder.token_embedding.weight
    weight.data = weight.data.t().contiguous().t()
