"""The results a run kept for the batch that started it, maybe on another machine.

A deployment run writes its videos' rows to ``build/state/runs/<run id>.json``; the batch reads
them back (and removes the file) once the run has ended. A run that ended without writing it
(killed, or its machine went away) gives each of its videos a row that says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from . import report, results
from .files import read_json, write_json
from .report import VideoResult
from .workspace import Layout, VideoJob


def result_path(layout: Layout, run_id: str) -> Path:
    return layout.state / "runs" / f"{run_id}.json"


def keep(layout: Layout, run_id: str, rows: Sequence[VideoResult]) -> None:
    write_json(result_path(layout, run_id), [report.to_dict(r) for r in rows])


def collect(
    layout: Layout, run_id: str, jobs: Sequence[VideoJob], *, ended: str
) -> list[VideoResult]:
    """The rows run ``run_id`` kept, or for each of its videos one saying how the run ``ended``
    (e.g. "its run x ended Crashed")."""
    path = result_path(layout, run_id)
    try:
        found = read_json(path)
        rows = [report.from_dict(r) for r in (found if isinstance(found, list) else [found])]
        path.unlink(missing_ok=True)
        return rows
    except (OSError, ValueError, TypeError, KeyError):
        return [results.lost(job, f"{ended} without a result") for job in jobs]
