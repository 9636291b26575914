"""The steps of a video's story as Prefect tasks: each one library call, retried when what
failed might pass next time (see ``flows.common.RETRY``)."""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.cache_policies import NONE

from flows.common import RETRY
from videokit import draft, pipeline, publish, social
from videokit.config import Settings
from videokit.locks import index_lock
from videokit.transcript import Transcript
from videokit.workspace import Layout, VideoJob


@task(name="probe", cache_policy=NONE, **RETRY)
def probe(job: VideoJob) -> draft.Source:
    return draft.probe(job)


@task(name="encode web video", cache_policy=NONE, **RETRY)
def encode_web(source: draft.Source, layout: Layout) -> str:
    return pipeline.encode_preview(source, layout)


@task(name="review and publish", cache_policy=NONE, **RETRY)
def review_and_publish(
    source: draft.Source,
    transcript: Transcript,
    model: draft.ModelHandle,
    layout: Layout,
    base_url: str | None,
    settings: Settings,
) -> pipeline.VideoOutcome:
    return pipeline.caption_and_review(
        layout, source, transcript, model, settings, base_url=base_url, log=get_run_logger().info
    )


@task(name="social media files", cache_policy=NONE, **RETRY)
def social_media(layout: Layout, slug: str, settings: Settings) -> str:
    """The published version's social formats that are missing or failed; one line for the run
    summary. Run without the video's lock held (it takes it for moments)."""
    status = pipeline.finish_social(layout, slug, settings, log=get_run_logger().info)
    return social.summary(status, settings.social)


@task(name="site index, manifest and zip", cache_policy=NONE)
def write_indexes(layout: Layout) -> int:
    with index_lock(layout.out):
        published, files = publish.write_indexes(layout)
    get_run_logger().info(
        "site: %d approved videos, %d files in %s", len(published), files, layout.zip
    )
    return len(published)
