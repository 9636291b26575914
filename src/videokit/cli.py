"""``videokit``: the command communications staff run. A thin layer over the library and the flow."""

from __future__ import annotations

import argparse
import sys
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .config import load_settings
from .errors import VideokitError
from .locks import run_lock
from .models_cmd import add_models_parser
from .naming import ZIP_NAME
from .report import VideoResult, format_table
from .social_cmd import make_social, status_line
from .workspace import Layout, Project

DESCRIPTION = """\
Danish captions, transcript pages and a website package for short videos.

Typical use:
  videokit produce                 caption every video in media/ into build/
  videokit produce film.mp4        just one video
  videokit status                  which videos wait for review
  videokit approve SLUG --editor "Navn"   publish a video once its captions are checked
  videokit serve                   look at the site on http://127.0.0.1:8000
  videokit studio                  correct and approve captions in the browser
  videokit models pull base        prepare the default speech model (works offline)
  videokit models list             show the models on this machine

Results: build/preview/ (every video, drafts marked), build/review/ (pages for editors),
build/site/ and build/videokit-site.zip (approved videos only: upload these).
Automatic captions are a draft: an editor corrects review/SLUG.da.srt or review/SLUG.txt,
and approves; only then does the video reach the site.
"""


def _project(args: argparse.Namespace) -> Project:
    return Project.locate(
        args.project,
        media=getattr(args, "media", None),
        review=args.review,
        out=args.out,
        config=getattr(args, "config", None),
    )


def _cmd_produce(args: argparse.Namespace) -> int:
    from flows.server import server_for_this_run

    started = time.monotonic()
    project = _project(args)
    paths = [str(p) for p in args.paths] or None
    if paths is None and not args.wait_for_approval and not args.always:
        kept = _nothing_changed(project, args)
        if kept is not None:
            print(format_table(kept))
            print(
                f"\nnothing changed since the last run ({len(kept)} videos); checked in "
                f"{time.monotonic() - started:.1f} s. Use --always to run anyway."
            )
            return 0
    with server_for_this_run():
        from flows.produce import produce

        state: Any = produce(
            media_dir=str(project.media),
            out_dir=str(project.out),
            model=args.model,
            language=args.language,
            paths=paths,
            review_dir=str(project.review),
            base_url=args.base_url,
            wait_for_approval=args.wait_for_approval,
            config_file=str(project.config),
            project_dir=str(project.root),
            always=args.always,
            return_state=True,
        )
        outcome = state.result(raise_on_failure=False)
    if isinstance(outcome, BaseException):
        print(f"videokit: the run failed: {outcome}", file=sys.stderr)
        return 2
    results: list[VideoResult] = list(outcome)
    # The flow has logged the table; repeat only the verdict, last, where a person looks.
    print(f"\n{format_table(results).splitlines()[-1]}")
    print(
        f"finished in {time.monotonic() - started:.1f} s; site: {project.out / 'site'}, "
        f"package: {project.out / ZIP_NAME}"
    )
    return 1 if any(not r.ok for r in results) else 0


def _nothing_changed(project: Project, args: argparse.Namespace) -> list[VideoResult] | None:
    """The last run's results when no input, edit, setting or model changed since; else None."""
    from . import freshness
    from .workspace import find_videos

    try:
        jobs, problems = find_videos([project.media])
        if problems or not project.review.is_dir():
            return None
        inputs = freshness.run_inputs(
            load_settings(project.config), args.model, args.language, args.base_url
        )
        layout = Layout(project.out, project.review)
        with run_lock(layout.out):
            return freshness.unchanged(jobs, layout, inputs)
    except VideokitError:
        return None  # whatever it is, the full run will say it properly


def _say_waiting(slug: str) -> Callable[[str], None]:
    def say(holder: str) -> None:
        print(f"{slug}: waiting for the run that is producing it ({holder})", file=sys.stderr)

    return say


def _cmd_approve(args: argparse.Namespace) -> int:
    from .pipeline import approve_and_publish

    project = _project(args)
    layout = Layout(project.out, project.review)
    approval, record = approve_and_publish(
        layout,
        args.slug,
        args.editor,
        args.note or "",
        args.base_url,
        _say_waiting(args.slug),
    )
    print(
        f"{args.slug}: approved by {approval.editor} at {approval.time} "
        f"(copy kept in {project.review / 'history' / args.slug})"
    )
    print(f"published: {layout.video_dir(record.slug)}; package: {layout.zip}", flush=True)
    # The approval is on record and on the site; only the social formats' encodes are left.
    return make_social(project, args.slug)


