"""Publishing you can trust: the cases a careless or hostile user found, one test each.

Each test names its case. Fast ones use the library with a fake aligner; the ones that publish
run real ffmpeg on a 4-second clip (marked slow).
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import socket
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

import clips
from videokit import draft, pipeline, publish, social_files
from videokit.cache import TranscriptCache
from videokit.captions import to_vtt
from videokit.config import Settings
from videokit.edits import decode_text, parse_srt, transcript_from_cues
from videokit.errors import MediaError, TranscriptError, VideokitError
from videokit.locks import run_lock, video_lock
from videokit.media import MediaInfo
from videokit.review import ReviewDesk
from videokit.segment import cues_from_transcript
from videokit.slug import MAX_SLUG, slugify
from videokit.social import FAILED, READY, SocialSettings
from videokit.textview import parse_review_text
from videokit.transcript import Segment, Transcript, Word
from videokit.workspace import (
    Layout,
    Project,
    VideoJob,
    VideoMeta,
    check_review_folder,
    find_videos,
    read_meta,
)

SLUG = "v"
DURATION = 6_500


def transcript(
    text: str, start: int = 1000, step: int = 400, duration: int = DURATION
) -> Transcript:
    words, t = [], start
    for token in text.split():
        words.append(Word(" " + token, t, t + step - 50, 0.9))
        t += step
    seg = Segment(words[0].start_ms, words[-1].end_ms, " " + text, tuple(words))
    return Transcript("da", duration, (seg,), model="base@1")


DRAFT = transcript("Byrådet holder møde i aften. Alle er velkomne.")


def fake_align(text: str) -> Transcript:
    """Spread the text's words over the draft's span, keeping paragraph speakers."""
    paragraphs = parse_review_text(text)
    segments, t = [], 1000
    for p in paragraphs:
        words = []
        for w in p.words:
            words.append(Word(" " + w, t, t + 300, 1.0))
            t += 350
        segments.append(
            Segment(
                words[0].start_ms,
                words[-1].end_ms,
                " " + " ".join(p.words),
                tuple(words),
                speaker=p.speaker,
            )
        )
    return Transcript("da", DURATION, tuple(segments), model="base@1")


def reconcile(desk: ReviewDesk, draft_t: Transcript = DRAFT, manuscript: str | None = None):
    timed = ReviewDesk(desk.root, align=fake_align, layout_cues=cues_from_transcript)
    return timed.reconcile(SLUG, draft_t, cues_from_transcript(draft_t), manuscript=manuscript)


@pytest.fixture
def desk(tmp_path: Path) -> ReviewDesk:
    return ReviewDesk(tmp_path / "review")


# --- 1. a run from another working folder unpublishes nothing ------------------------------------


def test_1_project_is_found_from_the_media_folder_not_the_working_folder(tmp_path):
    project = tmp_path / "project"
    (project / "media").mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    found = Project.locate(media=project / "media", out=project / "build", cwd=elsewhere)
    assert found.root == project.resolve()
    assert found.review == project.resolve() / "review"
    assert found.config == project.resolve() / "videokit.toml"
    inside = Project.locate(cwd=project / "media")
    assert inside.media == project.resolve() / "media"


def test_1_a_missing_review_folder_beside_a_published_site_stops_the_run(tmp_path):
    layout = Layout(tmp_path / "build", tmp_path / "elsewhere" / "review")
    (layout.site / "a").mkdir(parents=True)
    (layout.site / "a" / "index.html").write_text("published")
    with pytest.raises(VideokitError, match="1 published videos") as err:
        check_review_folder(layout)
    assert err.value.path == layout.review and "--project" in err.value.hint
    layout.review.mkdir(parents=True)
    check_review_folder(layout)  # with the folder there, nothing to say


# --- 2. a video with no captions cannot be approved -----------------------------------------------


def test_2_only_a_speaker_name_in_the_text_is_refused_and_nothing_is_approvable(desk):
    reconcile(desk)
    desk.txt_path(SLUG).write_text("Mette:\n")
    out = reconcile(desk)
    assert out.refused and "no words" in str(out.problems[0])
    assert out.problems[0].path == desk.txt_path(SLUG)
    with pytest.raises(VideokitError, match="refused"):
        desk.approve(SLUG, "Ann")


def test_2_a_draft_without_captions_cannot_be_approved(desk):
    silent = Transcript("da", DURATION, (), model="base@1")
    out = reconcile(desk, silent)
    assert out.cues == ()
    with pytest.raises(VideokitError, match="no captions"):
        desk.approve(SLUG, "Ann")
    assert not desk.approvals(SLUG)


# --- 3. a damaged approval falls back to the last valid one ---------------------------------------


def test_3_corrupt_or_tampered_latest_approval_falls_back_and_says_so(desk):
    reconcile(desk)
    first = desk.approve(SLUG, "Ann")
    desk.srt_path(SLUG).write_text("1\n00:00:01,000 --> 00:00:03,000\nNy tekst.\n")
    reconcile(desk)
    desk.approve(SLUG, "Bo")
    newest = sorted(desk.history_dir(SLUG).glob("*/content.json"))[-1]
    for damage in ("{not json", json.dumps({"transcript": None, "cues": []})):
        newest.write_text(damage)
        notes: list[str] = []
        content = desk.approved_content(SLUG, notes)
        assert content is not None and "Byrådet" in content[1][0].text
        assert notes and "damaged" in notes[0] and first.editor in notes[0]
    # A copy edited after approval is not what was approved either.
    good = json.loads(sorted(desk.history_dir(SLUG).glob("*/content.json"))[0].read_text())
    good["cues"][0]["lines"] = ["Noget andet."]
    newest.write_text(json.dumps(good))
    assert "Byrådet" in desk.approved_content(SLUG)[1][0].text


# --- 4. mixed encodings and foreign encodings are refused -----------------------------------------


def test_4_utf8_file_with_one_cp1252_cue_is_refused_at_that_line():
    data = (
        "1\n00:00:01,000 --> 00:00:02,000\nByrådet mødes.\n\n".encode()
        + "2\n00:00:03,000 --> 00:00:04,000\nPå Ærø.\n".encode("cp1252")
    )
    with pytest.raises(TranscriptError, match="mixed") as err:
        decode_text(data, Path("v.da.srt"))
    assert err.value.line == 7 and err.value.path == Path("v.da.srt")


def test_12_gb2312_is_not_read_as_cp1252():
    with pytest.raises(TranscriptError, match="not UTF-8"):
        decode_text("1\n00:00:01,000 --> 00:00:02,000\n市议会开会。\n".encode("gb2312"))


def test_4_plain_cp1252_still_reads():
    assert decode_text("Byrådet på Ærø – “godt”".encode("cp1252")) == "Byrådet på Ærø – “godt”"


# --- 5. a missing blank line is named and does not poison the state -------------------------------


def test_5_missing_blank_line_is_named_and_the_last_good_version_stays(desk):
    first = reconcile(desk)
    run_together = (
        "1\n00:00:01,000 --> 00:00:02,000\nByrådet mødes.\n"
        "2\n00:00:02,500 --> 00:00:04,000\nAlle er velkomne.\n"
    )
    desk.srt_path(SLUG).write_text(run_together)
    out = reconcile(desk)
    err = out.problems[0]
    assert out.refused and err.line == 5 and "empty line" in str(err) and "line 4" in err.hint
    assert out.cues == first.cues  # the merged cue never became the version in force
    assert desk.srt_path(SLUG).read_text() == run_together  # and the editor's file is untouched
    desk.srt_path(SLUG).unlink()
    again = reconcile(desk)
    assert not again.problems and again.cues == first.cues
    assert "Byrådet" in desk.srt_path(SLUG).read_text()


# --- 6. text far too long for the video -----------------------------------------------------------


def test_6_text_far_too_long_for_the_video_is_refused_with_numbers(desk):
    reconcile(desk)
    desk.txt_path(SLUG).write_text("Byrådet holder møde i aften. " * 700)
    calls = []
    timed = ReviewDesk(
        desk.root,
        align=lambda t: calls.append(t) or fake_align(t),
        layout_cues=cues_from_transcript,
    )
    out = timed.reconcile(SLUG, DRAFT, cues_from_transcript(DRAFT))
    assert out.refused and not calls, "refused before any alignment work"
    message = str(out.problems[0])
    assert "3,500 words" in message and "6.5 s" in message


# --- 8. lost or odd review state is rebuilt -------------------------------------------------------


def test_8_lost_state_after_an_edit_is_rebuilt_from_the_files(desk):
    reconcile(desk)
    desk.srt_path(SLUG).write_text("1\n00:00:01,000 --> 00:00:03,000\nRettet tekst.\n")
    reconcile(desk)
    (desk.root / ".state" / f"{SLUG}.json").unlink()  # kill -9 at the wrong moment
    out = reconcile(desk)
    assert not out.problems, out.problems
    assert out.source == "srt" and out.cues[0].lines == ("Rettet tekst.",)
    assert any("rebuilt" in n for n in out.notes)
    assert desk.approve(SLUG, "Ann").editor == "Ann"


@pytest.mark.parametrize("junk", ["[]", "{}", "null", '{"source": 3}', "\x00\x01", '{"cues": 1}'])
def test_8_a_damaged_state_file_is_rebuilt_not_a_crash(desk, junk):
    reconcile(desk)
    (desk.root / ".state" / f"{SLUG}.json").write_text(junk)
    assert desk.status(SLUG) is None  # `videokit status` says "damaged" instead of crashing
    out = reconcile(desk)
    assert out.status == "draft" and out.cues and any("rebuilt" in n for n in out.notes)
    assert desk.status(SLUG) == ("draft", "draft")


# --- 9. caches hold validated JSON, not pickle ----------------------------------------------------


class _Boom:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_9_the_draft_cache_never_unpickles(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cache = TranscriptCache(tmp_path / "cache")
    cache.put("draft-abc", DRAFT)
    assert cache.get("draft-abc") == DRAFT
    (tmp_path / "cache" / "draft-abc.json").write_bytes(pickle.dumps(_Boom()))
    assert cache.get("draft-abc") is None and not (tmp_path / "pwned").exists()
    (tmp_path / "cache" / "draft-abc.json").write_text('{"language": "da"}')
    assert cache.get("draft-abc") is None
    with pytest.raises(ValueError):
        cache.get("../escape")


def test_9_cached_draft_is_made_once_then_read(tmp_path):
    cache = TranscriptCache(tmp_path)
    source = draft.Source(VideoJob(tmp_path / "v.mp4", "v"), "ab" * 32, MediaInfo(6500))

    class Handle:
        spec = type("Spec", (), {"sha256": "model"})()
        settings = draft.DEFAULT_ASR
        calls = 0

        class engine:  # stands in for the loaded model
            @staticmethod
            def transcribe(*_a, **_k):
                Handle.calls += 1
                return DRAFT

    options = draft.DecodeOptions(language="da")
    original = draft.load_samples
    draft.load_samples = lambda _s: __import__("numpy").ones(16000, dtype="float32")
    try:
        made, cached = draft.cached_draft(cache, source, Handle(), options)
        again, cached_again = draft.cached_draft(cache, source, Handle(), options)
    finally:
        draft.load_samples = original
    assert (cached, cached_again, Handle.calls) == (False, True, 1) and again == made


# --- 10. timing and text that cannot be right -----------------------------------------------------


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        ("1\n99:00:00,000 --> 99:00:02,000\nHej\n", 2, "beyond the end"),
        ("1\n00:00:75,000 --> 00:00:76,000\nHej\n", 2, "broken timestamp"),
        ("1\n00:00:01,000 --> 00:00:09,000\nHej\n", 2, "beyond the end"),
    ],
)
def test_10_times_that_cannot_be_right_are_refused(body, line, words):
    with pytest.raises(TranscriptError, match=words) as err:
        parse_srt(body, Path("v.da.srt"), duration_ms=DURATION)
    assert err.value.line == line


def test_10_a_fraction_is_a_fraction_of_a_second():
    cue = parse_srt("1\n00:00:01.5 --> 00:00:02,25\nHej\n")[0]
    assert (cue.start_ms, cue.end_ms) == (1500, 2250)


@pytest.mark.parametrize(
    "name", ["Ödön Horváth", "Ümit", "Çelik", "van der Berg", "de Gaulle", "Ærø Jensen"]
)
def test_10_speaker_names_of_every_spelling_stay_out_of_the_text(name):
    (para,) = parse_review_text(f"{name}: Tak for ordet.")
    assert para.speaker == name and para.words == ("Tak", "for", "ordet.")
    (cue,) = parse_srt(f"1\n00:00:01,000 --> 00:00:02,000\n{name}: Tak.\n")
    assert cue.speaker == name and cue.lines == ("Tak.",)


def test_10_italics_stay_formatting_in_captions_and_leave_the_transcript():
    cues = parse_srt(
        "1\n00:00:01,000 --> 00:00:02,000\n<i>Det er</I> <font color=red>vigtigt</font>\n"
    )
    assert cues[0].lines == ("<i>Det er</I> vigtigt",)  # as the editor wrote it, colour dropped
    vtt = to_vtt(cues)
    assert "<i>Det er</i> vigtigt" in vtt
    text = transcript_from_cues(cues, DRAFT)
    assert [w.text.strip() for w in text.words] == ["Det", "er", "vigtigt"]


# --- 11. names, settings, base url, zip, lock, partial files, preview server ----------------------


def test_11_nfc_and_nfd_spellings_are_one_slug_and_clash(tmp_path):
    import unicodedata

    nfc = unicodedata.normalize("NFC", "Rådhus.mp4")
    nfd = unicodedata.normalize("NFD", "Rådhus.mp4")
    assert slugify(Path(nfc).stem) == slugify(Path(nfd).stem) == "raadhus"
    (tmp_path / nfc).write_bytes(b"a")
    (tmp_path / nfd).write_bytes(b"b")
    jobs, errors = find_videos([tmp_path])
    assert not jobs and len(errors) == 2 and all("same web name" in e.message for e in errors)


def test_11_long_names_get_a_capped_slug_that_still_tells_them_apart():
    a, b = "ord " * 60 + "første", "ord " * 60 + "anden"
    assert len(slugify(a)) <= MAX_SLUG and len(slugify(b)) <= MAX_SLUG
    assert slugify(a) != slugify(b)


@pytest.mark.parametrize(
    ("toml", "words"), [('title = "   "', "empty"), ("title = {a = 1}", "text in quotes")]
)
def test_11_bad_titles_name_the_file(tmp_path, toml, words):
    video = tmp_path / "v.mp4"
    video.write_bytes(b"")
    (tmp_path / "v.toml").write_text(toml)
    with pytest.raises(VideokitError, match=words) as err:
        read_meta(VideoJob(video, "v"))
    assert err.value.path == tmp_path / "v.toml"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://x.dk/", 'https://x.dk/"><script>'])
def test_11_base_url_must_be_a_web_address(url, capsys):
    from videokit.cli import main

    with pytest.raises(SystemExit):
        main(["produce", "--base-url", url])
    assert "not a web address" in capsys.readouterr().err


def test_11_zip_holds_exactly_the_published_files(tmp_path):
    layout = Layout(tmp_path / "build", tmp_path / "review")
    folder = layout.video_dir("a")
    folder.mkdir(parents=True)
    for name in ("index.html", "a.mp4", "a.da.vtt"):
        (folder / name).write_text(name)
    (folder / "notes.docx").write_text("stray")
    (tmp_path / "secret.txt").write_text("secret")
    (folder / "a.da.srt").symlink_to(tmp_path / "secret.txt")
    (layout.state).mkdir(parents=True)
    from videokit.records import Records, VideoRecord

    Records(layout).save(VideoRecord("a", "A", "", 1000, "a.mp4", "x", "2026-01-01", 1, "approved"))
    publish.write_indexes(layout)
    with zipfile.ZipFile(layout.zip) as zf:
        names = sorted(zf.namelist())
    assert names == ["a/a.da.vtt", "a/a.mp4", "a/index.html", "index.html", "manifest.json"]


def test_11_a_video_is_written_by_one_run_at_a_time_and_a_dead_run_leaves_no_lock(tmp_path):
    import signal
    import subprocess
    import sys

    heard = []
    with video_lock(tmp_path, "a"):
        with video_lock(tmp_path, "b"):  # another video: no waiting
            pass
        with (
            pytest.raises(VideokitError, match="another run is producing 'a'") as caught,
            video_lock(tmp_path, "a", wait_s=0.3, on_wait=heard.append),
        ):
            pass
    assert caught.value.stage == "lock"
    assert len(heard) == 1 and f"pid {os.getpid()}" in heard[0]  # says who holds it, once
    # A run killed while it holds the lock (kill -9: no cleanup runs) does not leave it stuck.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time, pathlib\n"
            "from videokit.locks import video_lock\n"
            "with video_lock(pathlib.Path(sys.argv[1]), 'a'):\n"
            "    print('held', flush=True)\n"
            "    time.sleep(600)\n",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(VideokitError, match="another run"), video_lock(tmp_path, "a", wait_s=0.2):
        pass
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    with video_lock(tmp_path, "a", wait_s=0):  # released by the kernel: the next run goes ahead
        pass


def test_11_a_waiting_run_goes_on_when_the_holder_finishes(tmp_path):
    import threading

    order = []
    release = threading.Event()

    def first():
        with video_lock(tmp_path, "a"):
            order.append("first in")
            release.wait(5)
            order.append("first out")

    t = threading.Thread(target=first)
    t.start()
    while not order:
        time.sleep(0.01)
    threading.Timer(0.3, release.set).start()
    with video_lock(tmp_path, "a", wait_s=5, on_wait=lambda who: order.append("waiting")):
        order.append("second in")
    t.join()
    assert order == ["first in", "waiting", "first out", "second in"]


def test_11_only_a_run_that_is_alone_removes_half_written_files(tmp_path):
    cleaned = []
    with run_lock(tmp_path, when_alone=lambda: cleaned.append(1)) as alone:
        assert alone and cleaned == [1]
        # A second run meanwhile shares the project, but must not remove the first's .part files.
        with run_lock(tmp_path, when_alone=lambda: cleaned.append(2)) as second_alone:
            assert not second_alone
    assert cleaned == [1]
    with run_lock(tmp_path, when_alone=lambda: cleaned.append(3)) as alone:
        assert alone
    assert cleaned == [1, 3]


def test_11_partial_files_of_a_killed_run_are_removed(tmp_path):
    from videokit.files import remove_partials

    (tmp_path / "site" / "v").mkdir(parents=True)
    (tmp_path / "site" / "v" / ".v.mp4.abc.part").write_bytes(b"half")
    (tmp_path / "site" / "v" / "v.mp4").write_bytes(b"whole")
    assert remove_partials(tmp_path) == 1
    assert [p.name for p in (tmp_path / "site" / "v").iterdir()] == ["v.mp4"]


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as err:
        return err.code


def test_11_preview_server_serves_the_site_and_nothing_else(tmp_path):
    from videokit.serve import make_server, serving

    site = tmp_path / "site"
    (site / "v").mkdir(parents=True)
    (site / "index.html").write_text("<h1>Videoer</h1>")
    (site / "v" / "v.da.vtt").write_text("WEBVTT\n")
    (site / ".hidden").write_text("secret")
    (tmp_path / "outside.txt").write_text("secret")
    (site / "v" / "link.txt").symlink_to(tmp_path / "outside.txt")
    with serving(site) as base:
        assert _status(base) == 200 and _status(base + "v/v.da.vtt") == 200
        assert _status(base + "v/") == 404, "no folder listing"
        assert _status(base + ".hidden") == 404
        assert _status(base + "v/link.txt") == 404, "no links out of the site"
        assert _status(base + "../outside.txt") == 404
        port = int(base.rsplit(":", 1)[1].strip("/"))
        with pytest.raises(VideokitError, match="already in use") as err:
            make_server(site, port=port)
        assert "--port" in err.value.hint
    with socket.socket() as probe:  # the port is free again
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))


# --- 12. real-world subtitle files ----------------------------------------------------------------


def test_12_any_cue_id_line_is_accepted():
    cues = parse_srt(
        "X\n00:00:01,000 --> 00:00:02,000\nHej\n\nX\n00:00:03,000 --> 00:00:04,000\nDav\n"
    )
    assert [c.lines for c in cues] == [("Hej",), ("Dav",)]


def test_12_webvtt_saved_as_srt_is_read_as_webvtt():
    vtt = (
        "WEBVTT\nLanguage: da\n\nNOTE rettet\n\n1\n00:00:01.000 --> 00:00:02.000 line:80%\n"
        "<v Mette>Hej &amp; velkommen\n\n00:03.000 --> 00:04.000\n<v Bo>Tak\n"
    )
    cues = parse_srt(vtt)
    assert [(c.start_ms, c.speaker, c.lines) for c in cues] == [
        (1000, "Mette", ("Hej & velkommen",)),  # "&amp;" decoded once (issue 28, case 8)
        (3000, "Bo", ("Tak",)),
    ]


def test_12_a_refused_edit_is_named_again_by_approve(desk):
    reconcile(desk)
    desk.srt_path(SLUG).write_text("1\n00:00:01,000 --> 00:00:0x,000\nHej\n")
    assert reconcile(desk).refused
    with pytest.raises(VideokitError, match=r"the edit was refused: .*line 2"):
        desk.approve(SLUG, "Ann")


# --- publishing as a transaction (real ffmpeg) ----------------------------------------------------


@pytest.fixture
def produced(tmp_path_factory):
    """A produced (not approved) video with real preview media, in an output folder whose name
    has every character ffmpeg's filter syntax cares about."""
    root = tmp_path_factory.mktemp("o'ut:x\\y,[z];")
    layout = Layout(root / "build", root / "review")
    video = clips.tone_video(root / "v.mp4", seconds=4.0)
    source = draft.Source(VideoJob(video, SLUG), "ab" * 32, MediaInfo(4000))
    preview = layout.video_dir(SLUG, layout.preview)
    preview.mkdir(parents=True)
    shutil.copy(video, preview / f"{SLUG}.mp4")
    (preview / "poster.jpg").write_bytes(b"\xff\xd8poster")
    d = transcript("Byrådet holder møde i aften.", duration=4000)

    def produce():
        caps = draft.captions(d)
        return pipeline.review_and_publish(
            layout, source, VideoMeta("Møde"), d, caps, align=fake_align
        )

    produce.layout = layout  # type: ignore[attr-defined]
    return produce


