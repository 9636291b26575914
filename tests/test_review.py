"""The editors' desk: edits are kept, malformed edits are named, approvals freeze content."""

from __future__ import annotations

import codecs

import pytest
import srt

from videokit.edits import decode_text, parse_srt, transcript_from_cues
from videokit.errors import TranscriptError, VideokitError
from videokit.review import ReviewDesk
from videokit.segment import cues_from_transcript
from videokit.transcript import Segment, Transcript, Word


def transcript(text: str, start: int = 1000, step: int = 400, model: str = "base@1") -> Transcript:
    words, t = [], start
    for token in text.split():
        words.append(Word(" " + token, t, t + step - 50, 0.9))
        t += step
    seg = Segment(words[0].start_ms, words[-1].end_ms, " " + text, tuple(words))
    return Transcript("da", t + 2000, (seg,), model=model)


def aligner(calls: list[str]):
    def align(text: str) -> Transcript:
        calls.append(text)
        body = " ".join(
            line.split(":", 1)[-1] if ":" in line[:12] else line
            for line in text.split("\n")
            if line.strip()
        )
        t = transcript(body)
        speaker = text.split(":", 1)[0] if ":" in text[:12] else None
        return t.with_segments(
            tuple(s.__class__(**{**s.__dict__, "speaker": speaker}) for s in t.segments)
        )

    return align


@pytest.fixture
def desk(tmp_path):
    return ReviewDesk(tmp_path / "review")


def run(desk, draft, manuscript=None, calls=None):
    calls = [] if calls is None else calls
    timed = ReviewDesk(desk.root, align=aligner(calls), layout_cues=cues_from_transcript)
    return timed.reconcile("v", draft, cues_from_transcript(draft), manuscript=manuscript)


DRAFT = transcript("Byrådet holder møde i aften. Alle er velkomne.")


def test_first_run_writes_both_views_and_is_a_draft(desk):
    out = run(desk, DRAFT)
    assert out.status == "draft" and out.source == "draft"
    assert list(srt.parse(desk.srt_path("v").read_text()))[0].content.startswith("Byrådet")
    assert "Byrådet holder møde" in desk.txt_path("v").read_text()


def test_srt_edit_is_used_as_left_with_bom_and_crlf(desk):
    run(desk, DRAFT)
    edited = (
        "1\r\n00:00:01,200 --> 00:00:03,900\r\nByrådet mødes i aften.\r\n\r\n"
        "2\r\n00:00:04,500 --> 00:00:06,000\r\nAlle & enhver <er> velkomne.\r\n"
    )
    desk.srt_path("v").write_bytes(codecs.BOM_UTF8 + edited.encode())
    out = run(desk, DRAFT)
    assert out.source == "srt" and out.status == "in review" and not out.problems
    assert [(c.start_ms, c.end_ms, c.lines) for c in out.cues] == [
        (1200, 3900, ("Byrådet mødes i aften.",)),
        (4500, 6000, ("Alle & enhver <er> velkomne.",)),
    ]
    # The text view follows the SRT, since the editor did not touch it.
    assert "Byrådet mødes i aften. Alle & enhver <er> velkomne." in desk.txt_path("v").read_text()
    # The editor's file is untouched, BOM and CRLF included, also by the runs after.
    assert desk.srt_path("v").read_bytes() == codecs.BOM_UTF8 + edited.encode()
    desk.approve("v", "Mette")
    assert run(desk, DRAFT).status == "approved"
    assert desk.srt_path("v").read_bytes() == codecs.BOM_UTF8 + edited.encode()


def test_a_later_text_edit_supersedes_an_srt_edit_and_keeps_a_copy(desk):
    run(desk, DRAFT)
    desk.srt_path("v").write_text("1\n00:00:01,000 --> 00:00:02,000\nFørste rettelse\n")
    run(desk, DRAFT)
    desk.txt_path("v").write_text("Anden rettelse af teksten.\n")
    out = run(desk, DRAFT)
    assert out.source == "txt" and "Anden rettelse" in desk.srt_path("v").read_text()
    kept = list((desk.history_dir("v") / "superseded").iterdir())
    assert len(kept) == 1 and "Første rettelse" in kept[0].read_text()


