"""``team down --wait``: the team's work in progress finishes before the service stops.

"In progress" is every run that is running or about to start (a batch's queued videos, a run a
worker handed back), not the media folder's looks planned for later: the watch is paused first,
so that no look starts a new batch meanwhile. Runs paused for an editor's approval are left
waiting (they are resumed after the next ``team up``).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

POLL_S = 2.0
SAY_EVERY_S = 30.0


def in_progress(client: Any, pickup_id: Any) -> list[Any]:
    """The flow runs running or due to start now, other than the watch's planned looks."""
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterExpectedStartTime,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    def runs(types: list[StateType], **more: Any) -> list[Any]:
        state = FlowRunFilterState(type=FlowRunFilterStateType(any_=types))
        return list(client.read_flow_runs(flow_run_filter=FlowRunFilter(state=state, **more)))

    busy = runs([StateType.RUNNING, StateType.PENDING, StateType.CANCELLING])
    due = runs(
        [StateType.SCHEDULED],
        # Prefect's DateTime is a datetime to pydantic, which validates it.
        expected_start_time=FlowRunFilterExpectedStartTime(
            before_=dt.datetime.now(dt.UTC)  # type: ignore[arg-type]
        ),
    )
    return busy + [r for r in due if r.deployment_id != pickup_id]


def wait_for_runs(client: Any, pickup: str, log: Any = print) -> None:
    """Pause the watch, then return once nothing is :func:`in_progress`."""
    from prefect.exceptions import ObjectNotFound

    pickup_id = None
    try:
        pickup_id = client.read_deployment_by_name(pickup).id
        client.pause_deployment(pickup_id)
        log("the watch of the media folder is paused; 'videokit team up' turns it on again")
    except ObjectNotFound:
        pass
    said = 0.0
    while runs := in_progress(client, pickup_id):
        if time.monotonic() - said >= SAY_EVERY_S:
            said = time.monotonic()
            names = ", ".join(f"{r.name} ({r.state_name})" for r in runs)
            log(f"waiting for {len(runs)} run(s) to finish: {names}")
        time.sleep(POLL_S)
    log("no run in progress")