@pytest.mark.slow
def test_7_approval_publishes_whatever_the_output_path_and_records_last(produced):
    layout = produced.layout
    assert produced().record.status == "draft"
    approval, record = pipeline.approve_and_publish(layout, SLUG, "Ann")
    site = layout.video_dir(SLUG)
    social = layout.social / SLUG
    assert (site / "index.html").is_file() and (social / "v.da_DK.srt").is_file()
    assert not list(social.glob("*.mp4")), "the social videos are made after the approval"
    assert record.status == "approved" and ReviewDesk(layout.review).approvals(SLUG) == [approval]
    assert not list(layout.site.glob(".staging-*")) and not list(layout.site.glob(".old-*"))
    with zipfile.ZipFile(layout.zip) as zf:
        assert "v/index.html" in zf.namelist()


@pytest.mark.slow
def test_1_a_run_without_approvals_never_takes_a_video_off_the_site(produced):
    layout = produced.layout
    produced()
    pipeline.approve_and_publish(layout, SLUG, "Ann")
    shutil.rmtree(layout.review / "history")  # approvals lost (or the wrong review folder)
    out = produced()
    assert out.published and (layout.video_dir(SLUG) / "index.html").is_file()
    pipeline.withdraw(layout, SLUG, "Ann", "forældet")
    assert not layout.video_dir(SLUG).exists() and not (layout.social / SLUG).exists()
    with zipfile.ZipFile(layout.zip) as zf:
        assert "v/index.html" not in zf.namelist()
    assert not produced().published, "a withdrawn video stays withdrawn"