def _cmd_unpublish(args: argparse.Namespace) -> int:
    from .pipeline import withdraw

    project = _project(args)
    layout = Layout(project.out, project.review)
    withdrawal = withdraw(
        layout, args.slug, args.editor, args.reason or "", _say_waiting(args.slug)
    )
    print(
        f"{args.slug}: taken off the site by {withdrawal.editor} at {withdrawal.time} "
        f"(logged in {project.review / 'history' / args.slug}); package: {layout.zip}"
    )
    print(f'to publish it again: videokit approve {args.slug} --editor "Dit navn"')
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    from .review import ReviewDesk

    project = _project(args)
    layout, formats = Layout(project.out, project.review), load_settings(project.config).social
    desk = ReviewDesk(project.review)
    slugs = desk.slugs()
    if not slugs:
        print(f"no videos in {project.review} yet: run 'videokit produce'")
    for slug in slugs:
        found = desk.status(slug)
        if found is None:
            print(f"{slug:<40} review state damaged: the next 'videokit produce' rebuilds it")
            continue
        status, source = found
        approvals = desk.approvals(slug)
        by = f", last approved by {approvals[-1].editor} {approvals[-1].time}" if approvals else ""
        withdrawn = desk.withdrawn(slug)
        if withdrawn:
            by += f", taken off the site by {withdrawn.editor} {withdrawn.time}"
        print(f"{slug:<40} {status:<10} text: {source}{by}")
        if layout.video_dir(slug).is_dir():
            print(f"{'':<40} social media: {status_line(layout, slug, formats)}")
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from .serve import serve

    serve(args.directory, host=args.host, port=args.port)
    return 0


def _cmd_studio(args: argparse.Namespace) -> int:
    from .studio import serve_studio

    serve_studio(_project(args), host=args.host, port=args.port, base_url=args.base_url)
    return 0


def _cmd_samples(args: argparse.Namespace) -> int:
    from . import samples
    from .workspace import find_videos

    if args.if_empty:
        jobs, _ = find_videos([args.media])
        if jobs:
            print(f"{args.media} already holds {len(jobs)} videos; no samples rendered")
            return 0
    for video in samples.render_all(args.media):
        print(f"rendered {video}")
    return 0


def _project_options(parser: argparse.ArgumentParser, *, media: bool = False) -> None:
    parser.add_argument(
        "--project",
        type=Path,
        default=None,
        help="the project folder (default: the one holding videokit.toml or media/, found from "
        "the media folder or the working folder upwards)",
    )
    if media:
        parser.add_argument(
            "--media", type=Path, default=None, help="folder of videos (default: PROJECT/media)"
        )
    parser.add_argument(
        "--review",
        type=Path,
        default=None,
        help="editors' folder with the .da.srt and .txt files (default: PROJECT/review)",
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="output folder (default: PROJECT/build)"
    )


