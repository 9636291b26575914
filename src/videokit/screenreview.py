"""The review of what is shown but not said: flags found per run, decisions kept, approval gated.

Each run reads the video's on-screen text (``onscreen``, cached), compares it with the transcript
in force (``screentext.unsaid``) and merges the flags into the editor's decision file
``review/<slug>.skaermtekst.toml`` (``describing``): decisions already made are kept, and a file
the editor broke is reported and left as it is. A video without unsaid text gets no file: nothing
to decide. What was found is kept in ``build/state/<slug>.onscreen.json`` as the evidence the
accessibility record shows. Approval is refused while a flag is undecided.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import onscreen
from .describing import (
    CHOICES,
    Decision,
    Description,
    descriptions,
    from_toml,
    merge,
    to_toml,
    undecided,
)
from .errors import VideokitError
from .files import read_json, write_json, write_text
from .history import SEQ_DIGITS, History
from .naming import review_names
from .pages import clock
from .screentext import ScreenText, unsaid
from .transcript import Transcript
from .workspace import Layout


def decisions_path(review: Path, slug: str, language: str = "da") -> Path:
    return review / review_names(slug, language)["screen"]


def _evidence_path(layout: Layout, slug: str) -> Path:
    return layout.state / f"{slug}.onscreen.json"


def load(review: Path, slug: str, language: str = "da") -> list[Decision]:
    """The editor's decisions ([] when the video has none); a broken file is an error."""
    path = decisions_path(review, slug, language)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as err:
        raise VideokitError(
            f"skærmteksternes afgørelser kan ikke læses ({err})",
            path=path,
            stage="review",
            hint="gem filen som UTF-8",
        ) from None
    try:
        return from_toml(text)
    except ValueError as err:
        raise VideokitError(
            f"skærmteksternes afgørelser kan ikke læses: {err}",
            path=path,
            stage="review",
            hint='ret filen: decision = "said", "describe" eller "not needed" i hver [[flag]]',
        ) from None


def save(review: Path, slug: str, decisions: Sequence[Decision], language: str = "da") -> None:
    write_text(decisions_path(review, slug, language), to_toml(decisions))


@dataclass(frozen=True)
class ScreenCheck:
    """One run's look at the picture: what was read, and the decisions now on file."""

    shown: tuple[ScreenText, ...]
    decisions: tuple[Decision, ...]
    checked: bool = True  # False: the text could not be read (the reason is in ``notes``)
    notes: tuple[str, ...] = ()
    problems: tuple[VideokitError, ...] = ()


def check(
    layout: Layout,
    video: Path,
    sha256: str,
    duration_ms: int,
    slug: str,
    transcript: Transcript,
    cache: Path | None = None,
) -> ScreenCheck:
    """Read the picture, flag what is not said, merge into the decision file; never raises for
    an editor's broken file or a missing OCR program (they come back as problems and notes)."""
    language = transcript.language
    try:
        shown = tuple(onscreen.shown(video, sha256, duration_ms, cache))
    except VideokitError as err:
        note = f"on-screen text was not read ({err.message}); check the picture by eye"
        write_json(_evidence_path(layout, slug), {"checked": False, "reason": err.message})
        return ScreenCheck((), (), False, (note,))
    flags = unsaid(shown, transcript)
    try:
        before = load(layout.review, slug, language)
    except VideokitError as err:
        _write_evidence(layout, slug, shown, ())
        return ScreenCheck(shown, (), True, (), (err,))
    decisions = tuple(merge(flags, before))
    if decisions != tuple(before) and (decisions or before):
        save(layout.review, slug, decisions, language)
    _write_evidence(layout, slug, shown, decisions)
    open_flags = undecided(decisions)
    notes: tuple[str, ...] = ()
    if open_flags:
        notes = (
            f"{len(open_flags)} on-screen text(s) shown but not said: decide each in the studio or "
            f"in review/{decisions_path(layout.review, slug, language).name} before approving",
        )
    return ScreenCheck(shown, decisions, True, notes)