SMALL = Settings(social=SocialSettings(formats=("9:16",), short_side=180))


@pytest.mark.slow
def test_7_a_failed_social_render_is_reported_and_retried_without_touching_the_approval(
    produced, monkeypatch
):
    layout = produced.layout
    produced()
    approval, _ = pipeline.approve_and_publish(layout, SLUG, "Ann")
    site, zip_before = _site_text(layout), layout.zip.read_bytes()
    calls: list[int] = []

    def broken(*_a, **_k):
        calls.append(1)
        raise MediaError("ffmpeg failed (libass is missing)", stage="social")

    real = social_files.media.render_social
    monkeypatch.setattr(social_files.media, "render_social", broken)
    failed = pipeline.finish_social(layout, SLUG, SMALL).output("9:16")
    assert failed.state == FAILED and "libass" in failed.error
    assert failed.attempts == social_files.ATTEMPTS == len(calls), "tried again at once"
    assert ReviewDesk(layout.review).approvals(SLUG) == [approval] and _site_text(layout) == site
    recorded = social_files.read_status(layout.social / SLUG).output("9:16")
    assert recorded.state == FAILED, "the status record says so"
    assert json.loads(zipfile.ZipFile(layout.zip).read("manifest.json"))["social"][SLUG] == {
        "9:16": {"state": "failed", "files": []}
    }
    assert not list((layout.social / SLUG).glob("*.mp4")), "no half-made video left"
    monkeypatch.setattr(social_files.media, "render_social", real)
    made = pipeline.finish_social(layout, SLUG, SMALL).output("9:16")
    assert made.state == READY and made.attempts == social_files.ATTEMPTS + 1
    assert (layout.social / SLUG / "v-9x16-captions.mp4").is_file()
    assert ReviewDesk(layout.review).approvals(SLUG) == [approval] and _site_text(layout) == site
    listed = json.loads(zipfile.ZipFile(layout.zip).read("manifest.json"))["social"][SLUG]
    assert listed["9:16"]["state"] == "ready" and "v-9x16-captions.mp4" in listed["9:16"]["files"]
    assert layout.zip.read_bytes() != zip_before


