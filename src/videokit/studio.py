"""The review studio: editors correct captions in the browser (``videokit studio``).

A local web app over the same review desk as file edits: the page's cues are checked as cues
(:mod:`videokit.cuegrid`, each problem by cue number in Danish), then a save writes the SRT view
through :meth:`ReviewDesk.save_srt` (the same parser, never over a version the editor has not
seen). Norms are checked by the caption engine's own rules (``norms.check_cues``) through a JSON
endpoint, with each cue's numbers and its misspelled words; the page holds no copy of the rules.
Unsaved work, the timeline and the approval job (:func:`pipeline.approve_and_publish` in the
background) are in :mod:`videokit.studiowork`; failures reach the editor in Danish through
:mod:`videokit.studiomessages`.

Safety: it listens on loopback; every request carries the random token printed at start (query
``token`` or header ``X-Videokit-Token``); every write must also come from the studio's own origin
(``Origin`` or ``Referer``); slugs are checked against the produced videos; bodies are limited in
size; the page has no inline script and sets editor text with ``textContent`` only.
"""

from __future__ import annotations

import hmac
import json
import re
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

from . import captions as fmt
from . import studio_condense, studio_screen
from .align import align_text
from .config import load_settings
from .cuegrid import cue_numbers, keep_timing, page_cues
from .edits import TextParagraph, decode_text, parse_srt, to_review_srt, write_review_text
from .errors import TranscriptError, VideokitError
from .files import read_text_file, write_text
from .jobs import Jobs
from .locks import video_lock
from .naming import file_names
from .norms import CaptionNorms, check_cues
from .records import RecordDamaged, Records, VideoRecord, machine_draft
from .render import DEFAULT_TEMPLATES_DIR, environment
from .review import ReviewDesk, SaveConflict
from .segment import cues_from_transcript
from .serve import in_background, make_server
from .spelling import WORD, WORD_LIST, Speller, read_words
from .studiomessages import ACTS, danish
from .studiostore import EDITOR_ID, UnsavedStore, project_key
from .studiowork import add_work_routes, low_confidence, unsure_words
from .transcript import Cue, Transcript
from .workspace import Layout, Project, VideoJob, read_glossary, read_meta

# A save or an approval waits this long for a run that is writing the same video, then says so.
SAVE_WAIT_S = 20.0


def _locked_save(studio: Any, desk: ReviewDesk, slug: str, text: str, sha: str | None) -> str:
    with video_lock(studio.layout.out, slug, wait_s=SAVE_WAIT_S):
        return desk.save_srt(slug, text, sha)


SLUG = re.compile(r"[a-z0-9-]+")
MAX_BODY = 1 << 20  # a long video's captions as JSON are a few hundred kB
TOKEN_HEADER = "X-Videokit-Token"
# The page's own files: studio.js and its parts (studio-*.js), studio.css; nothing else.
STATIC = re.compile(r"studio(-[a-z]+)?\.(js|css)")
STATIC_TYPES = {"js": "text/javascript", "css": "text/css"}
RULES_DA = {
    "line_chars": "for lang linje",
    "line_count": "for mange linjer",
    "cps": "for hurtig læsehastighed",
    "min_duration": "for kort tid på skærmen",
    "max_duration": "for lang tid på skærmen",
    "gap": "for lille pause før næste tekst",
    "overlap": "overlapper næste tekst",
    "order": "næste tekst starter før denne",
    "blank_edge": "mellemrum i kanten af en linje",
}
STATUS_DA = {"draft": "Kladde", "in review": "Under gennemsyn", "approved": "Godkendt"}


class BadInput(VideokitError):
    """A request the studio cannot act on (a cue without text, a malformed body)."""

    stage = "studio"


