"""WebVTT files as a browser reads them, in the spirit of web-platform-tests' webvtt/parsing/
file-parsing cases: each ``tests/data/webvtt/<case>.vtt`` has beside it ``<case>.json``, the cues
the spec's parsing algorithm gives (written by hand from the spec, not by running videokit).

Two layers are held to them. The spec layer (:func:`videokit.webvtt.parse_file`) must agree on
every case. The editor's reader (:func:`videokit.edits.parse_srt`) must agree too, except where it
refuses a file for one of videokit's own rules (overlapping cues, a cue a player would skip, …);
such a refusal must be a :class:`RuleRefusal` naming the rule, never a parse error.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from videokit.edits import VIDEOKIT_RULES, RuleRefusal, decode_text, parse_srt
from videokit.errors import TranscriptError
from videokit.webvtt import NotWebVTT, cue_text, parse_file

DATA = Path(__file__).parent / "data" / "webvtt"
CASES = sorted(p.stem for p in DATA.glob("*.vtt"))

# The figure the README and the issue quote; a change in either direction must be looked at.
AGREE = 35
REFUSED = Counter(
    {"skipped-cue": 6, "overlap": 3, "timing-order": 2, "empty-cue": 1, "missing-blank-line": 3}
)


def expected(case: str) -> list[dict]:
    return json.loads((DATA / f"{case}.json").read_text(encoding="utf-8"))["cues"]


def read(case: str) -> str:
    return decode_text((DATA / f"{case}.vtt").read_bytes(), DATA / f"{case}.vtt")


def test_there_are_enough_cases():
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES)
def test_the_spec_layer_gives_the_browsers_cues(case):
    try:
        cues = parse_file(read(case)).cues
    except NotWebVTT:
        cues = ()
    got = [
        {"id": c.identifier, "start_ms": c.start_ms, "end_ms": c.end_ms, "text": c.text}
        for c in cues
    ]
    assert got == expected(case)


def videokit_view(cues: list[dict]) -> list[tuple]:
    """What the editor's reader should give for the browser's cues: their times, and their text
    as the cue text parsing rules show it."""
    out = []
    for c in cues:
        shown = cue_text(c["text"])
        out.append((c["start_ms"], c["end_ms"], shown.lines, shown.voice))
    return out


def outcome(case: str) -> str:
    """``"agree"`` or ``"refused: <rule>"``; fails the test on any other difference."""
    want = expected(case)
    try:
        cues = parse_srt(read(case), DATA / f"{case}.vtt")
    except RuleRefusal as err:
        if not want:
            return "agree"  # the browser shows nothing either
        assert err.rule in VIDEOKIT_RULES, f"{case}: unnamed rule {err.rule!r} ({err})"
        return f"refused: {err.rule}"
    except TranscriptError as err:
        assert not want, f"{case}: a valid file refused by a parse error: {err}"
        return "agree"
    assert [(c.start_ms, c.end_ms, c.lines, c.speaker) for c in cues] == videokit_view(want), case
    return "agree"


def test_the_editors_reader_agrees_with_the_browser_or_names_the_rule(capsys):
    results = {case: outcome(case) for case in CASES}
    agree = sum(r == "agree" for r in results.values())
    refused = Counter(r.split(": ", 1)[1] for r in results.values() if r != "agree")
    with capsys.disabled():
        rules = ", ".join(f"{rule} {n}" for rule, n in sorted(refused.items()))
        print(
            f"\nWebVTT conformance: {agree} of {len(CASES)} agree with the browser; "
            f"{sum(refused.values())} refused for a videokit rule: {rules}"
        )
    assert (agree, refused) == (AGREE, REFUSED), results