def test_11_a_full_disk_names_the_file_and_replaces_nothing(tmp_path, monkeypatch):
    import errno

    from videokit.files import write_text

    target = tmp_path / "v.da.vtt"
    target.write_text("old")

    def full(*_a):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(VideokitError, match="disk is full") as err:
        write_text(target, "new")
    assert err.value.path == target and target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["v.da.vtt"], "no partial file left"


@pytest.mark.slow
def test_11_a_truncated_video_is_refused(tmp_path):
    import subprocess

    whole = clips.tone_video(tmp_path / "whole.mp4", seconds=8.0)
    mkv = tmp_path / "cut.mkv"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-i", str(whole), "-c", "copy", str(mkv)], check=True
    )
    data = mkv.read_bytes()
    mkv.write_bytes(data[: len(data) // 3])
    source = draft.probe(VideoJob(mkv, "cut"))
    with pytest.raises(VideokitError, match="cut off") as err:
        draft.load_samples(source)
    assert err.value.path == mkv


@pytest.mark.slow
def test_11_the_run_s_prefect_server_ends_with_a_killed_run(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    import httpx

    script = (
        "import sys, time\n"
        "from flows.server import server_for_this_run\n"
        "with server_for_this_run() as url:\n"
        "    print(url, flush=True)\n"
        "    time.sleep(600)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(tmp_path / "prefect")
    root = Path(__file__).resolve().parent.parent
    env["PYTHONPATH"] = os.pathsep.join([str(root / "src"), str(root)])  # this checkout's code
    run = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env
    )
    url = run.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), "the server came up"
    assert httpx.get(f"{url}/health", timeout=10).status_code == 200
    run.send_signal(signal.SIGKILL)
    run.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/health", timeout=2)
        except httpx.HTTPError:
            break  # gone with its parent
        time.sleep(0.5)
    else:
        raise AssertionError("the Prefect server outlived the killed run")


# === round two ===================================================================================
# --- R2.1 an approval that fails or is killed publishes nothing nobody approved ------------------


def _site_text(layout: Layout) -> str | None:
    vtt = layout.video_dir(SLUG) / f"{SLUG}.da.vtt"
    return vtt.read_text(encoding="utf-8") if vtt.is_file() else None


def _leftovers(layout: Layout) -> list[str]:
    return [
        p.name
        for root in (layout.site, layout.social)
        if root.is_dir()
        for p in root.iterdir()
        if p.name.startswith((".staging-", ".old-"))
    ]


@pytest.fixture
def approved_once(produced, monkeypatch):
    """The video approved and published as "Byrådet …", then corrected to "Kommunen …" and read
    by a run: the next approval would replace a published version. Rendering is faked (fast)."""
    monkeypatch.setattr(social_files.media, "render_social", _fake_render)
    monkeypatch.setattr(social_files, "check_legibility", lambda *_a: ())
    layout = produced.layout
    produced()
    pipeline.approve_and_publish(layout, SLUG, "Ann")
    desk = ReviewDesk(layout.review)
    srt = desk.srt_path(SLUG).read_text(encoding="utf-8")
    desk.srt_path(SLUG).write_text(srt.replace("Byrådet", "Kommunen"), encoding="utf-8")
    assert produced().record.status == "in review"
    return produced


@pytest.mark.slow
@pytest.mark.parametrize("how", ["history is a file", "record cannot be written"])
def test_r2_1_an_approval_that_cannot_be_recorded_publishes_nothing(
    approved_once, monkeypatch, how
):
    layout = approved_once.layout
    desk = ReviewDesk(layout.review)
    zip_before = layout.zip.read_bytes()
    if how == "history is a file":
        shutil.rmtree(desk.history_dir(SLUG))
        desk.history_dir(SLUG).write_text("not a folder")
    else:
        import videokit.history as history_module

        real = history_module.write_json

        def refuse(path, data, **kw):
            if path.name == "approval.json":
                raise PermissionError(13, "Permission denied", str(path))
            return real(path, data, **kw)

        monkeypatch.setattr(history_module, "write_json", refuse)
    before = desk.approvals(SLUG) if how != "history is a file" else []
    with pytest.raises(VideokitError, match="could not be recorded") as err:
        pipeline.approve_and_publish(layout, SLUG, "Bo")
    assert err.value.stage == "approve" and err.value.path is not None
    assert "Byrådet" in (_site_text(layout) or ""), "the site keeps the approved version"
    assert "Kommunen" not in (layout.social / SLUG / f"{SLUG}.da.srt").read_text(encoding="utf-8")
    assert layout.zip.read_bytes() == zip_before and not _leftovers(layout)
    monkeypatch.undo()
    assert ReviewDesk(layout.review).approvals(SLUG) == before, "no half record left"
    assert approved_once().record.status == "in review"
    assert "Byrådet" in (_site_text(layout) or "")


@pytest.mark.slow
def test_r2_1_a_site_that_cannot_be_swapped_takes_the_record_back(approved_once, monkeypatch):
    layout = approved_once.layout
    real = os.replace

    def no_site(src, dst):
        if Path(dst) == layout.video_dir(SLUG) or Path(src) == layout.video_dir(SLUG):
            raise PermissionError(13, "Permission denied", str(dst))
        return real(src, dst)

    monkeypatch.setattr(publish, "_exchange", lambda _a, _b: False)
    monkeypatch.setattr(os, "replace", no_site)
    with pytest.raises(VideokitError, match="site is as it was"):
        pipeline.approve_and_publish(layout, SLUG, "Bo")
    monkeypatch.undo()
    desk = ReviewDesk(layout.review)
    assert [a.editor for a in desk.approvals(SLUG)] == ["Ann"], "the record was taken back"
    assert "Byrådet" in (_site_text(layout) or "")
    social = (layout.social / SLUG / f"{SLUG}.da.srt").read_text(encoding="utf-8")
    assert "Byrådet" in social, "the social swap was undone too"
    assert not _leftovers(layout)


@pytest.mark.slow
@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two-renames"])
def test_r2_1_an_approval_killed_at_any_step_never_publishes_an_unrecorded_version(
    approved_once, tmp_path, monkeypatch, exchange
):
    """SIGKILL before each rename or exchange the approval makes (every file write ends in a
    rename)."""
    import signal

    layout = approved_once.layout
    if not exchange:
        monkeypatch.setattr(publish, "_exchange", lambda _a, _b: False)
    root = layout.out.parent
    snapshot = tmp_path / "snapshot"
    for name in ("build", "review"):
        shutil.copytree(root / name, snapshot / name, symlinks=True)
    step, outcomes = 0, []
    while True:
        step += 1
        for name in ("build", "review"):
            shutil.rmtree(root / name)
            shutil.copytree(snapshot / name, root / name, symlinks=True)
        pid = os.fork()
        if pid == 0:  # the approving process, killed just before its step-th rename
            code = 1
            try:
                calls, real, swap = [0], os.replace, publish._exchange

                def counting(src, dst, *, _calls=calls, _real=real, _k=step):
                    _calls[0] += 1
                    if _calls[0] == _k:
                        os.kill(os.getpid(), signal.SIGKILL)
                    return _real(src, dst)

                def exchanging(a, b, *, _calls=calls, _swap=swap, _k=step):
                    _calls[0] += 1  # between the social and the site folder's exchange too
                    if _calls[0] == _k:
                        os.kill(os.getpid(), signal.SIGKILL)
                    return _swap(a, b)

                os.replace = counting
                publish._exchange = exchanging
                pipeline.approve_and_publish(layout, SLUG, "Bo")
                code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        finished = os.WIFEXITED(status)
        if finished:
            assert os.WEXITSTATUS(status) == 0, "the approval itself worked"
        # Right after the kill: the site shows the new text only if its approval is on record.
        recorded = [a.editor for a in ReviewDesk(layout.review).approvals(SLUG)]
        shown = _site_text(layout) or ""
        if "Kommunen" in shown:
            assert recorded == ["Ann", "Bo"], f"step {step}: published without a record"
        elif exchange:
            assert "Byrådet" in shown, f"step {step}: the site lost its video"
        # The next run settles everything on what the history says.
        out = approved_once()
        publish.write_indexes(layout)  # as the flow does at the end of every run
        expect = "Kommunen" if recorded == ["Ann", "Bo"] else "Byrådet"
        assert expect in (_site_text(layout) or ""), f"step {step}"
        assert out.record.status == ("approved" if expect == "Kommunen" else "in review")
        assert not _leftovers(layout), f"step {step}"
        with zipfile.ZipFile(layout.zip) as zf:
            assert expect in zf.read(f"{SLUG}/{SLUG}.da.vtt").decode()
        outcomes.append(expect)
        if finished:
            break
    assert step > 10 and outcomes[0] == "Byrådet" and outcomes[-1] == "Kommunen"


@pytest.mark.slow
def test_r2_1_a_preview_without_its_video_is_a_message_and_publishes_nothing(approved_once):
    layout = approved_once.layout
    (layout.video_dir(SLUG, layout.preview) / f"{SLUG}.mp4").unlink()
    with pytest.raises(VideokitError, match="nothing was published") as err:
        pipeline.approve_and_publish(layout, SLUG, "Bo")
    assert err.value.stage == "publish" and "produce" in err.value.hint
    assert [a.editor for a in ReviewDesk(layout.review).approvals(SLUG)] == ["Ann"]
    assert "Byrådet" in (_site_text(layout) or "") and not _leftovers(layout)


@pytest.mark.slow
def test_r2_1_a_package_that_cannot_be_written_afterwards_says_the_approval_stands(
    approved_once, monkeypatch
):
    layout = approved_once.layout

    def full(_layout):
        raise VideokitError("the disk is full; nothing was replaced", stage="write")

    monkeypatch.setattr(publish, "write_indexes", full)
    with pytest.raises(VideokitError, match="approved and published") as err:
        pipeline.approve_and_publish(layout, SLUG, "Bo")
    assert "the approval stands" in err.value.hint and "nothing was replaced" in str(err.value)
    assert [a.editor for a in ReviewDesk(layout.review).approvals(SLUG)] == ["Ann", "Bo"]
    assert "Kommunen" in (_site_text(layout) or "")


# --- R2.2 history is ordered by sequence, not by the clock -----------------------------------------


def test_r2_2_an_approval_made_with_the_clock_ahead_does_not_undo_a_withdrawal(desk):
    import datetime as dt

    reconcile(desk)
    desk.approve(SLUG, "Ann", now=dt.datetime(2099, 1, 1, tzinfo=dt.UTC))
    withdrawal = desk.withdraw(SLUG, "Bo", "forældet")
    assert desk.withdrawn(SLUG) == withdrawal and desk.approved_content(SLUG) is None
    assert [e.seq for e in (*desk.approvals(SLUG), withdrawal)] == [1, 2]


def test_r2_2_an_approval_made_with_the_clock_behind_is_the_newest(desk):
    import datetime as dt

    reconcile(desk)
    desk.approve(SLUG, "Ann")
    desk.srt_path(SLUG).write_text("1\n00:00:01,000 --> 00:00:03,000\nNy tekst.\n")
    outcome = reconcile(desk)
    late = desk.approve(SLUG, "Bo", now=dt.datetime(2001, 1, 1, tzinfo=dt.UTC))
    assert desk.approvals(SLUG)[-1] == late and late.seq == 2
    assert "Ny tekst" in desk.approved_content(SLUG)[1][0].text
    assert reconcile(desk).status == "approved" and outcome.content_sha == late.content_sha


def test_r2_2_records_from_before_sequence_numbers_come_first(desk):
    """A history written by an older videokit (folders named by time) is read in name order and
    stays older than every new event, whatever the times say."""
    reconcile(desk)
    old = desk.approve(SLUG, "Ann")
    folder = desk.history_dir(SLUG) / f"{old.seq:06d}"
    legacy = folder.rename(desk.history_dir(SLUG) / "20991231T235959Z")
    data = json.loads((legacy / "approval.json").read_text())
    del data["seq"]
    (legacy / "approval.json").write_text(json.dumps(data))
    assert desk.approvals(SLUG)[0].seq == 0 and desk.next_seq(SLUG) == 1
    withdrawal = desk.withdraw(SLUG, "Bo", "forældet")
    assert withdrawal.seq == 1 and desk.withdrawn(SLUG) == withdrawal


def test_r2_2_a_sequence_number_claimed_by_another_process_is_skipped(desk, monkeypatch):
    reconcile(desk)
    desk.history_dir(SLUG).mkdir(parents=True)
    monkeypatch.setattr(ReviewDesk, "next_seq", lambda _self, _slug: 1)
    (desk.history_dir(SLUG) / "000001").mkdir()  # claimed, still being written by someone else
    assert desk.approve(SLUG, "Ann").seq == 2


def test_r2_3_a_damaged_newest_approval_says_what_the_site_now_shows(desk):
    reconcile(desk)
    desk.approve(SLUG, "Ann")
    desk.srt_path(SLUG).write_text("1\n00:00:01,000 --> 00:00:03,000\nNy tekst.\n")
    reconcile(desk)
    newest = desk.approve(SLUG, "Bo")
    (desk.history_dir(SLUG) / f"{newest.seq:06d}" / "content.json").write_text("{")
    notes: list[str] = []
    desk.approved_content(SLUG, notes)
    assert "keeps" not in notes[0] and "shows the last intact one instead" in notes[0]


def test_r2_3_a_video_name_too_long_for_side_files_is_read_with_its_slug(tmp_path):
    """245 characters left no room for `.manuscript.txt`: every run ended in `[internal] OSError
    36`. Now the name's side files are simply absent, and the slug's are used."""
    from videokit import freshness
    from videokit.config import Settings
    from videokit.workspace import read_glossary, read_manuscript

    media = tmp_path / "media"
    media.mkdir()
    (media / ("Byrådsmøde " * 19 + ".mp4")).write_bytes(b"video")
    [job], problems = find_videos([media])
    assert not problems and len(job.path.name.encode()) > 240
    (media / f"{job.slug}.manuscript.txt").write_text("Velkommen til mødet.", encoding="utf-8")
    assert read_meta(job).title.startswith("Byrådsmøde")
    assert read_glossary(job) == [] and read_manuscript(job) == "Velkommen til mødet."
    layout = Layout(tmp_path / "build", tmp_path / "review")
    assert freshness.fingerprint(job, layout, freshness.RunInputs("m", "da", Settings()))


# --- R2.6 side files are read by the editor files' encoding rules ---------------------------------


def _job(tmp_path: Path) -> VideoJob:
    media = tmp_path / "media"
    media.mkdir(exist_ok=True)
    (media / "Møde.mp4").write_bytes(b"video")
    [job], _ = find_videos([media])
    return job


def test_r2_6_a_cp1252_glossary_and_a_utf16_manuscript_are_read(tmp_path):
    from videokit.workspace import read_glossary, read_manuscript

    job = _job(tmp_path)
    (job.path.parent / "glossary.txt").write_bytes("Århus\nKøge Bugt\n".encode("cp1252"))
    job.path.with_name("Møde.manuscript.txt").write_bytes(
        "Velkommen til byrådsmødet.".encode("utf-16")  # with its byte-order mark
    )
    assert read_glossary(job) == ["Århus", "Køge Bugt"]
    assert read_manuscript(job) == "Velkommen til byrådsmødet."


def test_r2_6_an_unreadable_side_file_is_named_not_an_internal_error(tmp_path):
    from videokit.workspace import read_manuscript

    job = _job(tmp_path)
    manuscript = job.path.with_name("Møde.manuscript.txt")
    manuscript.write_bytes("Velkommen til byrådsmødet.".encode("utf-16-le"))  # no mark
    with pytest.raises(VideokitError, match="manuscript") as err:
        read_manuscript(job)
    assert err.value.path == manuscript and "UTF-8" in err.value.hint


def test_r2_5_a_speaker_that_would_become_caption_text_is_refused_in_the_title_file(tmp_path):
    job = _job(tmp_path)
    toml = job.path.with_name("Møde.toml")
    toml.write_text('title = "Møde"\nspeaker = "Dr: Hansen"\n', encoding="utf-8")
    with pytest.raises(VideokitError, match="colon") as err:
        read_meta(job)
    assert err.value.path == toml
    toml.write_text('title = "Møde"\nspeaker = "Borgmester Jens Hansen"\n', encoding="utf-8")
    assert read_meta(job).speaker == "Borgmester Jens Hansen"


# --- approval that returns at once (issue: social package) ----------------------------------------


def _fake_render(_video, *, clean, burned, captions_ass, **_k):
    for path in (clean, burned):
        path.write_text(captions_ass, encoding="utf-8")


@pytest.mark.slow
def test_an_approval_leaves_the_social_videos_for_afterwards_and_never_shows_a_stale_one(
    approved_once, monkeypatch
):
    layout = approved_once.layout
    vertical = layout.social / SLUG / f"{SLUG}-9x16-captions.mp4"
    assert pipeline.finish_social(layout, SLUG, SMALL).output("9:16").state == READY
    assert "Byrådet" in vertical.read_text(encoding="utf-8"), "made for the first approval"
    rendered: list[str] = []

    def render(*a, **k):
        rendered.append(k["captions_ass"])
        _fake_render(*a, **k)

    monkeypatch.setattr(social_files.media, "render_social", render)
    approval, _ = pipeline.approve_and_publish(layout, SLUG, "Bo")
    assert not rendered and approval.seq == 2
    assert "Kommunen" in (_site_text(layout) or "")
    assert "Kommunen" in (layout.social / SLUG / f"{SLUG}.da.srt").read_text(encoding="utf-8")
    assert not vertical.exists(), "the vertical video with the old captions is gone"
    assert pipeline.finish_social(layout, SLUG, SMALL).output("9:16").state == READY
    assert len(rendered) == 1 and "Kommunen" in rendered[0]
    assert "Kommunen" in vertical.read_text(encoding="utf-8")
    zipped = layout.zip.stat().st_mtime_ns
    pipeline.finish_social(layout, SLUG, SMALL)
    assert len(rendered) == 1, "made once"
    assert layout.zip.stat().st_mtime_ns == zipped, "nothing new, so the zip is not written again"
    assert approved_once().published and vertical.is_file(), "a run keeps what is made for it"


@pytest.mark.slow
def test_an_editor_can_save_while_the_social_videos_are_made(approved_once, monkeypatch):
    layout = approved_once.layout
    during: list[bool] = []

    def render(*a, **k):
        with video_lock(layout.out, SLUG, wait_s=0):  # what a save in the studio takes
            during.append(True)
        _fake_render(*a, **k)

    monkeypatch.setattr(social_files.media, "render_social", render)
    assert pipeline.finish_social(layout, SLUG, SMALL).output("9:16").state == READY
    assert during == [True]


@pytest.mark.slow
def test_a_version_approved_while_its_predecessor_renders_is_not_given_the_old_videos(
    approved_once, monkeypatch
):
    layout = approved_once.layout
    pipeline.approve_and_publish(layout, SLUG, "Ann")  # "Byrådet" → "Kommunen" published

    def render(*a, **k):
        _fake_render(*a, **k)
        desk = ReviewDesk(layout.review)
        srt = desk.srt_path(SLUG).read_text(encoding="utf-8")
        desk.srt_path(SLUG).write_text(srt.replace("Kommunen", "Byen"), encoding="utf-8")
        approved_once()
        pipeline.approve_and_publish(layout, SLUG, "Bo")  # meanwhile, a newer version

    monkeypatch.setattr(social_files.media, "render_social", render)
    pipeline.finish_social(layout, SLUG, SMALL)
    folder = layout.social / SLUG
    assert "Byen" in (folder / f"{SLUG}.da.srt").read_text(encoding="utf-8")
    assert not list(folder.glob("*.mp4")), "the older version's video was dropped"
    assert not list(layout.social.glob(".work-*")), "no work folder left"


@pytest.mark.slow
def test_status_and_the_social_command_show_each_format(approved_once, monkeypatch, capsys):
    from videokit.cli import main

    layout = approved_once.layout
    root = layout.out.parent
    (root / "videokit.toml").write_text('[social]\nformats = ["1:1", "9:16"]\n', encoding="utf-8")
    options = ["--project", str(root), "--review", str(layout.review), "--out", str(layout.out)]
    assert main(["status", *options]) == 0
    assert "social media: 1:1 pending, 9:16 pending" in capsys.readouterr().out
    assert main(["social", SLUG, *options]) == 0
    assert "social media: 1:1 ready, 9:16 ready" in capsys.readouterr().out
    assert main(["status", *options]) == 0
    assert "social media: 1:1 ready, 9:16 ready" in capsys.readouterr().out

    def broken(*_a, **_k):
        raise MediaError("ffmpeg failed (no libass)", stage="social")

    monkeypatch.setattr(social_files.media, "render_social", broken)
    (root / "videokit.toml").write_text('[social]\nformats = ["4:5"]\n', encoding="utf-8")
    assert main(["social", SLUG, *options]) == 1
    out = capsys.readouterr()
    err = out.err
    assert "approval stands" in err and "the 4:5 video was not made: ffmpeg failed" in out.out
    assert main(["status", *options]) == 0
    assert "social media: 4:5 failed" in capsys.readouterr().out