@dataclass(frozen=True)
class Studio:
    """One project's studio: where its files are, and what a request must carry."""

    project: Project
    token: str
    origin: str  # scheme://host:port the pages are served from: the only origin allowed to write
    base_url: str | None = None
    jobs: Jobs = field(default_factory=Jobs, compare=False)
    _spellers: dict[tuple[Any, ...], Speller | None] = field(default_factory=dict, compare=False)

    @property
    def layout(self) -> Layout:
        return Layout(self.project.out, self.project.review)

    @property
    def norms(self) -> CaptionNorms:
        return load_settings(self.project.config).norms

    def record(self, slug: str) -> VideoRecord | None:
        """The produced video ``slug``, or ``None``: the only slugs the studio knows."""
        if not SLUG.fullmatch(slug):
            return None
        try:
            return Records(self.layout).get(slug)
        except RecordDamaged:
            return None  # its next run writes it again; until then the studio cannot open it

    def desk(self, record: VideoRecord) -> ReviewDesk:
        return ReviewDesk(self.project.review, record.language)

    def job(self, record: VideoRecord) -> VideoJob | None:
        """The video's source in the media folder, for its side files; None when it is gone."""
        path = self.project.media / Path(record.source).name
        return VideoJob(path, record.slug) if path.is_file() else None

    def side_speaker(self, record: VideoRecord) -> list[str]:
        job = self.job(record)
        try:
            speaker = read_meta(job).speaker if job else None
        except VideokitError:
            speaker = None
        return [speaker] if speaker else []

    def speller(self, record: VideoRecord) -> Speller | None:
        """The Danish dictionary with the glossary's and the project word list's words, made
        again when one of those files changes."""
        job = self.job(record)
        files = [self.project.media / GLOSSARY, self.project.media / WORD_LIST]
        stamp = tuple(f.stat().st_mtime_ns if f.is_file() else 0 for f in files)
        key = (record.slug, stamp)
        if key not in self._spellers:
            glossary = read_glossary(job) if job else read_words(files[0])
            words = [w for term in glossary for w in WORD.findall(term)]
            self._spellers.clear()
            self._spellers[key] = Speller.load([*words, *read_words(files[1])])
        return self._spellers[key]

    def machine(self, record: VideoRecord) -> Transcript | None:
        return machine_draft(self.layout, record)


# -- what the pages show -------------------------------------------------------------------------


def cue_json(cue: Cue) -> dict[str, Any]:
    return {
        "start_ms": cue.start_ms,
        "end_ms": cue.end_ms,
        "text": "\n".join(cue.lines),
        "speaker": cue.speaker,
        **({"voices": list(cue.voices)} if cue.voices else {}),  # a dialogue cue: one per line
    }


def check(studio: Studio, record: VideoRecord, data: Any) -> dict[str, Any]:
    """The caption engine's findings for the page's cues, each cue's numbers and margins, its
    misspelled words, and (by cue number, in Danish) why the desk would not take them yet."""
    norms = studio.norms
    cues, problems = page_cues(data, record.duration_ms)
    if problems:
        return {"violations": [], "unsure": {}, "numbers": [], "spelling": {},
                "problems": [p.to_dict() for p in problems], "error": str(problems[0])}  # fmt: skip
    low = low_confidence(studio, record)
    speller = studio.speller(record)
    spelling = {}
    if speller is not None:
        for i, cue in enumerate(cues):
            wrong = speller.misspelled(cue.text)
            if wrong:
                spelling[str(i)] = [{"word": w, "suggestions": speller.suggest(w)} for w in wrong]
    return {
        "violations": [
            {
                "cue": v.cue_index,
                "rule": v.rule,
                "label": RULES_DA.get(v.rule, v.rule),
                "detail": v.detail,
            }
            for v in check_cues(cues, norms)
        ],
        "unsure": {str(i): words for i, words in unsure_words(low, cues).items()},
        "numbers": [cue_numbers(c, norms) for c in cues],
        "spelling": spelling,
        "speller": speller is not None,
        "problems": [],
        "error": "",
    }


def reflow(studio: Studio, record: VideoRecord, cues: Sequence[Cue]) -> list[Cue]:
    """A new cue layout for the corrected text, timed by the machine draft's words.

    The studio loads no speech model, so the words take the draft's times (the alignment's own
    fallback); ``videokit produce`` aligns an edited text view to the audio.
    """
    machine = studio.machine(record)
    if machine is None:
        raise BadInput("the machine draft is missing", hint="run 'videokit produce' again")
    paragraphs: list[TextParagraph] = []
    for cue in cues:
        words = tuple(w for line in cue.lines for w in line.split())
        if paragraphs and paragraphs[-1].speaker == cue.speaker:
            paragraphs[-1] = TextParagraph(cue.speaker, paragraphs[-1].words + words)
        else:
            paragraphs.append(TextParagraph(cue.speaker, words))
    aligned = align_text(machine, write_review_text(paragraphs))
    return keep_timing(cues, cues_from_transcript(aligned, norms=studio.norms))


GLOSSARY = (
    "glossary.txt"  # the project's spellings, beside the videos (see workspace.read_glossary)
)


def add_to_glossary(media: Path, term: str) -> bool:
    """Add a spelling to the project's glossary; False when it is there already."""
    term = " ".join(term.split())
    if not term or len(term) > 80 or "#" in term:
        raise BadInput(
            "En stavemåde til ordlisten er højst 80 tegn og uden '#'",
            hint="skriv ordet eller navnet, som det skal staves",
        )
    path = media / GLOSSARY
    # Read as every side file is (a cp1252 glossary was an HTTP 500); written back as UTF-8.
    text = read_text_file(path, "glossary") if path.is_file() else ""
    known = {line.split("#", 1)[0].strip().casefold() for line in text.splitlines()}
    if term.casefold() in known:
        return False
    if text and not text.endswith("\n"):
        text += "\n"
    write_text(path, text + term + "\n")
    return True


