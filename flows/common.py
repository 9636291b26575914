"""What every videokit flow shares: how failures are logged and retried, where library messages
go, the draft slot, and the results a deployment run keeps for the batch that started it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from prefect import get_run_logger, runtime
from prefect.concurrency.sync import concurrency

from videokit import resultfile, turns
from videokit.errors import VideokitError
from videokit.files import remove_partials
from videokit.report import VideoResult
from videokit.workspace import Layout, VideoJob

# A killed worker's ASR slot comes back after at most this long (the lease is renewed while alive).
ASR_LEASE_S = 60.0


class _ExpectedFailuresInOneLine(logging.Filter):
    """A VideokitError is an expected failure whose message names the file, the stage and what to
    do: Prefect logs it without the traceback. A bug keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], VideokitError):
            record.exc_info = None
            record.exc_text = None
        return True


for _name in ("prefect.task_runs", "prefect.flow_runs"):
    logging.getLogger(_name).addFilter(_ExpectedFailuresInOneLine())


def _unexpected_only(_task: Any, _run: Any, state: Any) -> bool:
    """Retry what might pass next time (a crash, a full disk), never a bad input file."""
    return not isinstance(state.data, VideokitError)


RETRY: dict[str, Any] = dict(retries=1, retry_delay_seconds=2, retry_condition_fn=_unexpected_only)


def log_info(message: str) -> None:
    """The library's progress messages, into the current run's log."""
    try:
        get_run_logger().info("%s", message)
    except Exception:  # outside a run (no logger to reach): the message is only informative
        logging.getLogger("videokit").info("%s", message)


def waiting(label: str) -> Callable[[str], None]:
    def say(holder: str) -> None:
        get_run_logger().warning(
            "%s: another run is producing this video (%s); waiting for it to finish", label, holder
        )

    return say


def clean_up(layout: Layout) -> Callable[[], None]:
    def clean() -> None:
        left = remove_partials(layout.out) + remove_partials(layout.review)
        if left:
            get_run_logger().info("removed %d unfinished files an interrupted run left", left)

    return clean


def asr_slot(limit: str | None) -> AbstractContextManager[None]:
    """A turn to make a draft: this process's, and a slot of the named limit when one is given."""

    @contextmanager
    def shared() -> Iterator[None]:
        with concurrency(str(limit), occupy=1, lease_duration=ASR_LEASE_S, strict=False):
            yield

    return turns.draft_turn(shared if limit else None)


def keep_results(layout: Layout, results: list[VideoResult]) -> None:
    """This run's results, for the batch that asked for them (maybe on another machine)."""
    run_id = runtime.flow_run.id
    if run_id:
        resultfile.keep(layout, str(run_id), results)


def collect_results(layout: Layout, run: Any, jobs: list[VideoJob]) -> list[VideoResult]:
    """The results a deployment run kept, or for each of its videos a failure saying how the
    run ended (Crashed: its worker was killed or its machine went away)."""
    ended = f"its run {run.name} ended {run.state_name}"
    return resultfile.collect(layout, str(run.id), jobs, ended=ended)
