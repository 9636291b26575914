"""The names the team set-up registers and the flows call each other by, defined once."""

from __future__ import annotations

POOL = "videokit"  # the work pool every videokit worker serves
NAME = "videokit"  # every deployment's name: <flow name>/videokit
BATCH = f"produce/{NAME}"
VIDEO = f"produce-video/{NAME}"
DRAFTS = f"transcribe-video/{NAME}"
PICKUP = f"pickup/{NAME}"
ASR_LIMIT = "videokit-asr"  # the global concurrency limit on drafts made at once

# The only runs a videokit worker starts: these deployments with these module entrypoints. Anyone
# who may write to the API could otherwise point a deployment at any code on the worker's machine.
ENTRYPOINTS = {
    BATCH: "flows.produce.produce",
    VIDEO: "flows.produce.produce_video",
    DRAFTS: "flows.produce.transcribe_video",
    PICKUP: "flows.pickup.pickup",
}