def test_a_deleted_view_comes_back_from_the_version_in_force(desk):
    run(desk, DRAFT)
    desk.srt_path("v").write_text("1\n00:00:01,000 --> 00:00:02,000\nRettet\n")
    run(desk, DRAFT)
    desk.srt_path("v").unlink()
    out = run(desk, DRAFT)
    assert out.cues[0].lines == ("Rettet",) and "Rettet" in desk.srt_path("v").read_text()


def test_text_edit_is_aligned_and_srt_follows(desk):
    run(desk, DRAFT)
    calls: list[str] = []
    desk.txt_path("v").write_text("Anne: Byrådet holder møde i morgen.\n")
    out = run(desk, DRAFT, calls=calls)
    assert calls == ["Anne: Byrådet holder møde i morgen.\n"]
    assert out.source == "txt" and out.transcript.segments[0].speaker == "Anne"
    assert "i morgen." in desk.srt_path("v").read_text()


def test_manuscript_is_taken_as_corrected_text_until_someone_edits(desk):
    calls: list[str] = []
    out = run(desk, DRAFT, manuscript="Byrådet holder møde i aften.", calls=calls)
    assert out.source == "manuscript" and out.status == "draft" and len(calls) == 1


@pytest.mark.parametrize(
    "body,line,words",
    [
        ("1\n00:00:01,000 --> 00:00:0x,000\nHej\n", 2, "timing line"),
        (
            "1\n00:00:01,000 --> 00:00:02,000\nHej\n\n2\n00:00:01,500 --> 00:00:03,000\nDav\n",
            6,
            "overlaps",
        ),
        ("1\n00:00:03,000 --> 00:00:02,000\nHej\n", 2, "ends before"),
        ("1\n00:00:01,000 --> 00:00:02,000\n\n\n", 2, "no text"),
        ("\n\n", None, "no cues"),
        (
            "1\n00:00:01,000 --> 00:00:02,000\nHej\n\n2\n00:00:03,000 --> 00:00:04,000\n",
            6,
            "no text",
        ),
        ("1\n00:00:01,000 --> 00:00:02,000\nHej\n\n2\nDav\n", 6, "expected a timing line"),
    ],
)
def test_malformed_srt_is_named_and_last_good_stays(desk, body, line, words):
    first = run(desk, DRAFT)
    desk.srt_path("v").write_text(body)
    out = run(desk, DRAFT)
    assert len(out.problems) == 1
    err = out.problems[0]
    assert isinstance(err, TranscriptError) and words in str(err)
    assert err.path == desk.srt_path("v") and err.line == line
    assert out.cues == first.cues
    assert desk.srt_path("v").read_text() == body, "the broken edit must not be overwritten"


def test_unreadable_encoding_is_reported(desk):
    run(desk, DRAFT)
    desk.srt_path("v").write_bytes(b"1\x00\n\x00\x00\xff")
    out = run(desk, DRAFT)
    assert "encoding" in str(out.problems[0])


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
def test_editor_encodings(encoding):
    text = "1\r\n00:00:01,000 --> 00:00:02,000\r\nBørn og ældre på Ærø\r\n"
    assert parse_srt(decode_text(text.encode(encoding)))[0].lines == ("Børn og ældre på Ærø",)


def test_both_views_edited_is_refused_without_losing_either(desk):
    first = run(desk, DRAFT)
    desk.srt_path("v").write_text("1\n00:00:01,000 --> 00:00:02,000\nA\n")
    desk.txt_path("v").write_text("B\n")
    out = run(desk, DRAFT)
    assert "both" in str(out.problems[0]) and out.cues == first.cues
    assert desk.txt_path("v").read_text() == "B\n"


def test_new_draft_never_replaces_edits_and_is_written_beside(desk):
    run(desk, DRAFT)
    desk.srt_path("v").write_text("1\n00:00:01,000 --> 00:00:02,000\nRettet tekst\n")
    run(desk, DRAFT)
    newer = transcript("Helt ny maskintekst fra en bedre model.", model="large@2")
    out = run(desk, newer)
    assert out.cues[0].lines == ("Rettet tekst",)
    assert "Rettet tekst" in desk.srt_path("v").read_text()
    assert "bedre model" in (desk.root / "v.new-draft.da.srt").read_text()
    assert out.notes and "new machine draft" in out.notes[0]


