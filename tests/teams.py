"""A team service for a test module: ``team up`` on a new project of spoken clips, with its own
team folder, port and draft cache; ``team down`` at the end."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import clips
from videokit.processes import free_port


@contextmanager
def team_of_clips(
    tmp_path_factory: Any, name: str, spoken: dict[str, str], **options: Any
) -> Iterator[Any]:
    """The running team; its media folder holds ``<slug>.mp4`` saying ``spoken[slug]``, each made
    elsewhere and moved in (a finished copy, as the watch wants it)."""
    from flows import team as t

    project = tmp_path_factory.mktemp(f"{name}-project")
    (project / "media").mkdir()
    made = tmp_path_factory.mktemp(f"{name}-clips")
    for slug, text in spoken.items():
        clips.speech_video(made / f"{slug}.mp4", text=text).rename(
            project / "media" / f"{slug}.mp4"
        )
    spec = t.Team(
        project=project,
        home=tmp_path_factory.mktemp(f"{name}-home"),
        port=free_port(),
        cache_dir=tmp_path_factory.mktemp(f"{name}-cache"),
        **options,
    )
    t.up(spec, log=lambda _m: None)
    try:
        yield spec
    finally:
        t.down(spec.home, log=lambda _m: None)