def _base_url(value: str) -> str:
    """Only a web address may reach the embed snippet and the search metadata."""
    parsed = urllib.parse.urlsplit(value)
    if (
        parsed.scheme not in ("http", "https")
        or not parsed.netloc
        or any(c in value for c in "\"'<> \\")
    ):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a web address; give one like https://www.example.dk/videoer/"
        )
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="videokit",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "produce",
        help="caption, page and package videos",
        description="Transcribe, caption and publish videos. Re-running is safe: "
        "unchanged videos are not transcribed again.",
    )
    p.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="video files or folders (default: the media folder)",
    )
    _project_options(p, media=True)
    p.add_argument(
        "--model",
        default=None,
        help="Whisper model: base, small, large-v3, large-v3-turbo, …, "
        "hf:<org>/<name>[@revision], a model folder, or a .pt file "
        "(see 'videokit models list --known'); default: model in videokit.toml, else base",
    )
    p.add_argument("--language", default="da", help="spoken language (default: da)")
    p.add_argument(
        "--base-url",
        default=None,
        type=_base_url,
        help="URL the site is published at (https://…), for embed snippets and search metadata",
    )
    p.add_argument(
        "--config",
        type=Path,
        default=None,
        help="caption norms and decoding settings (default: videokit.toml in the project)",
    )
    p.add_argument(
        "--always",
        action="store_true",
        help="run even when nothing changed since the last run",
    )
    p.add_argument(
        "--wait-for-approval",
        action="store_true",
        help="with a Prefect server: pause for each unapproved video until an editor "
        "resumes the run in the Prefect UI",
    )
    p.set_defaults(func=_cmd_produce)

    a = sub.add_parser(
        "approve",
        help="approve a video's captions and publish it",
        description="Record that a person has checked the captions of a video, "
        "keep a copy of what was approved, and publish it to the site.",
    )
    a.add_argument("slug", help="the video's web name, as in the run summary")
    a.add_argument("--editor", required=True, help="your name")
    a.add_argument("--note", default="", help="what you checked or changed")
    _project_options(a)
    a.add_argument("--base-url", default=None, type=_base_url)
    a.set_defaults(func=_cmd_approve)

    u = sub.add_parser(
        "unpublish",
        help="take a video off the site and the package",
        description="Withdraw a published video: it leaves build/site/, the social folder and "
        "the zip, and the withdrawal is logged in the review history. Approving it again "
        "publishes it again. Runs never unpublish anything by themselves.",
    )
    u.add_argument("slug", help="the video's web name")
    u.add_argument("--editor", required=True, help="your name")
    u.add_argument("--reason", default="", help="why it is withdrawn")
    _project_options(u)
    u.set_defaults(func=_cmd_unpublish)

    so = sub.add_parser("social", help="make a published video's missing social-media files")
    so.add_argument("slug", help="the video's web name")
    _project_options(so)
    so.set_defaults(func=lambda args: make_social(_project(args), args.slug))

    st = sub.add_parser("status", help="list videos and their review status")
    _project_options(st)
    st.set_defaults(func=_cmd_status)

    sv = sub.add_parser("serve", help="look at the site locally in a browser")
    sv.add_argument("directory", type=Path, nargs="?", default=Path("build/site"))
    sv.add_argument("--host", default="127.0.0.1")
    sv.add_argument("--port", type=int, default=8000)
    sv.set_defaults(func=_cmd_serve)

    sd = sub.add_parser(
        "studio",
        help="correct and approve captions in the browser",
        description="Start the review studio on this computer and print its address (with a "
        "private key); open it in a browser. Saves go to the review folder, approvals publish "
        "as 'videokit approve' does.",
    )
    _project_options(sd)
    sd.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback)")
    sd.add_argument("--port", type=int, default=8001, help="port (default: 8001; 0 picks one)")
    sd.add_argument("--base-url", default=None, type=_base_url)
    sd.set_defaults(func=_cmd_studio)

    add_models_parser(sub)

    _team_parser(sub)

    s = sub.add_parser("samples", help="render the sample videos from media/samples/")
    s.add_argument("--media", type=Path, default=Path("media"))
    s.add_argument("--if-empty", action="store_true", help="only when the folder holds no videos")
    s.set_defaults(func=_cmd_samples)
    return parser