def _write_evidence(
    layout: Layout, slug: str, shown: Sequence[ScreenText], decisions: Sequence[Decision]
) -> None:
    write_json(
        _evidence_path(layout, slug),
        {
            "checked": True,
            "shown": [s.to_dict() for s in shown],
            "flags": [d.flag.to_dict() for d in decisions if d.current],
        },
    )


def evidence(layout: Layout, slug: str) -> dict[str, Any]:
    """What the last run found on screen ({"checked": False} when it never looked)."""
    try:
        data = read_json(_evidence_path(layout, slug))
    except (OSError, ValueError):
        return {"checked": False, "reason": "ikke undersøgt"}
    return data if isinstance(data, dict) else {"checked": False}


def _quote(d: Decision) -> str:
    first = d.flag.text.splitlines()[0] if d.flag.text.strip() else d.flag.id
    more = " …" if len(d.flag.text.splitlines()) > 1 else ""
    return f"„{first}{more}“ ({clock(d.flag.start_ms)}, {d.missing})"


def require_decided(review: Path, slug: str, language: str = "da") -> list[Decision]:
    """The decisions, if every current flag is decided; else a refusal that names the open ones."""
    decisions = load(review, slug, language)
    open_flags = undecided(decisions)
    if open_flags:
        raise VideokitError(
            f"videoen kan ikke godkendes: {len(open_flags)} skærmtekst(er) vises, men siges ikke, "
            "og er ikke afgjort: " + "; ".join(_quote(d) for d in open_flags),
            path=decisions_path(review, slug, language),
            stage="approve",
            hint="afgør hver tekst i studiet eller i filen "
            f"{decisions_path(review, slug, language).name} "
            '(decision = "said", "describe" eller "not needed", og dit navn i editor), '
            "og godkend igen",
        )
    return decisions


def decide(
    review: Path,
    slug: str,
    flag_id: str,
    choice: str,
    editor: str,
    description: str = "",
    language: str = "da",
    now: dt.datetime | None = None,
) -> Decision:
    """Record one decision (the studio's way; the file is the other)."""
    if choice not in CHOICES:
        raise VideokitError(
            f"ukendt afgørelse {choice!r}",
            stage="review",
            hint="vælg siges, synstolk eller ikke nødvendig",
        )
    if not editor.strip():
        raise VideokitError("en afgørelse kræver redaktørens navn", stage="review",
                            hint="skriv dit navn")  # fmt: skip
    decisions = load(review, slug, language)
    found = next((d for d in decisions if d.flag.id == flag_id), None)
    if found is None:
        raise VideokitError(
            "skærmteksten findes ikke (længere)", stage="review", hint="genindlæs siden"
        )
    if choice == "describe" and not (description or found.description).strip():
        raise VideokitError("en synstolkning kræver en beskrivelse", stage="review",
                            hint="skriv, hvad der står på skærmen")  # fmt: skip
    when = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0).isoformat()
    new = replace(
        found,
        choice=choice,
        editor=editor.strip(),
        description=description.strip() or found.description,
        decided_at=when,
    )
    save(review, slug, [new if d is found else d for d in decisions], language)
    return new


def published_descriptions(
    review: Path, slug: str, transcript: Transcript, *, as_approved: bool = False
) -> list[Description]:
    """The descriptions to publish with ``transcript`` ([] while the file is broken or absent).

    ``as_approved``: the decisions as the newest approval froze them in the history, not as the
    file says now, so a decision changed after an approval never reaches the site without a new
    one. An approval made before decisions were kept with it publishes none.
    """
    language = transcript.language
    if as_approved:
        history = History(review)
        approvals = history.approvals(slug)
        if not approvals:
            return []
        name = decisions_path(review, slug, language).name
        frozen = history.folder(slug) / f"{approvals[-1].seq:0{SEQ_DIGITS}d}" / name
        try:
            return descriptions(from_toml(frozen.read_text(encoding="utf-8-sig")), transcript)
        except (OSError, UnicodeDecodeError, ValueError):
            return []
    try:
        decisions = load(review, slug, language)
    except VideokitError:
        return []
    return descriptions(decisions, transcript)
