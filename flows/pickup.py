"""New footage is picked up by itself: a scheduled look at the media folder.

The team set-up gives the ``pickup`` deployment an interval schedule (``videokit team up
--watch-every``; ``--no-watch`` pauses it). Each run looks at the videos, and for each new or
changed video whose copy has finished (see :mod:`videokit.pickup`) goes into one run of the
``produce`` deployment, which gives each video its own run. The start carries an idempotency key
made of the videos' names, sizes and times, so Prefect itself refuses a second run for the same
copies even if two looks overlap. A video whose outputs are already up to date (made from
exactly this file, edits and settings) is not started again.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.deployments import run_deployment

from flows.deployments import BATCH
from videokit import freshness
from videokit.config import load_settings
from videokit.errors import VideokitError
from videokit.files import write_text
from videokit.pickup import DEFAULT_QUIET_MS, Watch, look, unstart
from videokit.workspace import Layout, Project, VideoJob, find_videos

# Beside the per-video records, named so that no video's slug can be it (a slug has no dot).
WATCH_FILE = "pickup.watch.json"


@flow(name="pickup")
def pickup(
    project_dir: str, quiet_s: float = DEFAULT_QUIET_MS / 1000, model: str | None = None
) -> list[str]:
    """Se efter nye videoer i media-mappen og start en kørsel for hver, når kopieringen er færdig.

    Args:
        project_dir: Projektmappen (den med videokit.toml eller media/).
        quiet_s: En video regnes for færdigkopieret, når den ikke er ændret i så mange sekunder.
        model: Whisper-model til de nye videoer (tom: modellen i videokit.toml, ellers base).
    """
    log = get_run_logger()
    project = Project.locate(Path(project_dir))
    layout = Layout(project.out, project.review)
    jobs, _problems = find_videos([project.media])  # a bad file is the produce run's to report
    by_name = {job.path.name: job for job in jobs}
    seen = {}
    for name, job in by_name.items():
        try:
            stat = job.path.stat()
        except OSError:
            continue  # gone between listing and looking
        seen[name] = (stat.st_size, stat.st_mtime_ns)
    watch_file = layout.state / WATCH_FILE
    # One look at a time (the deployment's concurrency limit), so the watch has one writer.
    watch, ready = look(_read(watch_file), seen, int(time.time() * 1000), int(quiet_s * 1000))
    write_text(watch_file, watch.to_json())
    fresh = _up_to_date([by_name[name] for name in ready], layout, project.config, model)
    todo = [name for name in ready if by_name[name].slug not in fresh]
    if not todo:
        log.info("no new footage in %s", project.media)
        return []
    # One batch for everything this look found, never one per video: each batch holds a worker
    # slot while it waits for its videos, and batches enough to fill every slot wait for ever.
    slugs = [by_name[name].slug for name in todo]
    key = hashlib.sha256(
        "\n".join(f"{by_name[n].slug}:{seen[n][0]}:{seen[n][1]}" for n in todo).encode()
    ).hexdigest()[:32]
    shown = ", ".join(slugs[:3]) + (f" and {len(slugs) - 3} more" if len(slugs) > 3 else "")
    try:
        run: Any = run_deployment(
            BATCH,
            parameters={
                "paths": [str(by_name[name].path) for name in todo],
                "project_dir": str(project.root),
                "model": model,
            },
            timeout=0,
            as_subflow=False,
            idempotency_key=f"pickup:{key}",
            flow_run_name=f"new footage: {shown}",
            tags=["videokit", "pickup"],
        )
    except Exception as err:  # try again at the next look
        log.warning("could not start a run for %s (%s); trying again at the next look", shown, err)
        for name in todo:
            watch = unstart(watch, name)
        write_text(watch_file, watch.to_json())
        return []
    log.info("%s: copy finished; run %s started", shown, run.name)
    return todo


def _read(path: Path) -> Watch:
    try:
        return Watch.from_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Watch()
    except (OSError, ValueError, TypeError, KeyError):
        return Watch()  # a damaged watch only means waiting one more look


def _up_to_date(jobs: list[VideoJob], layout: Layout, config: Path, model: str | None) -> set[str]:
    """The slugs of ``jobs`` whose outputs were made from exactly these files and settings."""
    if not jobs:
        return set()
    try:
        inputs = freshness.run_inputs(load_settings(config), model, language="da", base_url=None)
    except VideokitError:
        return set()  # the run will say what is wrong
    return set(freshness.fresh(jobs, layout, inputs))