def test_untouched_draft_follows_a_new_model(desk):
    run(desk, DRAFT)
    newer = transcript("Helt ny maskintekst.", model="large@2")
    out = run(desk, newer)
    assert out.cues[0].lines == ("Helt ny maskintekst.",)


def test_approval_is_kept_with_history_and_survives_reruns(desk):
    run(desk, DRAFT)
    approval = desk.approve("v", "Mette Hansen", "tjekket mod lyd")
    out = run(desk, DRAFT)
    assert out.status == "approved" and out.approval == approval
    saved = list(desk.history_dir("v").glob("*/"))
    assert len(saved) == 1 and {p.name for p in saved[0].iterdir()} == {
        "approval.json",
        "content.json",
        "v.da.srt",
        "v.txt",
    }
    # A later edit reopens the review; the history keeps what was approved.
    desk.srt_path("v").write_text("1\n00:00:01,000 --> 00:00:02,000\nÆndret efter godkendelse\n")
    out = run(desk, DRAFT)
    assert out.status == "in review"
    assert "Byrådet" in (saved[0] / "v.da.srt").read_text()


def test_approve_refuses_unchecked_edits_and_unknown_videos(desk):
    with pytest.raises(VideokitError, match="no video"):
        desk.approve("v", "A")
    run(desk, DRAFT)
    desk.txt_path("v").write_text("noget nyt\n")
    with pytest.raises(VideokitError, match="not been checked"):
        desk.approve("v", "A")
    with pytest.raises(VideokitError, match="editor's name"):
        ReviewDesk(desk.root).approve("v", " ")


def test_an_approval_computes_the_version_in_force_once_and_records_only_what_it_checked(
    desk, monkeypatch
):
    run(desk, DRAFT)
    computed = []
    in_force = ReviewDesk.in_force
    monkeypatch.setattr(ReviewDesk, "in_force", lambda d, s: computed.append(s) or in_force(d, s))
    assert desk.approve("v", "Mette").editor == "Mette" and computed == ["v"]
    run(desk, DRAFT)
    prepared = desk.prepare_approval("v", "Bo")
    desk.srt_path("v").write_text("1\n00:00:01,000 --> 00:00:02,000\nNy tekst\n")  # meanwhile
    with pytest.raises(VideokitError, match="changed while the approval"):
        desk.record_approval(prepared)
    assert [a.editor for a in desk.approvals("v")] == ["Mette"], "nothing recorded"


def test_editor_text_reaches_cues_verbatim():
    cues = parse_srt('1\n00:00:01,000 --> 00:00:02,500\nKL\'s "nye" råd & <tips>\n')
    t = transcript_from_cues(cues, DRAFT)
    assert t.segments[0].text.strip() == 'KL\'s "nye" råd & <tips>'
    assert [w.text.strip() for w in t.words] == ["KL's", '"nye"', "råd", "&", "<tips>"]


def test_review_page_marks_findings_and_escapes_text():
    from videokit.records import VideoRecord
    from videokit.render import render_review_page

    record = VideoRecord("v", "Møde", "", 9000, "v.mp4", "x", "2026-01-01", 2, "in review")
    cues = parse_srt(
        "1\n00:00:01,000 --> 00:00:02,000\n<b>KL</b> & co\n\n"
        "2\n00:00:03,000 --> 00:00:03,500\nfor hurtigt læst tekst her\n"
    )
    report = {
        "violations": [{"cue": 1, "rule": "cps", "detail": "44 cps > 17"}],
        "low_confidence": [{"text": "co", "start_ms": 1500, "end_ms": 1600}],
        "removals": [{"text": "Undertekster af X", "start_ms": 8000, "reason": "credit"}],
    }
    html = render_review_page(
        record=record,
        cues=cues,
        report=report,
        source="srt",
        video="../preview/v/v.mp4",
        vtt="../preview/v/v.da.vtt",
        approve_command='videokit approve v --editor "Dit navn"',
    )
    assert "&lt;b&gt;KL&lt;/b&gt; &amp;" in html and "<b>KL</b>" not in html
    assert '<mark title="usikkert ord">co</mark>' in html
    assert 'class="vk-flag"' in html and "44 cps &gt; 17" in html
    assert "Undertekster af X" in html and "videokit approve v --editor &#34;Dit navn&#34;" in html
