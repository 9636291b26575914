"""The quality report and the norms checker behind it."""

from __future__ import annotations

import json

import pytest

from videokit.guard import Removal
from videokit.norms import CaptionNorms, Violation, check_cues
from videokit.quality import quality_report, summary_line
from videokit.transcript import Cue, Segment, Transcript, Word

WORDS = (
    Word(" Det", 0, 200, 0.95),
    Word(" er", 220, 300, 0.2),
    Word(" godt.", 320, 700, 0.9),
    Word(" ", 700, 700, 0.0),  # empty words are not "unsure words"
)
TRANSCRIPT = Transcript("da", 10_000, (Segment(0, 700, " Det er godt.", WORDS),))


def test_check_cues_finds_each_rule() -> None:
    cues = [
        Cue(0, 500, ("Det er godt.",)),  # too short, 24 cps
        Cue(520, 8000, ("x" * 43, "b", "c")),  # long line, 3 lines, too long, gap 20 before
        Cue(7000, 9000, (" a",)),  # overlap before it, blank edge
    ]
    found = {(v.cue_index, v.rule) for v in check_cues(cues)}
    assert found == {
        (0, "min_duration"),
        (0, "cps"),
        (0, "gap"),
        (1, "line_chars"),
        (1, "line_count"),
        (1, "max_duration"),
        (1, "overlap"),
        (2, "blank_edge"),
    }


def test_check_cues_clean_track() -> None:
    cues = [Cue(0, 1500, ("Det er godt.",)), Cue(1580, 3000, ("Tak.",))]
    assert check_cues(cues) == []
    assert check_cues(cues, CaptionNorms(min_gap_ms=100)) == [
        Violation(0, "gap", "gap 80 ms < 100 ms")
    ]


def test_violation_text() -> None:
    assert str(Violation(0, "cps", "20.0 cps > 17")) == "cue 1: cps: 20.0 cps > 17"


def test_norms_reject_nonsense() -> None:
    with pytest.raises(ValueError):
        CaptionNorms(min_duration_ms=8000)
    with pytest.raises(ValueError):
        CaptionNorms(max_lines=0)


def test_report_figures() -> None:
    cues = [Cue(0, 1000, ("Det er godt.",)), Cue(1050, 2050, ("Ja.",))]
    removals = [Removal("Undertekster af X", 5000, 6000, "credit")]
    report = quality_report(TRANSCRIPT, cues, removals=removals)
    json.dumps(report)  # JSON-ready
    assert report["cues"] == 2
    assert report["words"] == 3
    assert report["cps_max"] == 12.0 and report["cps_mean"] == 7.5
    assert report["line_chars_max"] == 12
    assert (report["duration_ms_min"], report["duration_ms_max"]) == (1000, 1000)
    assert report["gap_ms_min"] == 50
    assert report["violations"] == [
        {
            "cue": 0,
            "rule": "gap",
            "detail": "gap 50 ms < 80 ms",
            "reason": "the next cue's first word follows this cue's last word too closely to part them",
        }
    ]
    assert report["violation_counts"] == {"gap": 1}
    assert report["low_confidence"] == [
        {"text": "er", "start_ms": 220, "end_ms": 300, "probability": 0.2}
    ]
    assert report["removals"] == [
        {"text": "Undertekster af X", "start_ms": 5000, "end_ms": 6000, "reason": "credit"}
    ]


def test_summary_line() -> None:
    cues = [Cue(0, 1000, ("Det er godt.",)), Cue(1050, 2050, ("Ja.",))]
    removals = [Removal("x", 0, 1, "credit"), Removal("y", 2, 3, "loop")]
    line = summary_line(quality_report(TRANSCRIPT, cues, removals=removals))
    assert line == (
        "2 cues, max 12.0 cps, 1 violation (gap 1), 1 unsure word, 2 removed (credit 1, loop 1)"
    )


def test_empty_track() -> None:
    report = quality_report(Transcript("da", 0, ()), [])
    assert report["cues"] == 0 and report["cps_max"] is None and report["gap_ms_min"] is None
    assert summary_line(report) == "0 cues, 0 violations, 0 unsure words"


def test_threshold_is_a_parameter() -> None:
    report = quality_report(TRANSCRIPT, [Cue(0, 1000, ("a",))], low_conf_threshold=0.99)
    assert [w["text"] for w in report["low_confidence"]] == ["Det", "er", "godt."]


def test_violations_carry_the_reason_the_engine_could_not_fix_them():
    from videokit.quality import quality_report as report
    from videokit.transcript import Cue, Segment, Transcript, Word

    fast = [
        Word(" " + w, 1000 + i * 150, 1000 + i * 150 + 140)
        for i, w in enumerate("Sociale medier kan bringe borgerne tættere".split())
    ]
    t = Transcript("da", 9000, (Segment(1000, 1900, "".join(w.text for w in fast), tuple(fast)),))
    cues = [
        Cue(1000, 1950, ("Sociale medier kan bringe borgerne tættere",)),
        Cue(2000, 2500, ("Ja.",)),
    ]
    by_cue = {(v["cue"], v["rule"]): v["reason"] for v in report(t, cues)["violations"]}
    assert "faster than the limit" in by_cue[(0, "cps")]
    assert by_cue[(1, "min_duration")] == "cannot stay longer: the video ends"


def test_a_sentence_the_alignment_could_not_place_is_reported():
    from videokit.quality import quality_report
    from videokit.transcript import Segment, Transcript, Word

    placed = (Word(" Det", 0, 300, 0.9), Word(" er", 300, 500, 0.8))
    lost = (Word(" Vi", 500, 510, 0.1), Word(" ses.", 510, 520, 0.2))
    aligned = Transcript(
        "da",
        5000,
        (Segment(0, 500, " Det er", placed), Segment(500, 520, " Vi ses.", lost)),
        options={"alignment": "whisper"},
    )
    report = quality_report(aligned, [])
    assert report["unplaced_sentences"] == [{"text": "Vi ses.", "start_ms": 500, "end_ms": 520}]
    draft = Transcript("da", 5000, aligned.segments)
    assert quality_report(draft, [])["unplaced_sentences"] == []