def overview(studio: Studio) -> list[dict[str, Any]]:
    """Every produced video: state, cues, findings, approvals (the desk, build/state, preview)."""
    rows = []
    for record in Records(studio.layout).all():
        desk = studio.desk(record)
        found = desk.status(record.slug)
        current = desk.current(record.slug)
        cues = current[1] if current else ()
        approvals = desk.approvals(record.slug)
        status = found[0] if found else "draft"
        label = STATUS_DA[status]
        if status == "in review" and approvals:
            label = "Ændret siden godkendelse"
        if desk.withdrawn(record.slug):
            label = "Taget af sitet"
        # As on the video's page: the draft's unsure words that the captions still hold as heard.
        unsure = sum(map(len, unsure_words(low_confidence(studio, record), cues).values()))
        rows.append(
            {
                "slug": record.slug,
                "title": record.title,
                "status": label,
                "cues": len(cues),
                "violations": len(check_cues(cues, studio.norms)),
                "unsure": unsure,
                "approvals": [(a.editor, a.time, a.note) for a in approvals],
            }
        )
    return rows


# -- the app -------------------------------------------------------------------------------------


def make_app(studio: Studio, templates_dir: Path = DEFAULT_TEMPLATES_DIR) -> FastAPI:
    """The studio's ASGI app."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(studio_screen.router(studio))  # what is shown but not said
    app.include_router(studio_condense.router(studio))  # condensing proposals per cue
    env = environment(templates_dir)

    def refuse(status: int, message: str) -> Response:
        return Response(message, status_code=status, media_type="text/plain; charset=utf-8")

    @app.middleware("http")
    async def guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        given = request.query_params.get("token") or request.headers.get(TOKEN_HEADER) or ""
        if not hmac.compare_digest(given.encode(), studio.token.encode()):
            return refuse(403, "Adgang nægtet: adressen mangler studiets nøgle (token).")
        if request.method not in ("GET", "HEAD"):
            origin = request.headers.get("origin")
            referer = request.headers.get("referer", "")
            same = origin == studio.origin if origin else referer.startswith(studio.origin + "/")
            if not same:
                return refuse(403, "Afvist: ændringer kan kun komme fra studiets egne sider.")
            length = request.headers.get("content-length")
            if length is None or not length.isdigit():
                return refuse(411, "Afvist: forespørgslen mangler sin længde.")
            if int(length) > MAX_BODY:
                return refuse(413, "Afvist: forespørgslen er for stor.")
        response = await call_next(request)
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self'; media-src 'self'; connect-src 'self'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'"
        )
        return response

    def video(slug: str) -> VideoRecord:
        record = studio.record(slug)
        if record is None or studio.desk(record).current(slug) is None:
            raise HTTPException(404, "Ukendt video")
        return record

    async def body(request: Request) -> dict[str, Any]:
        raw = await request.body()
        if len(raw) > MAX_BODY:
            raise HTTPException(413, "Forespørgslen er for stor")
        try:
            data = json.loads(raw)
        except ValueError:
            raise HTTPException(400, "Ugyldig JSON") from None
        if not isinstance(data, dict):
            raise HTTPException(400, "Ugyldig JSON")
        return data

    def failed(err: VideokitError, status: int = 422) -> JSONResponse:
        hint = f" ({err.hint})" if err.hint else ""
        return JSONResponse({"error": err.message + hint}, status_code=status)

    def page(name: str, **context: Any) -> HTMLResponse:
        html = env.get_template(name).render(token=studio.token, **context)
        return HTMLResponse(html)

    @app.get("/")
    def index() -> HTMLResponse:
        return page("studio.html.j2", rows=overview(studio))

    @app.get("/video/{slug}")
    def edit_page(slug: str) -> HTMLResponse:
        record = video(slug)
        return page("studio-video.html.j2", record=record, names=file_names(slug))

    @app.get("/static/{name}")
    def static(name: str) -> Response:
        path = templates_dir / "static" / name
        if not STATIC.fullmatch(name) or not path.is_file():
            raise HTTPException(404)
        return Response(path.read_bytes(), media_type=STATIC_TYPES[name.rsplit(".", 1)[1]])

    @app.get("/media/{slug}/video.mp4")
    def media(slug: str) -> FileResponse:
        record = video(slug)
        folder = studio.layout.video_dir(slug, studio.layout.preview)
        path = folder / file_names(slug, record.language)["mp4"]
        if not path.is_file():
            raise HTTPException(404, "Videoen mangler i preview")
        return FileResponse(path, media_type="video/mp4")

    @app.get("/media/{slug}/captions.vtt")
    def track(slug: str) -> Response:
        record = video(slug)
        current = studio.desk(record).current(slug)
        cues = current[1] if current else ()
        return Response(fmt.to_vtt(cues, language=record.language), media_type="text/vtt")

    @app.get("/api/{slug}")
    def load(slug: str) -> dict[str, Any]:
        record = video(slug)
        desk = studio.desk(record)
        current = desk.current(slug)
        cues = list(current[1]) if current else []
        problem = ""
        path = desk.srt_path(slug)
        if path.is_file():
            # The file on disk is the newest version, also when a run has not read it yet.
            try:
                text = decode_text(path.read_bytes(), path)
                cues = parse_srt(text, path, duration_ms=record.duration_ms)
            except TranscriptError as err:
                problem = (
                    f"Filen {path.name} kan ikke læses ({err.message}); viser den gældende version."
                )
        speakers = sorted({c.speaker for c in cues if c.speaker} | set(studio.side_speaker(record)))
        return {
            "slug": slug,
            "sha": desk.view_sha(slug),
            "duration_ms": record.duration_ms,
            "cues": [cue_json(c) for c in cues],
            "speakers": speakers,
            "norms": studio.norms.to_dict(),
            "problem": problem,
        }

    def refused(problems: list[Any], act: str = "save") -> JSONResponse:
        said = "; ".join(str(p) for p in problems[:3])
        more = f" (og {len(problems) - 3} flere)" if len(problems) > 3 else ""
        return JSONResponse(
            {"error": f"{ACTS[act]}: {said}{more}.", "problems": [p.to_dict() for p in problems]},
            status_code=422,
        )

    @app.post("/api/{slug}/check")
    async def check_cues_api(slug: str, request: Request) -> Any:
        record = video(slug)
        data = (await body(request)).get("cues")
        return await run_in_threadpool(check, studio, record, data)

    @app.post("/api/{slug}/reflow")
    async def reflow_api(slug: str, request: Request) -> Any:
        record = video(slug)
        cues, problems = page_cues((await body(request)).get("cues"), record.duration_ms)
        if problems:
            return refused(problems, "reflow")
        try:
            cues = reflow(studio, record, cues)
        except VideokitError as err:
            return JSONResponse({"error": danish(err, "reflow")}, status_code=422)
        return {"cues": [cue_json(c) for c in cues]}

    @app.post("/api/{slug}/save")
    async def save(slug: str, request: Request) -> Any:
        record = video(slug)
        data = await body(request)
        desk = studio.desk(record)
        cues, problems = page_cues(data.get("cues"), record.duration_ms)
        if problems:
            return refused(problems)
        try:
            text = to_review_srt(cues)
            sha = await run_in_threadpool(_locked_save, studio, desk, slug, text, data.get("sha"))
        except VideokitError as err:
            status = 409 if isinstance(err, SaveConflict) else 422
            return JSONResponse({"error": danish(err, "save")}, status_code=status)
        editor = str(data.get("editor_id", ""))
        if EDITOR_ID.fullmatch(editor):
            UnsavedStore(studio.project.out).drop(slug, editor)  # saved: nothing left to offer
        return {"sha": sha, "message": f"Gemt i {desk.srt_path(slug).name}."}

    @app.post("/api/{slug}/glossary")
    async def glossary(slug: str, request: Request) -> Any:
        video(slug)
        term = str((await body(request)).get("term", ""))
        try:
            added = add_to_glossary(studio.project.media, term)
        except VideokitError as err:
            return failed(err)
        where = f"{studio.project.media.name}/{GLOSSARY}"
        return {
            "message": f"„{term.strip()}“ er tilføjet til ordlisten ({where})."
            if added
            else f"„{term.strip()}“ står allerede i ordlisten ({where})."
        }

    add_work_routes(app, studio, video, body)
    return app


# -- serving -------------------------------------------------------------------------------------


@contextmanager
def running(
    project: Project,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    token: str | None = None,
    base_url: str | None = None,
) -> Iterator[str]:
    """The studio served in a background thread; yields its URL with the token."""
    if not Layout(project.out, project.review).state.is_dir():
        raise VideokitError(
            "no videos have been produced here yet",
            path=project.out,
            stage="studio",
            hint="run 'videokit produce' first, or give --project",
        )
    server = make_server(project.out, host, port)
    origin = server.url.rstrip("/")
    # The project's own key, kept between runs: a tab opened before a restart still works.
    studio = Studio(project, token or project_key(project.out), origin, base_url)
    with in_background(server, make_app(studio)):
        yield f"{origin}/?token={studio.token}"


def serve_studio(
    project: Project, host: str = "127.0.0.1", port: int = 8001, base_url: str | None = None
) -> None:
    """Serve the studio until Ctrl-C; prints the address to open (it opens nothing itself)."""
    with running(project, host, port, base_url=base_url) as url, suppress(KeyboardInterrupt):
        print(f"Redigeringsstudiet kører på {url}  (Ctrl-C stopper)", flush=True)
        while True:
            time.sleep(3600)
