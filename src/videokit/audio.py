"""The audio every step shares: mono float32 in [-1, 1] at Whisper's sample rate.

``media`` decodes to it, ``asr`` and ``align`` read it, ``samples`` writes it: one number, here.
"""

from __future__ import annotations

SAMPLE_RATE = 16_000  # samples a second, as Whisper was trained
