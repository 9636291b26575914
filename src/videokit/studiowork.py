"""The studio's routes for work kept and work done in the background.

Unsaved work (kept on the server within a second of each change, offered back after a reload or a
restart), the timeline under the video, the project word list, and the approval as a job: the
page starts it, then asks how far it is, while the burn-in and encodes run off the request.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from . import screenreview
from .align_draft import word_key
from .cuegrid import page_cues
from .errors import VideokitError
from .jobs import Job, Progress
from .naming import file_names
from .quality import quality_report
from .records import VideoRecord
from .spelling import WORD, add_word
from .studiomessages import danish
from .studiostore import EDITOR_ID, CheckedWords, Unsaved, UnsavedStore
from .timeline import timeline
from .transcript import Cue

if TYPE_CHECKING:
    from .studio import Studio

# An approval waits this long for a run that is writing the same video, then says so.
APPROVE_WAIT_S = 20.0


def editor_id(value: Any) -> str:
    if not isinstance(value, str) or not EDITOR_ID.fullmatch(value):
        raise HTTPException(400, "Ugyldig redaktør-id")
    return value


def add_work_routes(
    app: FastAPI,
    studio: Studio,
    video: Callable[[str], VideoRecord],
    body: Callable[[Request], Awaitable[dict[str, Any]]],
) -> None:
    unsaved = UnsavedStore(studio.project.out)

    @app.get("/api/{slug}/unsaved")
    def unsaved_get(slug: str, editor: str = "") -> Any:
        video(slug)
        work = unsaved.get(slug, editor_id(editor))
        return {"unsaved": work.to_dict() if work else None}

    @app.post("/api/{slug}/unsaved")
    async def unsaved_put(slug: str, request: Request) -> Any:
        video(slug)
        data = await body(request)
        editor = editor_id(data.get("editor_id"))
        if data.get("drop"):
            unsaved.drop(slug, editor)
            return {"kept": False}
        cues = data.get("cues")
        if not isinstance(cues, list) or not all(isinstance(c, dict) for c in cues):
            raise HTTPException(400, "Ugyldige tekster")
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        sha = data.get("sha")
        work = Unsaved(editor, None if sha is None else str(sha), tuple(cues), stamp)
        await run_in_threadpool(unsaved.put, slug, work)
        return {"kept": True, "time": stamp}

    # -- the timeline, spelling words and jobs ----------------------------------------------------
    @app.get("/api/{slug}/timeline")
    async def timeline_api(slug: str) -> Any:
        record = video(slug)
        folder = studio.layout.video_dir(slug, studio.layout.preview)
        path = folder / file_names(slug, record.language)["mp4"]
        if not path.is_file():
            return JSONResponse({"error": "Videoen mangler i preview."}, status_code=404)
        try:
            made = await run_in_threadpool(
                timeline, studio.project.out, slug, path, record.source_sha256
            )
        except VideokitError as err:
            return JSONResponse({"error": danish(err, "timeline")}, status_code=422)
        return made.to_dict()

    @app.post("/api/{slug}/checked")
    async def checked_api(slug: str, request: Request) -> Any:
        """An unsure word the editor has checked in one cue: no longer flagged, here or later."""

        record = video(slug)
        data = await body(request)
        cues, problems = page_cues([data.get("cue")], record.duration_ms)
        word = str(data.get("word", ""))
        if problems or not cues:
            return JSONResponse({"error": "Teksten kunne ikke læses; genindlæs siden."}, 422)
        low = [w for w in low_confidence(studio, record) if str(w["text"]) == word]
        found = {
            (int(w["start_ms"]), str(w["text"]))
            for w in low
            if unsure_words([w], cues)  # in this cue, and still there as heard
        }
        CheckedWords(studio.project.out).add(slug, found)
        return {
            "message": f"„{word}“ er markeret som tjekket."
            if found
            else f"„{word}“ er ikke markeret."
        }

    @app.post("/api/{slug}/words")
    async def words_api(slug: str, request: Request) -> Any:
        video(slug)
        word = str((await body(request)).get("word", "")).strip()
        if not WORD.fullmatch(word) or len(word) > 60:
            return JSONResponse({"error": "Et ord til ordlisten er ét ord."}, status_code=422)
        added = add_word(studio.project.media, word)
        return {"message": f"„{word}“ er {'tilføjet til' if added else 'allerede i'} "
                f"projektets ordliste."}  # fmt: skip

    @app.post("/api/{slug}/approve")
    async def approve(slug: str, request: Request) -> Any:
        video(slug)
        data = await body(request)
        editor, note = str(data.get("editor", "")), str(data.get("note", ""))
        if not editor.strip():
            return JSONResponse({"error": "Ikke godkendt: skriv dit navn i feltet „Dit navn“."},
                                status_code=422)  # fmt: skip
        try:
            # Undecided on-screen text refuses the approval at once, where the editor looks,
            # instead of as the end of a job (the approval itself checks again).
            record = studio.record(slug)
            language = record.language if record is not None else "da"
            screenreview.require_decided(studio.layout.review, slug, language)
        except VideokitError as err:
            # Its message is written in Danish for the editor and names no server path.
            return JSONResponse({"error": f"Ikke godkendt: {err.message}"}, status_code=422)
        job, started = studio.jobs.start(
            "approve", slug, lambda progress: _approve(studio, slug, editor, note, progress), 2
        )
        return JSONResponse({"job": job.to_dict(), "started": started}, status_code=202)

    @app.get("/api/{slug}/approve")
    def approve_state(slug: str) -> Any:
        video(slug)
        job: Job | None = studio.jobs.get("approve", slug)
        return {"job": job.to_dict() if job else None}


def _approve(studio: Studio, slug: str, editor: str, note: str, progress: Progress) -> str:
    """The approval as a job: published first (seconds), then the social formats (encodes)."""
    from .config import load_settings
    from .pipeline import approve_and_publish, finish_social
    from .social import READY

    progress(1, 2, "Godkender og udgiver på sitet …")
    try:
        approval, _record = approve_and_publish(
            studio.layout, slug, editor, note, base_url=studio.base_url, wait_s=APPROVE_WAIT_S
        )
    except VideokitError as err:
        raise VideokitError(danish(err, "approve")) from None
    done = (
        f"Godkendt af {approval.editor} {approval.time[:16].replace('T', ' kl. ')} UTC og udgivet."
    )
    progress(2, 2, f"{done} Laver videoerne til sociale medier …")
    try:
        status = finish_social(studio.layout, slug, load_settings(studio.project.config))
    except Exception as err:
        # The approval stands; 'videokit social' or the next run makes the formats again.
        print(
            f"videokit studio: the social videos for {slug} were not made: {err}", file=sys.stderr
        )
        return f"{done} Videoerne til sociale medier kunne ikke laves nu; næste kørsel prøver igen."
    outputs = status.outputs if status is not None else ()
    failed = [o.format for o in outputs if o.state != READY]
    if failed:
        return (
            f"{done} Videoerne til sociale medier er klar, undtagen {', '.join(failed)}; "
            "næste kørsel prøver igen."
        )
    return f"{done} Videoerne til sociale medier er også klar."


def unsure_words(low: Sequence[dict[str, Any]], cues: Sequence[Cue]) -> dict[int, list[str]]:
    """Per cue, the words the recogniser was unsure of that the cue still holds as heard.

    Words match as the alignment matches them: case and punctuation aside.
    """
    out: dict[int, list[str]] = {}
    for i, cue in enumerate(cues):
        words = {word_key(w) for line in cue.lines for w in line.split()}
        found = [
            str(w["text"])
            for w in low
            if cue.start_ms <= int(w["start_ms"]) < cue.end_ms and word_key(str(w["text"])) in words
        ]
        if found:
            out[i] = found
    return out


def low_confidence(studio: Studio, record: VideoRecord) -> list[dict[str, Any]]:
    """The machine draft's unsure words, by the quality report's own threshold, less those an
    editor has checked."""
    machine = studio.machine(record)
    low = list(quality_report(machine, [])["low_confidence"]) if machine else []
    checked = CheckedWords(studio.project.out).get(record.slug)
    return [w for w in low if (int(w["start_ms"]), str(w["text"])) not in checked]
