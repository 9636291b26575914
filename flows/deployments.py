"""The names the team set-up registers and the flows call each other by, defined once."""

from __future__ import annotations

POOL = "videokit"  # the work pool every videokit worker serves
NAME = "videokit"  # every deployment's name: <flow name>/videokit
BATCH = f"produce/{NAME}"
VIDEO = f"produce-video/{NAME}"
DRAFTS = f"transcribe-video/{NAME}"
PICKUP = f"pickup/{NAME}"
ASR_LIMIT = "videokit-asr"  # the global concurrency limit on drafts made at once