def _team_parser(sub: Any) -> None:
    t = sub.add_parser(
        "team",
        help="run videokit as a service for a team (Prefect server, work pool, workers)",
        description="A Prefect server that stays up, a work pool, deployments (runs from the "
        "Prefect UI, new footage picked up by itself) and workers. See README: 'For a team'.",
    ).add_subparsers(dest="team_command", required=True, metavar="ACTION")
    up = t.add_parser("up", help="start (or continue) the team service for this project")
    _project_options(up)
    up.add_argument("--port", type=int, default=4200, help="the Prefect server's port (4200)")
    up.add_argument(
        "--host",
        default="127.0.0.1",
        help="address the server listens on (0.0.0.0: reachable by other machines)",
    )
    up.add_argument(
        "--public-url",
        default=None,
        help="how browsers and other machines reach the server (with --host 0.0.0.0: "
        "http://THIS-HOST-NAME:PORT)",
    )
    up.add_argument("--workers", type=int, default=1, help="workers on this machine (1)")
    up.add_argument(
        "--runs-per-worker",
        type=int,
        default=3,
        help="flow runs each worker runs at once (3; at least 2: a batch waits in one)",
    )
    up.add_argument(
        "--no-watch",
        dest="watch",
        action="store_false",
        help="do not start runs for new footage by itself",
    )
    up.add_argument(
        "--watch-every", type=float, default=60.0, help="seconds between looks at media/ (60)"
    )
    up.add_argument(
        "--quiet",
        type=float,
        default=30.0,
        help="a video counts as copied when unchanged for this many seconds (30)",
    )
    up.add_argument(
        "--cache", type=Path, default=None, help="shared draft cache (a network folder)"
    )
    up.add_argument(
        "--asr-slots", type=int, default=1, help="drafts made at once in the team (1 per GPU)"
    )
    up.add_argument(
        "--asr-pool", default=None, help="a work pool (GPU machines) that makes the drafts"
    )
    up.add_argument(
        "--database",
        default=None,
        help="the server's PostgreSQL database, postgresql://USER@HOST:5432/NAME (password in "
        "~/.pgpass or $PGPASSWORD); kept for the next team up (default: SQLite)",
    )
    up.add_argument(
        "--store",
        default=None,
        help="the project in S3-compatible object storage, s3://BUCKET/PREFIX, instead of a "
        "shared folder (endpoint and keys: the AWS_* settings)",
    )
    up.set_defaults(func=_cmd_team_up)
    down = t.add_parser("down", help="stop this machine's workers and server (history is kept)")
    down.add_argument("--wait", action="store_true", help="let the runs in progress finish first")
    down.set_defaults(func=_cmd_team_down)
    st = t.add_parser("status", help="the server, its workers and the latest runs")
    st.add_argument("--server", default=None, help="API address (default: this machine's)")
    st.add_argument("--auth-file", type=Path, default=None, help="the team's login file")
    st.set_defaults(func=_cmd_team_status)
    rot = t.add_parser(
        "rotate-secret", help="a new login for the team's API (after team down; then team up)"
    )
    rot.set_defaults(func=_cmd_team_rotate_secret)
    w = t.add_parser("worker", help="join a team's server with a worker (another machine)")
    w.add_argument("--server", required=True, help="http://SERVER:4200/api")
    w.add_argument("--pool", default="videokit", help="work pool (videokit, or a GPU pool)")
    w.add_argument("--name", default=None, help="the worker's name (default: Prefect's)")
    w.add_argument("--cache", type=Path, default=None, help="shared draft cache (a network folder)")
    w.add_argument(
        "--limit",
        type=int,
        default=None,
        help="flow runs this worker runs at once (default: no limit; 2 or more)",
    )
    w.add_argument(
        "--auth-file",
        type=Path,
        default=None,
        help="a copy of the server's team login file (api-auth; or set $VIDEOKIT_TEAM_AUTH)",
    )
    w.add_argument("--install", choices=("user", "system"), help="write its systemd unit instead")
    w.set_defaults(func=_cmd_team_worker)


def _cmd_team_up(args: argparse.Namespace) -> int:
    from flows import team
    from flows.database import remembered

    project = _project(args)
    if not project.media.is_dir() and not args.store:
        raise VideokitError(
            "no media folder", path=project.media, stage="team", hint="run in the project folder"
        )
    team.up(
        team.Team(
            project=project.root,
            home=team.team_home(),
            host=args.host,
            port=args.port,
            workers=args.workers,
            runs_per_worker=args.runs_per_worker,
            watch=args.watch,
            watch_every_s=args.watch_every,
            quiet_s=args.quiet,
            asr_slots=args.asr_slots,
            asr_pool=args.asr_pool,
            cache_dir=args.cache.resolve() if args.cache else None,
            public_url=args.public_url,
            database=remembered(team.team_home(), args.database),
            store=args.store,
        )
    )
    return 0


def _cmd_team_down(args: argparse.Namespace) -> int:
    from flows import team

    team.down(team.team_home(), wait=args.wait)
    return 0


def _cmd_team_status(args: argparse.Namespace) -> int:
    from flows import team

    url = args.server or team.server_url(team.team_home())
    print("\n".join(team.status(url, team.team_home(), args.auth_file)))
    return 0


def _cmd_team_rotate_secret(args: argparse.Namespace) -> int:
    from flows import team

    team.rotate_secret(team.team_home())
    return 0


def _cmd_team_worker(args: argparse.Namespace) -> int:
    from flows import team

    return team.worker(
        args.server, args.pool, args.name, args.cache, args.auth_file, args.limit, args.install
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
        return code
    except VideokitError as err:
        print(f"videokit: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "videokit: interrupted; finished files are kept, unfinished ones were not written",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    sys.exit(main())
