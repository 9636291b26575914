"""HTML for the published site: a page per video, an index, and an embed snippet for a CMS.

Functions return strings; writing them to disk is the packager's job. Templates live in the repo's
top-level ``templates/`` folder. Autoescaping is on for every template and undefined names are errors,
so a transcript is text wherever it lands, and a template typo fails a test instead of printing "".
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from .errors import PackageError
from .pages import (
    VideoPage,
    clock,
    danish_date,
    human_duration_da,
    iso_duration,
    language_label,
    media_fragment,
    video_object_jsonld,
)


def _default_templates() -> Path:
    """The project's templates/ in a checkout (src/videokit/render.py -> the project), else the copy
    a wheel installs as the package data ``videokit.templates`` (see pyproject.toml)."""
    checkout = Path(__file__).resolve().parents[2] / "templates"
    if (checkout / "video.html.j2").is_file():
        return checkout
    # A folder of data without __init__.py: a namespace package, found by its search location.
    spec = importlib.util.find_spec("videokit.templates")
    locations = list(spec.submodule_search_locations or []) if spec else []
    return Path(locations[0]) if locations else checkout


DEFAULT_TEMPLATES_DIR = _default_templates()
STATIC_CSS = "static/videokit.css"
STATIC_JS = "static/videokit.js"


def _file_url(name: str) -> str:
    # File names may hold spaces or '#'; a bare name quoted with no safe characters cannot turn into
    # another scheme (javascript:) or climb out of the page's folder.
    return quote(name, safe="")


def _templates_dir(templates_dir: Path | str | None) -> Path:
    path = Path(templates_dir) if templates_dir is not None else DEFAULT_TEMPLATES_DIR
    return path.resolve()


@lru_cache(maxsize=8)
def _environment(path: Path) -> jinja2.Environment:
    if not (path / "video.html.j2").is_file():
        raise PackageError(
            "page templates not found",
            path=path,
            hint="pass templates_dir pointing at videokit's templates/ folder",
        )
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(path)),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "htm", "xml", "j2"), default_for_string=True, default=True
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        clock=clock,
        fragment=media_fragment,
        iso_duration=iso_duration,
        human_duration=human_duration_da,
        danish_date=danish_date,
        fileurl=_file_url,
        urlpart=_file_url,
    )
    # Inlined rather than linked so each page stands alone (offline copies, CMS uploads). Read as
    # raw text, not as templates, so braces in CSS or JS mean nothing to jinja.
    env.globals.update(
        static_css=Markup((path / STATIC_CSS).read_text(encoding="utf-8").strip()),
        static_js=Markup((path / STATIC_JS).read_text(encoding="utf-8").strip()),
    )
    return env


def environment(templates_dir: Path | str | None = None) -> jinja2.Environment:
    """The jinja2 environment over ``templates_dir`` (default: the repo's ``templates/``)."""
    return _environment(_templates_dir(templates_dir))


def render_video_page(
    page: VideoPage,
    *,
    base_url: str | None = None,
    templates_dir: Path | str | None = None,
) -> str:
    """The page at ``<slug>/index.html``: player, captions, transcript, downloads, JSON-LD.

    ``base_url`` (where the site is published) makes the JSON-LD URLs absolute, as search engines
    want; the page's own links stay relative, so the folder can be moved or previewed from disk.
    """
    template = environment(templates_dir).get_template("video.html.j2")
    jsonld = Markup(video_object_jsonld(page, base_url=base_url))
    return template.render(page=page, jsonld=jsonld)


def render_index(
    pages: Sequence[VideoPage],
    title: str = "Videoer",
    *,
    templates_dir: Path | str | None = None,
) -> str:
    """The site's ``index.html``, listing ``pages`` in the order given."""
    template = environment(templates_dir).get_template("index.html.j2")
    return template.render(pages=list(pages), title=title)


def render_embed(
    page: VideoPage,
    base_url: str,
    *,
    templates_dir: Path | str | None = None,
) -> str:
    """A ``<figure>`` with the player for pasting into a CMS, pointing at ``base_url/<slug>/``.

    Publish the files on the same site as the CMS page: browsers only load a caption track from
    another origin when it is served with CORS headers.
    """
    if not base_url.strip():
        raise PackageError("an embed needs the URL the site is published at", stage="render")
    base = f"{base_url.rstrip('/')}/{_file_url(page.slug)}/"
    template = environment(templates_dir).get_template("embed.html.j2")
    return template.render(page=page, base=base)


def render_review_page(*, templates_dir: Path | str | None = None, **context: object) -> str:
    """The editors' page for one video (not published): player, cues, findings, approve command.

    Context: ``record`` (VideoRecord), ``cues``, ``report`` (quality report dict), ``source``,
    ``video`` and ``vtt`` (relative URLs), ``approve_command``.
    """
    template = environment(templates_dir).get_template("review.html.j2")
    record = context["record"]
    label = language_label(str(getattr(record, "language", "da")))
    return template.render(track_label=label, **context)
