"""The social-media part of the command line: ``videokit social`` and what ``videokit approve``
does once the site is published."""

from __future__ import annotations

import sys

from .config import load_settings
from .social import FAILED, SocialSettings, summary
from .workspace import Layout, Project

# ffmpeg and the caption engine load only when a command needs them: ``videokit --help`` and the
# rerun check stay quick.


def make_social(project: Project, slug: str) -> int:
    """Make a published video's missing or failed formats, saying each as it goes; 1 if any
    failed (the approval and the site stand either way)."""
    from .pipeline import finish_social

    layout, settings = Layout(project.out, project.review), load_settings(project.config)
    print(f"making the videos for social media in {layout.social / slug} ...", flush=True)
    status = finish_social(layout, slug, settings, log=lambda m: print(m, flush=True))
    print(f"social media: {summary(status, settings.social)}")
    if status is None or all(o.state != FAILED for o in status.outputs):
        return 0
    print(
        f"videokit: the approval stands and the site is published; 'videokit social {slug}' "
        "or the next 'videokit produce' tries the failed formats again",
        file=sys.stderr,
    )
    return 1


def status_line(layout: Layout, slug: str, settings: SocialSettings) -> str:
    """What ``videokit status`` says of a published video's formats."""
    from .social_files import read_status

    return summary(read_status(layout.social / slug), settings)
