"""The accessibility record of one published video: what a public body can sign.

For its accessibility statement (tilgængelighedserklæring) a body needs, per video: who approved
the captions and when, the caption norms they were checked against and every exception reported,
how well the captions are in sync (each cue's start against the forced alignment's time of its
first word: median and 90th percentile), the audio-description decision with its evidence (what
was shown but not said, and how each text was decided), where the transcript is, and when it was
published. Written as JSON into the video's site folder and as a short Danish page beside it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import screenreview
from .describing import CHOICE_LABELS_DA, Decision, Description
from .errors import VideokitError
from .files import read_json, write_json, write_text
from .naming import file_names
from .norms import DEFAULT_NORMS, CaptionNorms, check_cues
from .records import VideoRecord
from .render import environment
from .screentext import KIND_LABELS_DA, tokens
from .transcript import Cue, Transcript
from .workspace import Layout

RECORD_VERSION = 1
SYNC_SEARCH_MS = 3000  # a cue's first word is looked for this far either side of its start


def _percentile(values: Sequence[int], share: float) -> int:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def caption_sync(cues: Sequence[Cue], transcript: Transcript) -> dict[str, Any]:
    """How far each cue starts from its first word's aligned time, in ms (absolute values)."""
    words = [(t[0], w.start_ms) for w in transcript.words if (t := tokens(w.text))]
    offsets: list[int] = []
    k = 0
    for cue in cues:
        first = tokens(cue.text)
        if not first:
            continue
        for j in range(k, len(words)):
            text, at = words[j]
            if at > cue.start_ms + SYNC_SEARCH_MS:
                break
            if text == first[0] and abs(at - cue.start_ms) <= SYNC_SEARCH_MS:
                offsets.append(abs(cue.start_ms - at))
                k = j + 1
                break
    return {
        "cues": len(cues),
        "measured": len(offsets),
        "median_ms": _percentile(offsets, 0.5) if offsets else None,
        "p90_ms": _percentile(offsets, 0.9) if offsets else None,
        "against": "forced alignment" if transcript.words else "none",
    }


def _ad_conclusion(checked: bool, decisions: Sequence[Decision]) -> str:
    current = [d for d in decisions if d.current]
    if not checked:
        return "Skærmtekst er ikke undersøgt automatisk; billedet skal vurderes af en person."
    if not current:
        return "Ingen skærmtekst, der ikke også siges: synstolkning er ikke nødvendig for tekst."
    described = sum(d.choice == "describe" for d in current)
    return (
        f"{len(current)} skærmtekst(er) vises uden at blive sagt; {described} synstolkes som "
        'tekst (WebVTT-spor med kind="descriptions"), resten er afgjort som sagt eller ikke '
        "nødvendigt."
    )


def build(
    layout: Layout,
    record: VideoRecord,
    transcript: Transcript,
    cues: Sequence[Cue],
    described: Sequence[Description],
    *,
    approved_by: str,
    approved_at: str,
    published: str | None = None,
) -> dict[str, Any]:
    names = file_names(record.slug, record.language)
    try:
        report: Any = read_json(layout.quality / f"{record.slug}.json")
    except (OSError, ValueError):
        report = {}
    try:
        norms = CaptionNorms(**report["norms"])
    except (KeyError, TypeError, ValueError):
        norms = DEFAULT_NORMS  # no report from a run: the defaults the captions were made with
    evidence = screenreview.evidence(layout, record.slug)
    try:
        decisions = screenreview.load(layout.review, record.slug, record.language)
    except VideokitError:  # a broken file is reported by the run and refused at approval
        decisions = []
    flags = [
        {
            **d.flag.to_dict(),
            "kind_da": KIND_LABELS_DA[d.flag.kind],
            "decision": d.choice,
            "decision_da": CHOICE_LABELS_DA.get(d.choice, ""),
            "description": d.description if d.choice == "describe" else "",
            "editor": d.editor,
            "decided_at": d.decided_at,
        }
        for d in decisions
        if d.current
    ]
    return {
        "record_version": RECORD_VERSION,
        "video": {
            "slug": record.slug,
            "title": record.title,
            "duration_ms": record.duration_ms,
            "language": record.language,
        },
        # Published when approved: a later run that publishes the same approval keeps the date.
        "published": published or approved_at[:10] or dt.date.today().isoformat(),
        "captions": {
            "approved_by": approved_by,
            "approved_at": approved_at,
            "file": names["vtt"],
            "norms": norms.to_dict(),
            "exceptions": [
                {**v.to_dict(), "start_ms": cues[v.cue_index].start_ms}
                for v in check_cues(cues, norms)
            ],
            "sync": caption_sync(cues, transcript),
        },
        "audio_description": {
            "checked": bool(evidence.get("checked")),
            "texts_found": len(evidence.get("shown", [])),
            "flags": flags,
            "track": names["descriptions"] if described else None,
            "conclusion": _ad_conclusion(bool(evidence.get("checked")), decisions),
        },
        "transcript": {"page": names["page"], "text": names["txt"]},
    }


def write(folder: Path, data: dict[str, Any], slug: str, language: str = "da") -> None:
    """The record as JSON and as its Danish page, in the video's (staged) site folder."""
    names = file_names(slug, language)
    write_json(folder / names["record"], data)
    template = environment().get_template("record.html.j2")
    write_text(folder / names["record_page"], template.render(r=data, names=names))
