"""Is anyone speaking? Silero VAD, the detector faster-whisper ships, asked once per recording.

Used before decoding, to leave long stretches without speech out (:func:`videokit.windows.
unread_stretches`): Whisper reads room noise, hum or music as made-up text, and slowly. The model
is a 1.2 MB ONNX file inside the faster-whisper package, so it works offline; it runs on the CPU
at about 500x real time.
"""

from __future__ import annotations

import numpy as np

FRAME_SAMPLES = 512  # silero's window at 16 kHz
FRAME_MS = 32


def speech_probabilities(audio: np.ndarray) -> list[float] | None:
    """The probability of speech in each 32 ms frame of 16 kHz mono ``audio``.

    ``None`` when the detector cannot be loaded (onnxruntime missing): then nothing is skipped,
    which costs time but loses no speech.
    """
    try:
        from faster_whisper.vad import get_vad_model
    except ImportError:
        return None
    if not len(audio):
        return []
    padded = np.zeros(-(-len(audio) // FRAME_SAMPLES) * FRAME_SAMPLES, dtype=np.float32)
    padded[: len(audio)] = audio
    try:
        probs = get_vad_model()(padded)
    except Exception:  # onnxruntime's own errors (a damaged model file) are not RuntimeErrors
        return None
    return [float(p) for p in np.asarray(probs).reshape(-1)]
