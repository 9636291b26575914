"""The studio's condensing panel: proposals for too-fast cues, accepted or rejected per cue.

The same review file as the file path (:mod:`videokit.condense_review`): a mark here is the mark an
editor would write there, and an accepted proposal is put in force at once, as the next run would
(through :meth:`ReviewDesk.use_condensed`, under the video's lock), so the editor sees it in the
cue list and an approval publishes it. A rejected one is not proposed again. The studio app's
token, origin and size checks cover these routes too (they are part of its app).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from . import condense_review
from .condense import RULE_LABELS, apply
from .condense_review import ACCEPT, REJECT, Entry
from .files import write_text
from .locks import video_lock
from .render import DEFAULT_TEMPLATES_DIR
from .review import ReviewDesk, SaveConflict

SCRIPT = "studio-condense.js"
WAIT_S = 20.0


def _entry_json(e: Entry) -> dict[str, Any]:
    p = e.proposal
    return {
        "mark": e.mark,
        "start_ms": p.start_ms,
        "end_ms": p.end_ms,
        "before": list(p.before),
        "after": list(p.after),
        "cuts": [{"text": c.text, "rule": RULE_LABELS.get(c.rule, c.rule)} for c in p.cuts],
        "cps_before": round(p.cps_before, 1),
        "cps_after": round(p.cps_after, 1),
    }


def decide(desk: ReviewDesk, slug: str, start_ms: int, mark: str, norms: Any) -> str:
    """Mark the proposal for the cue starting at ``start_ms``; an accepted one goes in force.

    Returns the Danish message for the editor. Raises :class:`SaveConflict` when the SRT view
    holds an edit no run has read (the proposal was made for the version before it).
    """
    path = condense_review.path_for(desk, slug)
    entries = condense_review.read_entries(path)
    match = [e for e in entries if e.proposal.start_ms == start_ms]
    if not match:
        raise KeyError(start_ms)
    chosen = match[0].proposal
    if mark == ACCEPT:
        current = desk.current(slug)
        cues, stale = apply(current[1] if current else (), [chosen])
        if stale:
            raise SaveConflict(
                "teksten er ændret, siden forslaget blev lavet",
                path=path,
                stage="review",
                hint="kør 'videokit produce', så laves forslagene igen",
            )
        desk.use_condensed(slug, cues)
    marked = [Entry(mark, e.proposal) if e.proposal == chosen else e for e in entries]
    write_text(path, condense_review.format_entries(marked, slug, norms))
    return "Forslaget er brugt." if mark == ACCEPT else "Forslaget er afvist."


def router(studio: Any) -> APIRouter:
    """Routes for ``studio`` (a :class:`videokit.studio.Studio`)."""
    r = APIRouter()

    def desk_for(slug: str) -> ReviewDesk:
        record = studio.record(slug)
        if record is None or studio.desk(record).current(slug) is None:
            raise HTTPException(404, "Ukendt video")
        desk: ReviewDesk = studio.desk(record)
        return desk

    @r.get(f"/condense/{SCRIPT}")
    def script() -> Response:
        body = (DEFAULT_TEMPLATES_DIR / "static" / SCRIPT).read_bytes()
        return Response(body, media_type="text/javascript")

    @r.get("/api/{slug}/condensing")
    def proposals(slug: str) -> dict[str, Any]:
        desk = desk_for(slug)
        entries = condense_review.read_entries(condense_review.path_for(desk, slug))
        return {
            "profile": studio.norms.describe(),
            "proposals": [_entry_json(e) for e in entries],
        }

    @r.post("/api/{slug}/condensing")
    async def mark(slug: str, request: Request) -> Any:
        desk = desk_for(slug)
        try:
            data = await request.json()
            start_ms, choice = int(data["start_ms"]), str(data["mark"])
        except (ValueError, TypeError, KeyError):
            raise HTTPException(400, "Ugyldig forespørgsel") from None
        if choice not in (ACCEPT, REJECT):
            raise HTTPException(400, "Ugyldigt valg")

        def locked() -> str:
            with video_lock(studio.layout.out, slug, wait_s=WAIT_S):
                return decide(desk, slug, start_ms, choice, studio.norms)

        try:
            message = await run_in_threadpool(locked)
        except KeyError:
            raise HTTPException(404, "Forslaget findes ikke længere") from None
        except SaveConflict as err:
            hint = f" ({err.hint})" if err.hint else ""
            return JSONResponse({"error": err.message + hint}, status_code=409)
        return {"message": message, "sha": desk.view_sha(slug)}

    return r
