"""A confidence per cue, so editors check the cues the machine was least sure of first."""

from __future__ import annotations

from videokit.quality import cue_confidence, quality_report
from videokit.records import VideoRecord
from videokit.render import render_review_page
from videokit.transcript import Cue, Segment, Transcript, Word


def _transcript(words: list[tuple[str, int, int, float]]) -> Transcript:
    ws = tuple(Word(" " + t, s, e, p) for t, s, e, p in words)
    seg = Segment(ws[0].start_ms, ws[-1].end_ms, "".join(w.text for w in ws), ws)
    return Transcript("da", 10_000, (seg,))


T = _transcript(
    [
        ("Hej", 0, 400, 0.9),
        ("med", 400, 700, 0.95),
        ("dig.", 700, 1000, 0.99),
        ("Det", 2000, 2300, 0.2),
        ("går", 2300, 2600, 0.9),
        ("godt.", 2600, 3000, 0.8),
        ("Farvel.", 4000, 4600, 0.35),
    ]
)
CUES = [
    Cue(0, 1200, ("Hej med dig.",)),
    Cue(2000, 3200, ("Det går godt.",)),
    Cue(4000, 5000, ("Farvel.",)),
]


def test_a_cue_is_as_sure_as_its_least_sure_word():
    assert cue_confidence(T, CUES) == [0.9, 0.2, 0.35]
    # Cues with no words behind them (captions an editor typed) count as certain.
    sparse = _transcript([("a", 0, 500, 0.5), ("c", 2100, 2500, 0.3)])
    cues = [Cue(0, 900, ("a",)), Cue(1000, 1900, ("b",)), Cue(2000, 2900, ("c",))]
    assert cue_confidence(sparse, cues) == [0.5, 1.0, 0.3]


def test_the_report_lists_unsure_cues_least_sure_first():
    report = quality_report(T, CUES)
    assert report["cue_confidence"] == [0.9, 0.2, 0.35]
    assert report["unsure_cues"] == [
        {"cue": 1, "start_ms": 2000, "confidence": 0.2},
        {"cue": 2, "start_ms": 4000, "confidence": 0.35},
    ]
    assert quality_report(T, CUES, low_conf_threshold=0.1)["unsure_cues"] == []


def test_the_review_page_shows_confidence_and_where_to_look_first():
    record = VideoRecord("v", "Møde", "", 9000, "v.mp4", "x", "2026-01-01", 3, "in review")
    html = render_review_page(
        record=record,
        cues=CUES,
        report=quality_report(T, CUES),
        source="manuscript",
        video="v.mp4",
        vtt="v.da.vtt",
        approve_command="videokit approve v",
    )
    assert "Tjek først" in html and "Sikkerhed" in html
    first, second = html.index('href="#cue-2"'), html.index('href="#cue-3"')
    assert first < second  # least sure first
    assert 'id="cue-2"' in html and "20 %" in html and "90 %" in html
