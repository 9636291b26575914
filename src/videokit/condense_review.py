"""Condensing proposals on the review desk: the editor's file, and what an accepted one changes.

Each run writes ``review/<slug>.kondensering.txt``: one entry per cue the rules of
:mod:`videokit.condense` can shorten, with the text now, the proposal and what it removes. The
editor marks an entry ``[x]`` to accept it or ``[-]`` to reject it (the studio does the same); the
next run puts accepted proposals in force through :meth:`ReviewDesk.use_condensed`, so they are
published only after an approval, like any other edit. Marks are kept from run to run; a proposal
nobody has marked is never applied, and one whose cue has changed since is reported, not guessed at.
The transcript keeps every word said whatever is accepted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .captions import vtt_timestamp
from .condense import RULE_LABELS, Cut, Proposal, apply, proposals
from .files import write_text
from .naming import review_names
from .norms import CaptionNorms
from .review import Outcome, ReviewDesk

ACCEPT, REJECT, OPEN = "x", "-", " "
_LINE_SEP = " | "
_HEADER = re.compile(
    r"^\[(?P<mark>[ xX-])\]\s+(?P<start>\d+:\d\d:\d\d\.\d{3}) --> (?P<end>\d+:\d\d:\d\d\.\d{3})"
)
_CUT = re.compile(r"«(?P<text>[^»]*)» (?P<label>[^·]+?)(?: · |$)")
_RULES = {label: rule for rule, label in RULE_LABELS.items()}


@dataclass(frozen=True)
class Entry:
    """One proposal in the review file and the editor's mark on it."""

    mark: str
    proposal: Proposal


@dataclass(frozen=True)
class Condensing:
    """What the run did: proposals accepted (in force), still open, and stale (cue changed)."""

    accepted: tuple[Proposal, ...]
    open: tuple[Proposal, ...]
    rejected: tuple[Proposal, ...]
    stale: tuple[Proposal, ...]


def path_for(desk: ReviewDesk, slug: str) -> Path:
    return desk.root / review_names(slug, desk.language)["condense"]


def _ms(stamp: str) -> int:
    h, m, rest = stamp.split(":")
    s, milli = rest.split(".")
    return ((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + int(milli)


def _speed(cps: float) -> str:
    return f"{cps:.1f}".replace(".", ",")


def format_entries(entries: Sequence[Entry], slug: str, norms: CaptionNorms) -> str:
    """The review file: Danish, for an editor with a text editor."""
    out = [
        f"# Forslag til kortere tekst (kondensering) for {slug}. Normer: {norms.describe()}, "
        f"højst {norms.max_cps:g} tegn i sekundet.",
        "# Sæt x i klammen foran et forslag for at bruge det, - for at afvise det, og kør så "
        "'videokit produce'.",
        "# Intet bruges uden dit x, og udskriften beholder alle ord, der blev sagt.",
        "",
    ]
    for e in entries:
        p = e.proposal
        out.append(f"[{e.mark}] {vtt_timestamp(p.start_ms)} --> {vtt_timestamp(p.end_ms)}")
        out.append(f"    nu:      {_LINE_SEP.join(p.before)}")
        out.append(f"    forslag: {_LINE_SEP.join(p.after)}")
        cuts = " · ".join(f"«{c.text}» {RULE_LABELS.get(c.rule, c.rule)}" for c in p.cuts)
        out.append(f"    fjernet: {cuts}")
        out.append(
            f"    læsehastighed: {_speed(p.cps_before)} → {_speed(p.cps_after)} tegn i sekundet"
        )
        out.append("")
    return "\n".join(out)


def parse_entries(text: str) -> list[Entry]:
    """The entries of a review file; an entry the editor broke is skipped (it is proposed anew)."""
    out: list[Entry] = []
    lines = text.splitlines()
    for k, line in enumerate(lines):
        m = _HEADER.match(line)
        if not m:
            continue
        fields: dict[str, str] = {}
        for body in lines[k + 1 : k + 5]:
            key, sep, value = body.strip().partition(":")
            if sep and key in ("nu", "forslag", "fjernet"):
                fields[key] = value.strip()
        if "nu" not in fields or not fields.get("forslag"):
            continue
        cuts = tuple(
            Cut(c["text"], _RULES.get(c["label"].strip(), c["label"].strip()))
            for c in _CUT.finditer(fields.get("fjernet", ""))
        )
        proposal = Proposal(
            -1,
            _ms(m["start"]),
            _ms(m["end"]),
            tuple(fields["nu"].split(_LINE_SEP)),
            tuple(fields["forslag"].split(_LINE_SEP)),
            cuts,
        )
        out.append(Entry(m["mark"].lower(), proposal))
    return out


def read_entries(path: Path) -> list[Entry]:
    try:
        return parse_entries(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError):
        return []


def _key(p: Proposal) -> tuple[int, tuple[str, ...]]:
    return p.start_ms, p.before


def settle(
    desk: ReviewDesk,
    slug: str,
    outcome: Outcome,
    norms: CaptionNorms,
    again: Callable[[], Outcome],
) -> tuple[Outcome, Condensing]:
    """Put the editor's accepted proposals in force and write the file anew for the cues now.

    ``again`` reconciles the desk once more, giving the outcome with the condensed cues in force
    (status, content hash). A refused edit is left alone: nothing is applied over it.
    """
    path = path_for(desk, slug)
    entries = read_entries(path)
    accepted = [e.proposal for e in entries if e.mark == ACCEPT]
    rejected = [e.proposal for e in entries if e.mark == REJECT]
    cues, stale = apply(outcome.cues, accepted)
    if not outcome.refused and tuple(cues) != outcome.cues:
        desk.use_condensed(slug, cues)
        outcome = again()
    if outcome.refused:
        stale = []
    decided = {_key(p) for p in accepted + rejected}
    fresh = [p for p in proposals(outcome.cues, norms) if _key(p) not in decided]
    in_force = [p for p in accepted if p not in stale]
    kept = [Entry(ACCEPT, p) for p in in_force] + [Entry(REJECT, p) for p in rejected]
    kept += [Entry(OPEN, p) for p in fresh]
    kept.sort(key=lambda e: e.proposal.start_ms)
    if kept or path.exists():
        write_text(path, format_entries(kept, slug, norms))
    return outcome, Condensing(tuple(in_force), tuple(fresh), tuple(rejected), tuple(stale))


def note(condensing: Condensing) -> str:
    """What the run summary says about the proposals (English, like the run's other notes)."""
    parts = []
    if condensing.open:
        n = len(condensing.open)
        parts.append(
            f"{n} cue{'s' if n != 1 else ''} too fast to read: condensing proposals to accept or "
            "reject in the review folder's .kondensering.txt"
        )
    if condensing.stale:
        parts.append(f"{len(condensing.stale)} accepted proposal(s) no longer match their cue")
    return "; ".join(parts)
