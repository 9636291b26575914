"""Waiting for approvals in the Prefect UI (``produce(wait_for_approval=True)``).

The batch pauses for each video that waits for approval; an editor resumes it from the UI with
their name, which approves and publishes that video as ``videokit approve`` does.
"""

from __future__ import annotations

from prefect import get_run_logger
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput

from flows.common import waiting
from flows.steps import social_media
from videokit import pipeline
from videokit.config import Settings
from videokit.report import VideoResult
from videokit.runplan import Plan


class Approval(RunInput):
    """What an editor enters in the Prefect UI to approve a paused video."""

    approve: bool = True
    editor: str
    note: str = ""


def wait_for_approvals(
    results: list[VideoResult], plan: Plan, settings: Settings, timeout_s: int
) -> None:
    log = get_run_logger()
    layout = plan.layout
    for r in results:
        if not r.ok or r.status == "approved":
            continue
        log.info(
            "%s waits for approval: check build/review/%s.html, then resume this run in the "
            "Prefect UI with your name",
            r.slug,
            r.slug,
        )
        answer = pause_flow_run(
            wait_for_input=Approval.with_initial_data(
                description=f"Approve the captions of **{r.slug}**?", editor=""
            ),
            timeout=timeout_s,
        )
        if answer.approve:
            approval, _ = pipeline.approve_and_publish(
                layout, r.slug, answer.editor, answer.note, plan.base_url, waiting(r.slug)
            )
            log.info("%s approved by %s and published", r.slug, approval.editor)
            made = social_media(layout, r.slug, settings)
            log.info("%s: social media files: %s", r.slug, made)
