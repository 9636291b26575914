"""The names the team set-up registers and the flows call each other by, defined once."""

from __future__ import annotations

POOL = "videokit"  # the work pool every videokit worker serves
NAME = "videokit"  # every deployment's name: <flow name>/videokit
BATCH = f"produce/{NAME}"
VIDEO = f"produce-video/{NAME}"
SHARE = f"produce-videos/{NAME}"  # some videos of a batch, in one worker's process
DRAFTS = f"transcribe-video/{NAME}"
PICKUP = f"pickup/{NAME}"
ASR_LIMIT = "videokit-asr"  # the global concurrency limit on drafts made at once

# The only runs a videokit worker starts: these deployments with these module entrypoints. Anyone
# who may write to the API could otherwise point a deployment at any code on the worker's machine.
ENTRYPOINTS = {
    BATCH: "flows.produce.produce",
    VIDEO: "flows.video.produce_video",
    SHARE: "flows.share.produce_videos",
    DRAFTS: "flows.drafts.transcribe_video",
    PICKUP: "flows.pickup.pickup",
}

# A worker's stop (SIGTERM): the runs in progress get DRAIN_S to finish, the others are handed
# back to the pool within HAND_BACK_S; STOP_S is how long `team down` and a service manager wait.
DRAIN_S = 20.0
HAND_BACK_S = 30.0
STOP_S = DRAIN_S + HAND_BACK_S + 10
