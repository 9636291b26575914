"""Background jobs of the review studio: long work off the request, its progress asked for.

An approval burns captions in and encodes (most of a minute); inside an HTTP request the page
could show nothing and the editor could press the button again. Here a job runs in its own thread,
one at a time per (kind, video): a second start while one runs gets the running job back. Its
state is a frozen :class:`Job`, replaced (never changed in place) as the work reports steps.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

RUNNING, DONE, FAILED = "running", "done", "failed"

# What the work gets to report with: step number (1-based), of how many, and what it does now.
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Job:
    id: str
    kind: str
    slug: str
    state: str = RUNNING
    step: int = 0
    steps: int = 1
    message: str = ""
    started: float = 0.0
    finished: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "slug": self.slug,
            "state": self.state,
            "step": self.step,
            "steps": self.steps,
            "message": self.message,
            "started": self.started,
            "finished": self.finished,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Job:
        finished = data.get("finished")
        return cls(
            str(data["id"]),
            str(data["kind"]),
            str(data["slug"]),
            str(data["state"]),
            int(data["step"]),
            int(data["steps"]),
            str(data["message"]),
            float(data["started"]),
            None if finished is None else float(finished),
        )


class Jobs:
    """The studio's jobs, by (kind, slug): the latest of each is kept to be asked for."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[tuple[str, str], Job] = {}

    def get(self, kind: str, slug: str) -> Job | None:
        with self._lock:
            return self._jobs.get((kind, slug))

    def start(
        self, kind: str, slug: str, work: Callable[[Progress], str], steps: int = 1
    ) -> tuple[Job, bool]:
        """Run ``work`` in a thread; ``(job, False)`` when one of this kind already runs.

        ``work`` returns the message shown when it is done; an exception's text (which callers
        make Danish) is the message when it fails.
        """
        with self._lock:
            running = self._jobs.get((kind, slug))
            if running is not None and running.state == RUNNING:
                return running, False
            job = Job(secrets.token_hex(8), kind, slug, steps=steps, started=time.time())
            self._jobs[(kind, slug)] = job

        def update(**changes: Any) -> None:
            with self._lock:
                self._jobs[(kind, slug)] = replace(self._jobs[(kind, slug)], **changes)

        def progress(step: int, of: int, message: str) -> None:
            update(step=step, steps=of, message=message)

        def run() -> None:
            try:
                message = work(progress)
            except Exception as err:  # the job is where the failure is told
                update(state=FAILED, message=str(err), finished=time.time())
            else:
                update(state=DONE, message=message, finished=time.time())

        threading.Thread(target=run, name=f"videokit-{kind}-{slug}", daemon=True).start()
        return job, True
