"""Every record videokit writes and reads back comes back equal: the transcript JSON, the draft
cache's entries, the review state, approval records, video records, caption norms.

The strategies make values the writers can meet: any text (Danish letters, markup characters,
control characters, emoji), times in integer milliseconds, confidences at the four decimals the
JSON keeps.
"""

from __future__ import annotations

import dataclasses
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from videokit.cache import TranscriptCache
from videokit.history import Approval
from videokit.norms import PROFILES, CaptionNorms
from videokit.records import Records, VideoRecord
from videokit.review_files import ReviewState
from videokit.transcript import UNREAD_REASONS, Cue, Segment, Transcript, Unread, Word
from videokit.workspace import Layout

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
name = st.one_of(st.none(), st.text(min_size=1, max_size=12))
four_places = st.floats(-10, 10, allow_nan=False).map(lambda x: round(x, 4))
probability = st.floats(0, 1).map(lambda x: round(x, 4))


@st.composite
def words(draw: st.DrawFn, start: int) -> tuple[Word, ...]:
    out, at = [], start
    for _ in range(draw(st.integers(0, 5))):
        at += draw(st.integers(0, 500))
        end = at + draw(st.integers(0, 800))
        out.append(Word(draw(text), at, end, draw(probability)))
    return tuple(out)


@st.composite
def segments(draw: st.DrawFn) -> tuple[Segment, ...]:
    out, at = [], 0
    for _ in range(draw(st.integers(0, 4))):
        at += draw(st.integers(0, 2000))
        ws = draw(words(at))
        end = max([at, *(w.end_ms for w in ws)]) + draw(st.integers(0, 500))
        out.append(
            Segment(
                at,
                end,
                draw(text),
                ws,
                draw(four_places),
                draw(probability),
                draw(four_places),
                draw(name),
            )
        )
        at = end
    return tuple(out)


@st.composite
def transcripts(draw: st.DrawFn) -> Transcript:
    segs = draw(segments())
    end = max([0, *(s.end_ms for s in segs)]) + draw(st.integers(0, 5000))
    unread = tuple(
        Unread(a, a + n, reason)
        for a, n, reason in draw(
            st.lists(
                st.tuples(
                    st.integers(0, end), st.integers(0, 9000), st.sampled_from(UNREAD_REASONS)
                ),
                max_size=3,
            )
        )
    )
    options = draw(
        st.dictionaries(
            st.text(min_size=1, max_size=8),
            st.one_of(st.integers(), st.booleans(), st.none(), st.text(max_size=8)),
            max_size=3,
        )
    )
    return Transcript(
        draw(st.sampled_from(["da", "en", "sv"])),
        end,
        segs,
        draw(st.text(max_size=20)),
        draw(st.text("0123456789abcdef", max_size=64)),
        options,
        unread,
    )


@st.composite
def cues(draw: st.DrawFn) -> Cue:
    start = draw(st.integers(0, 10**7))
    lines = tuple(draw(st.lists(text.filter(str.strip), min_size=1, max_size=3)))
    voices = tuple(draw(name) for _ in lines) if draw(st.booleans()) else ()
    return Cue(start, start + draw(st.integers(1, 9000)), lines, draw(name), voices)


# Nested records are slow to draw on a busy machine; the property, not the clock, is under test.
quick = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@quick
@given(transcripts())
def test_the_transcript_json_round_trips(t: Transcript) -> None:
    back = Transcript.from_json(t.to_json())
    assert back == t
    assert back.options == t.options  # not part of equality, but kept
    assert back.to_dict() == t.to_dict()


@quick
@given(transcripts(), st.text("abcdef0123456789-_", min_size=1, max_size=40))
def test_a_cache_entry_round_trips(tmp_path_factory, t: Transcript, key: str) -> None:
    cache = TranscriptCache(tmp_path_factory.mktemp("drafts"))
    cache.put(key, t)
    got = cache.get(key)
    assert got == t and got is not None and got.to_dict() == t.to_dict()


@quick
@given(
    st.sampled_from(["draft", "manuscript", "srt", "txt"]),
    st.dictionaries(st.sampled_from(["srt", "txt"]), st.one_of(st.none(), st.text(max_size=64))),
    st.booleans(),
    transcripts(),
    st.lists(cues(), max_size=4),
    st.dictionaries(st.sampled_from(["srt", "txt"]), st.lists(st.text(max_size=20), max_size=2)),
)
def test_the_review_state_round_trips(source, seen, edited, t, cs, refused) -> None:
    state = ReviewState(
        source=source,
        seen=seen,
        written=dict(seen),
        draft_sha="ab" * 32,
        edited=edited,
        transcript=t.to_dict(),
        cues=[c.to_dict() for c in cs],
        manuscript_sha="",
        refused=refused,
    )
    # As the desk writes it (review_files.DeskFiles._save) and reads it.
    back = ReviewState.from_dict(json.loads(json.dumps(state.__dict__)))
    assert back == state
    content = back.content()
    assert content is not None and content == (t, tuple(cs))


@quick
@given(
    st.builds(
        Approval,
        st.text(max_size=20),
        st.text(max_size=20),
        st.text(max_size=60),
        st.text(max_size=30),
        st.text("0123456789abcdef", max_size=64),
        st.sampled_from(["draft", "manuscript", "srt", "txt"]),
        st.text("0123456789abcdef", max_size=64),
        st.integers(0, 10**6),
    )
)
def test_an_approval_record_round_trips(approval: Approval) -> None:
    assert Approval.from_dict(json.loads(json.dumps(approval.to_dict()))) == approval


@quick
@given(
    st.builds(
        VideoRecord,
        st.from_regex(r"[a-z0-9]+(-[a-z0-9]+)*", fullmatch=True),
        text,
        text,
        st.integers(0, 10**8),
        text,
        st.text("0123456789abcdef", max_size=64),
        st.text(max_size=10),
        st.integers(0, 10**4),
        st.sampled_from(["draft", "in review", "approved"]),
        text,
        st.sampled_from(["da", "en", "sv"]),
        st.one_of(st.just(""), st.text("abcdef0123456789-", min_size=1, max_size=40)),
    )
)
def test_a_video_record_round_trips(tmp_path_factory, record: VideoRecord) -> None:
    assert VideoRecord.from_dict(json.loads(json.dumps(record.to_dict()))) == record
    # As the store writes it and reads it back.
    records = Records(Layout(tmp_path_factory.mktemp("build")))
    records.save(record)
    assert records.get(record.slug) == record and records.all() == [record]


@quick
@given(
    st.sampled_from(sorted(PROFILES)),
    st.integers(1, 200),
    st.floats(1, 60, allow_nan=False),
    st.sampled_from(["-", "- "]),
)
def test_caption_norms_round_trip(profile, width, cps, dash) -> None:
    norms = dataclasses.replace(
        PROFILES[profile], max_line_chars=width, max_cps=cps, dialogue_dash=dash
    )
    assert CaptionNorms.from_dict(json.loads(json.dumps(norms.to_dict()))) == norms
