"""The summary's rows: built once for each way a video's run ends, kept for the batch and read
back; a run that kept nothing gives each of its videos a row saying so."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from test_pickup import results as rows
from videokit import resultfile, results
from videokit.errors import VideokitError
from videokit.workspace import Layout, VideoJob


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=30)
@given(st.lists(rows, max_size=4))
def test_kept_rows_come_back_once_and_unchanged(tmp_path, kept):
    layout = Layout(tmp_path / "build")
    resultfile.keep(layout, "run-1", kept)
    assert resultfile.collect(layout, "run-1", [], ended="its run x ended Completed") == kept
    assert not resultfile.result_path(layout, "run-1").exists(), "read once, then removed"


def test_a_run_that_kept_nothing_gives_each_video_a_row_saying_how_it_ended(tmp_path):
    jobs = [VideoJob(Path("media/a.mp4"), "a"), VideoJob(Path("media/b.mp4"), "b")]
    got = resultfile.collect(Layout(tmp_path), "gone", jobs, ended="its run x ended Crashed")
    assert [(r.source, r.slug, r.ok, r.stage) for r in got] == [
        ("a.mp4", "a", False, "worker"),
        ("b.mp4", "b", False, "worker"),
    ]
    assert got[0].reason == "its run x ended Crashed without a result" and "log" in got[0].hint


def test_a_failure_carries_the_error_s_stage_message_and_hint():
    err = VideokitError("no audio", path=Path("a.mp4"), stage="probe", hint="add sound")
    row = results.failed("a.mp4", "a", err)
    assert (row.ok, row.stage, row.reason, row.hint, row.seconds) == (
        False,
        "probe",
        "no audio",
        "add sound",
        0.0,
    )
    assert results.failed("a.mp4", "a", err, started=0.0).seconds > 0
