"""Condensing (kondensering) proposals for cues too fast to read. Pure logic, no I/O.

Read Danish runs at about 20 characters a second, above every profile's reading speed. When a cue
is still too fast after the caption engine has used the time around it (:mod:`videokit.timing`),
a Danish subtitler shortens its text, removing first what carries no meaning. This module proposes
that, per cue, for an editor to accept or reject; it never changes a cue by itself, and the
transcript always keeps every word said.

The rules, in the order they are tried (a later tier only when the cue is still too fast):

1. ``hesitation``: "øh", "hm" and the like; ``repeat``: a word said twice in a row ("det det"),
   also two words ("det er, det er"), never one whose doubling means something ("ja ja", "nå nå");
   ``false_start``: a broken-off word ("kommu- kommunen") or a restart of the same clause with
   another form of the verb ("vi har, vi havde").
2. ``filler``: "altså" as a clause opener or tail ("Altså, det er …", "…, altså."), modal "jo"
   inside a clause ("det er jo rigtigt"), never "Jo, …" as an answer nor "jo før, jo bedre";
   ``tag``: "ikke?" / "ikke også?" / "ikke sandt?" after a comma ("Det er godt, ikke?"), never
   the negation "ikke".
3. ``og_saa``: an "og så" chain keeps its "så" ("…, og så gik vi, og så sov vi" → "…, og så gik
   vi, så sov vi"; a sentence opening "Og så" → "Så"), never "og så en film" (the verb "saw").

Removing a word takes its comma along, moves a sentence's final mark to the word before, and
capitalises the new first word of a sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from .lexicon import entries
from .norms import DEFAULT_NORMS, CaptionNorms, check_cues
from .sentences import CLOSERS, OPENERS, ends_sentence
from .transcript import Cue

# Rule names are part of the review file and the quality report.
HESITATION = "hesitation"
REPEAT = "repeat"
FALSE_START = "false_start"
FILLER = "filler"
TAG = "tag"
OG_SAA = "og_saa"
TIERS: tuple[tuple[str, ...], ...] = ((HESITATION, REPEAT, FALSE_START), (FILLER, TAG), (OG_SAA,))
# How an editor reads each rule (Danish: the review file and the studio show it).
RULE_LABELS = {
    HESITATION: "tøven",
    REPEAT: "gentagelse",
    FALSE_START: "falsk start",
    FILLER: "fyldord",
    TAG: "spørgehale",
    OG_SAA: "og så-kæde",
}
_TERMINAL = ".!?…"
_TAGS = (("ikke",), ("ikke", "også"), ("ikke", "sandt"))


@cache
def _lists() -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    section = ""
    for line in entries("da_condensing.txt"):
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            out[section] = set()
        elif section:
            out[section].add(line.lower())
    return {k: frozenset(v) for k, v in out.items()}


@dataclass(frozen=True)
class Cut:
    """One removed word as spoken (``text``) and the rule that removed it."""

    text: str
    rule: str

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "rule": self.rule}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Cut:
        return cls(str(d["text"]), str(d["rule"]))


@dataclass(frozen=True)
class Proposal:
    """A condensed text for one cue: ``before`` as published now, ``after`` if accepted."""

    cue: int
    start_ms: int
    end_ms: int
    before: tuple[str, ...]
    after: tuple[str, ...]
    cuts: tuple[Cut, ...]

    @property
    def cps_before(self) -> float:
        return len(" ".join(self.before)) * 1000 / max(1, self.end_ms - self.start_ms)

    @property
    def cps_after(self) -> float:
        return len(" ".join(self.after)) * 1000 / max(1, self.end_ms - self.start_ms)

    def to_dict(self) -> dict[str, Any]:
        return {
            "cue": self.cue,
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
            "before": list(self.before),
            "after": list(self.after),
            "cuts": [c.to_dict() for c in self.cuts],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Proposal:
        return cls(
            int(d["cue"]),
            int(d["start_ms"]),
            int(d["end_ms"]),
            tuple(str(x) for x in d["before"]),
            tuple(str(x) for x in d["after"]),
            tuple(Cut.from_dict(c) for c in d["cuts"]),
        )


def _core(word: str) -> str:
    return word.lstrip(OPENERS).rstrip(CLOSERS + ".,;:!?…-–").lower()


def _tail(word: str) -> str:
    """The punctuation after a word: "godt," → ",", "ikke?" → "?"."""
    bare = word.rstrip(CLOSERS)
    k = len(bare)
    while k and bare[k - 1] in ".,;:!?…":
        k -= 1
    return bare[k:]


def _starts(words: Sequence[str]) -> list[bool]:
    """Whether each word opens a sentence (first word, or after a sentence end)."""
    out = []
    for k in range(len(words)):
        out.append(k == 0 or ends_sentence(words[k - 1], words[k]))
    return out


def _find(rule: str, words: Sequence[str]) -> list[tuple[int, ...]]:
    """Groups of word indices ``rule`` would remove from ``words`` (one line's words)."""
    lists = _lists()
    cores = [_core(w) for w in words]
    tails = [_tail(w) for w in words]
    starts = _starts(words)
    n = len(words)
    found: list[tuple[int, ...]] = []
    if rule == HESITATION:
        found = [(k,) for k in range(n) if cores[k] in lists["hesitation"]]
    elif rule == REPEAT:
        for k in range(n - 1):
            same = not tails[k] and cores[k] == cores[k + 1] and cores[k]
            if same and cores[k] not in lists["keep_repeated"]:
                found.append((k,))
        for k in range(n - 3):
            # "det er, det er": a two-word restart.
            pair = cores[k : k + 2] == cores[k + 2 : k + 4] and tails[k + 1] == ","
            if pair and not tails[k] and cores[k] not in lists["keep_repeated"]:
                found.append((k, k + 1))
    elif rule == FALSE_START:
        for k in range(n - 1):
            bare = words[k].rstrip(CLOSERS)
            if bare.endswith("-") and len(cores[k]) >= 2 and cores[k + 1].startswith(cores[k]):
                found.append((k,))  # "kommu- kommunen"
        for k in range(n - 3):
            a, b, c, d = cores[k : k + 4]
            restart = a == c and b != d and b[:2] == d[:2] and len(b) >= 2
            if restart and tails[k + 1] == "," and not tails[k]:
                found.append((k, k + 1))  # "vi har, vi havde"
    elif rule == FILLER:
        sentence_jo: dict[int, int] = {}
        sentence = 0
        for k in range(n):
            sentence += starts[k] and k > 0
            sentence_jo[sentence] = sentence_jo.get(sentence, 0) + (cores[k] == "jo")
        sentence = 0
        for k in range(n):
            sentence += starts[k] and k > 0
            if cores[k] == "altså":
                opener = starts[k] and tails[k] == ","
                tail = k > 0 and tails[k - 1] == "," and tails[k] and tails[k] in _TERMINAL
                aside = k > 0 and tails[k - 1] == "," and tails[k] == ","
                if opener or tail or aside:
                    found.append((k,))
            elif cores[k] == "jo" and words[k][:1].islower() and not starts[k]:
                nxt = cores[k + 1] if k + 1 < n else ""
                inside = not tails[k] and k > 0 and not tails[k - 1] and k + 1 < n
                if inside and nxt not in lists["comparative"] and sentence_jo[sentence] == 1:
                    found.append((k,))
    elif rule == TAG:
        for k in range(1, n):
            if tails[k - 1] != "," or starts[k]:
                continue
            for tag in sorted(_TAGS, key=len, reverse=True):
                m = len(tag)
                whole = all(not tails[x] for x in range(k, k + m - 1))
                if tuple(cores[k : k + m]) == tag and tails[k + m - 1] in ("?", ",", ".") and whole:
                    found.append(tuple(range(k, k + m)))
                    break
    elif rule == OG_SAA:
        seen = 0
        for k in range(n - 1):
            if cores[k] != "og" or cores[k + 1] != "så" or tails[k]:
                continue
            after = cores[k + 2] if k + 2 < n else ""
            if after in lists["not_adverb_after"] or not after:
                continue
            seen += 1
            if starts[k] or seen > 1:
                found.append((k,))
    return found


def _remove(words: list[str], drop: set[int]) -> list[str]:
    """``words`` without ``drop``, punctuation and capitals mended around each removed word."""
    out: list[str] = []
    starts = _starts(words)
    capitalise = False
    for k, w in enumerate(words):
        if k not in drop:
            if capitalise:
                lead = len(w) - len(w.lstrip(OPENERS))
                w = w[:lead] + w[lead : lead + 1].upper() + w[lead + 1 :]
                capitalise = False
            out.append(w)
            continue
        tail = _tail(w)
        first_of_sentence = starts[k] or (capitalise and not out)
        if tail and tail[-1] in _TERMINAL:
            if out:
                prev = out[-1].rstrip(",;:")
                # A statement with a tag ("godt, ikke?") is a statement without it.
                mark = "." if tail[-1] == "?" else tail
                if _tail(prev) == "":
                    out[-1] = prev + mark
                else:
                    out[-1] = prev
        elif tail == "," and out and out[-1].endswith(",") and len(out) > 1 and not starts[k - 1]:
            # "vi kom, øh, hjem": the commas framed the removed word; one after a sentence's
            # first word stays ("Ja, øh, det …" → "Ja, det …").
            out[-1] = out[-1][:-1]
        if first_of_sentence and w.lstrip(OPENERS)[:1].isupper():
            capitalise = True
    return out


def condense_words(words: Sequence[str], rules: Sequence[str]) -> tuple[list[str], list[Cut]]:
    """``words`` (one line) with what ``rules`` remove taken out, and what was taken."""
    drop: set[int] = set()
    cuts: list[tuple[int, Cut]] = []
    for rule in rules:
        for group in _find(rule, words):
            if drop.intersection(group):
                continue
            drop.update(group)
            cuts.append((group[0], Cut(" ".join(words[x] for x in group), rule)))
    if len(drop) == len(words):
        return list(words), []  # a line is never condensed to nothing
    return _remove(list(words), drop), [c for _, c in sorted(cuts, key=lambda c: c[0])]


def _dash(line: str, norms: CaptionNorms) -> str:
    for dash in sorted({norms.dialogue_dash, "-", "- "}, key=len, reverse=True):
        if line.startswith(dash) and len(line) > len(dash):
            return dash
    return ""


def condense_cue(
    cue: Cue, norms: CaptionNorms = DEFAULT_NORMS, tiers: Sequence[Sequence[str]] = TIERS
) -> tuple[tuple[str, ...], tuple[Cut, ...]]:
    """The cue's lines condensed tier by tier until it is within the reading speed (or every tier
    is used), and the cuts made. A dialogue cue keeps one line per speaker, dash and all."""
    dialogue = bool(cue.voices) or (len(cue.lines) > 1 and all(_dash(x, norms) for x in cue.lines))
    rules: list[str] = []
    lines: tuple[str, ...] = cue.lines
    cuts: list[Cut] = []
    for tier in tiers:
        rules.extend(tier)
        new_lines: list[str] = []
        cuts = []
        for line in cue.lines:
            dash = _dash(line, norms) if dialogue else ""
            kept, cut = condense_words(line[len(dash) :].split(), rules)
            new_lines.append(dash + " ".join(kept))
            cuts.extend(cut)
        lines = tuple(new_lines)
        if not dialogue and len(lines) > 1 and len(" ".join(lines)) <= norms.max_line_chars:
            lines = (" ".join(lines),)
        if len(" ".join(lines)) * 1000 / cue.duration_ms <= norms.max_cps:
            break
    return lines, tuple(cuts)


def proposals(cues: Sequence[Cue], norms: CaptionNorms = DEFAULT_NORMS) -> list[Proposal]:
    """A proposal for each cue over the reading speed that the rules can shorten."""
    out: list[Proposal] = []
    for i, cue in enumerate(cues):
        if cue.cps <= norms.max_cps + 1e-9:
            continue
        lines, cuts = condense_cue(cue, norms)
        if cuts and lines != cue.lines:
            out.append(Proposal(i, cue.start_ms, cue.end_ms, cue.lines, lines, cuts))
    return out


def apply(cues: Sequence[Cue], accepted: Sequence[Proposal]) -> tuple[list[Cue], list[Proposal]]:
    """``cues`` with the accepted proposals' text, and the proposals that no longer match a cue
    (its time or text changed since): those are not applied, never guessed at. A cue that shows
    a proposal's text already counts as matched."""
    by_key = {(p.start_ms, p.before): p for p in accepted}
    done = {(p.start_ms, p.after): p for p in accepted}
    out: list[Cue] = []
    used: set[tuple[int, tuple[str, ...]]] = set()
    for cue in cues:
        p = by_key.get((cue.start_ms, cue.lines))
        if p is None:
            applied = done.get((cue.start_ms, cue.lines))
            if applied is not None:  # in force already, from an earlier run
                used.add((applied.start_ms, applied.before))
            out.append(cue)
            continue
        used.add((p.start_ms, p.before))
        voices = cue.voices if len(cue.voices) == len(p.after) else ()
        out.append(replace(cue, lines=p.after, voices=voices))
    stale = [p for p in accepted if (p.start_ms, p.before) not in used]
    return out, stale


def undo(cues: Sequence[Cue], accepted: Sequence[Proposal]) -> list[Cue]:
    """``cues`` with every accepted proposal undone: the cues as the words were said."""
    undone = [Proposal(p.cue, p.start_ms, p.end_ms, p.after, p.before, ()) for p in accepted]
    return apply(cues, undone)[0]


def within_share(cues: Sequence[Cue], norms: CaptionNorms) -> float | None:
    """Share of cues with no norm violation of their own (reading speed, lines, duration)."""
    if not cues:
        return None
    bad = {v.cue_index for v in check_cues(cues, norms) if v.rule not in ("gap",)}
    return round(1 - len(bad) / len(cues), 3)
