"""Condensing proposals through the review files and approve: never published unless accepted."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from test_pipeline import DURATION, FakeModel, run, video  # noqa: F401  (fixture)
from videokit import condense_review, pipeline
from videokit.condense import RULE_LABELS, Cut, Proposal
from videokit.norms import PROFILES
from videokit.review import ReviewDesk
from videokit.transcript import Segment, Transcript, Word

FAST = "Øh, det er jo rigtigt, ikke? Og så kommer vi hjem igen."


def fast_machine() -> Transcript:
    # About 25 characters a second: too fast for every profile but the vertical one.
    words, t = [], 1000
    for token in FAST.split():
        length = 40 * len(token) + 40
        words.append(Word(" " + token, t, t + length, 0.9))
        t += length
    return Transcript("da", DURATION, (Segment(1000, t, " " + FAST, tuple(words)),), "fake@1")


def _site_vtt(layout) -> str:
    return (layout.video_dir("moede") / "moede.da.vtt").read_text()


@pytest.fixture
def produced(video, monkeypatch, tmp_path):  # noqa: F811
    monkeypatch.setenv("VIDEOKIT_CACHE_DIR", str(tmp_path / "cache"))
    source, layout = video
    out = run(video, FakeModel(), fast_machine())
    preview = layout.video_dir("moede", layout.preview)
    (preview / "moede.mp4").write_bytes(b"mp4")  # approving copies it; nothing decodes it here
    (preview / "poster.jpg").write_bytes(b"jpg")
    # Approving encodes nothing (the social formats come after it): the bytes are never decoded.
    return source, layout, out


def test_a_proposal_is_offered_in_the_review_file_and_not_published(produced):
    _source, layout, out = produced
    path = condense_review.path_for(ReviewDesk(layout.review), "moede")
    text = path.read_text()
    assert "[ ]" in text and "«Øh,» tøven" in text
    assert out.report["within_profile"]["open"] >= 1
    assert out.report["profile"] == "web"
    assert any("condensing proposals" in n for n in out.review.notes)
    page = (layout.review_pages / "moede.html").read_text()
    assert "Normer: web" in page and "moede.kondensering.txt" in page
    pipeline.approve_and_publish(layout, "moede", "Mette Hansen")
    assert "Øh, det er jo rigtigt" in _site_vtt(layout), "nobody accepted it: verbatim"


def test_an_accepted_proposal_is_published_after_approval_and_the_transcript_stays_verbatim(
    produced,
    video,  # noqa: F811
):
    _source, layout, _out = produced
    desk = ReviewDesk(layout.review)
    path = condense_review.path_for(desk, "moede")
    path.write_text(path.read_text().replace("[ ]", "[x]", 1))
    again = run(video, FakeModel(), fast_machine())
    assert again.record.status == "in review"
    assert again.review.cues[0].lines[0].startswith("Det er rigtigt.")
    assert "[x]" in path.read_text(), "the editor's mark is kept"
    share = again.report["within_profile"]
    assert share["accepted"] == 1 and share["after_condensing"] >= share["after_timing"]
    assert "Øh" not in desk.srt_path("moede").read_text()
    assert "Øh" in desk.txt_path("moede").read_text(), "the text view keeps every word"
    pipeline.approve_and_publish(layout, "moede", "Mette Hansen")
    assert "Det er rigtigt." in _site_vtt(layout) and "Øh" not in _site_vtt(layout)
    published = json.loads((layout.video_dir("moede") / "transcript.json").read_text())
    said = [w["text"].strip() for s in published["segments"] for w in s["words"]]
    assert "Øh," in said
    # The verbatim link: every word said belongs to exactly one published cue, in order, and the
    # condensed cue stands for the words it no longer shows.
    ranges = [link["words"] for link in published["cues"]]
    assert [k for a, b in ranges for k in range(a, b)] == list(range(len(said)))
    assert [link["id"] for link in published["cues"]] == list(range(1, len(ranges) + 1))
    first = said[ranges[0][0] : ranges[0][1]]
    assert first[0] == "Øh," and "ikke?" in first
    rerun = run(video, FakeModel(), fast_machine())
    assert rerun.record.status == "approved", "a proposal in force is not applied twice"


def test_a_rejected_proposal_is_not_proposed_again(produced, video):  # noqa: F811
    _source, layout, _out = produced
    path = condense_review.path_for(ReviewDesk(layout.review), "moede")
    path.write_text(path.read_text().replace("[ ]", "[-]"))
    again = run(video, FakeModel(), fast_machine())
    assert "[ ]" not in path.read_text() and "[-]" in path.read_text()
    assert again.report["within_profile"]["accepted"] == 0
    assert "Øh" in again.review.cues[0].lines[0]


line_text = (
    st.text(alphabet="abcæøåABCÆØÅ ,.?!-0123456789", min_size=1, max_size=20)
    .map(str.strip)
    .filter(bool)
)
cut_text = st.text(alphabet="abcæøåABC,.?-", min_size=1, max_size=8)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["x", "-", " "]),
            st.integers(0, 10_000_000),
            st.integers(1, 8000),
            st.lists(line_text, min_size=1, max_size=2),
            st.lists(line_text, min_size=1, max_size=2),
            st.lists(st.tuples(cut_text, st.sampled_from(sorted(RULE_LABELS))), max_size=3),
        ),
        max_size=4,
    ),
    st.sampled_from(sorted(PROFILES)),
)
def test_review_file_round_trip(items, profile):
    entries = [
        condense_review.Entry(
            mark,
            Proposal(
                -1, start, start + length, tuple(b), tuple(a), tuple(Cut(t, r) for t, r in cuts)
            ),
        )
        for mark, start, length, b, a, cuts in items
    ]
    text = condense_review.format_entries(entries, "v", PROFILES[profile])
    assert condense_review.parse_entries(text) == entries
