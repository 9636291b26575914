"""The studio's part in what is shown but not said: list the flags, record a decision.

A router the studio app includes (``app.include_router(studio_screen.router(studio))``): its
requests pass the studio's own guard (token, same origin, size). The page part is
``templates/static/studio-screen.js``, which the video page loads with one script line. The same
decisions can be made without the studio, in ``review/<slug>.skaermtekst.toml``.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from . import screenreview
from .describing import CHOICE_LABELS_DA, Decision
from .errors import VideokitError
from .locks import video_lock
from .pages import clock
from .screentext import KIND_LABELS_DA

SAVE_WAIT_S = 10.0  # a run writing this video is waited for this long, then the editor is told
MAX_FIELD = 2000


def flag_json(d: Decision) -> dict[str, Any]:
    return {
        "id": d.flag.id,
        "at": clock(d.flag.start_ms),
        "start_ms": d.flag.start_ms,
        "kind": KIND_LABELS_DA[d.flag.kind],
        "text": d.flag.text,
        "decision": d.choice,
        "decision_label": CHOICE_LABELS_DA.get(d.choice, ""),
        "description": d.description,
        "editor": d.editor,
        "missing": d.missing,
    }


def router(studio: Any) -> APIRouter:
    """Routes over ``studio`` (``studio.Studio``: its layout and its videos)."""
    routes = APIRouter()

    def known(slug: str) -> Any:
        record = studio.record(slug)
        if record is None:
            raise HTTPException(404, "Ukendt video")
        return record

    def failed(err: VideokitError) -> JSONResponse:
        hint = f" ({err.hint})" if err.hint else ""
        return JSONResponse({"error": err.message + hint}, status_code=422)

    @routes.get("/api/{slug}/screen")
    def listing(slug: str) -> Any:
        record = known(slug)
        try:
            decisions = screenreview.load(studio.layout.review, slug, record.language)
        except VideokitError as err:
            return failed(err)
        return {"flags": [flag_json(d) for d in decisions if d.current]}

    @routes.post("/api/{slug}/screen/{flag_id}")
    async def decide(slug: str, flag_id: str, request: Request) -> Any:
        record = known(slug)
        try:
            data = json.loads(await request.body())
        except ValueError:
            raise HTTPException(400, "Ugyldig JSON") from None
        if not isinstance(data, dict) or any(
            len(str(data.get(k, ""))) > MAX_FIELD for k in ("choice", "editor", "description")
        ):
            raise HTTPException(400, "Ugyldig afgørelse")

        def save() -> Decision:
            # A run merges new flags into the same file under this lock.
            with video_lock(studio.layout.out, slug, wait_s=SAVE_WAIT_S):
                return screenreview.decide(
                    studio.layout.review,
                    slug,
                    flag_id,
                    str(data.get("choice", "")),
                    str(data.get("editor", "")),
                    str(data.get("description", "")),
                    record.language,
                )

        try:
            decided = await run_in_threadpool(save)
        except VideokitError as err:
            return failed(err)
        return {"flag": flag_json(decided), "message": "Afgørelsen er gemt."}

    return routes
