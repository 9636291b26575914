"""What is shown but not said: real OCR on the sample video, flags, the editor's decision, the
approval gate, and a described text on the descriptions track, the transcript page and the record.

The sample is rendered from ``media/samples/ny-selvbetjening-for-borgere.txt`` (espeak-ng and
ffmpeg, as ``make run`` does); Tesseract reads it for real. Whisper is not needed: the machine
draft is the manuscript at the times the renderer wrote down.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from test_pipeline import FakeModel
from videokit import onscreen, pipeline, samples, screenreview
from videokit.config import Settings
from videokit.draft import probe
from videokit.errors import VideokitError
from videokit.naming import file_names
from videokit.review import ReviewDesk
from videokit.transcript import Segment, Transcript, spread_words
from videokit.workspace import Layout, VideoJob

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "media" / "samples" / "ny-selvbetjening-for-borgere.txt"
SLUG = SAMPLE.stem
URL = "www.eksempel.dk/selvbetjening"


def _need_tools() -> None:
    for tool in ("ffmpeg", "espeak-ng", "tesseract"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (make system-deps installs it)")


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _need_tools()
    media = tmp_path_factory.mktemp("screen") / "media"
    media.mkdir()
    return samples.render(SAMPLE, media)


def _spoken(video: Path) -> Transcript:
    """The narration as a machine draft: each sentence at the time it was rendered."""
    timing = json.loads(video.with_name(f"{SLUG}.timing.json").read_text(encoding="utf-8"))
    segments = tuple(
        Segment(s["start_ms"], s["end_ms"], " " + s["text"],
                spread_words(s["text"].split(), s["start_ms"], s["end_ms"], 0.95))
        for s in timing["sentences"]
    )  # fmt: skip
    return Transcript("da", segments[-1].end_ms + 1200, segments, model="fake@1")


def test_ocr_finds_the_title_card_and_the_name_super(rendered: Path, tmp_path: Path) -> None:
    duration = probe(VideoJob(rendered, SLUG)).info.duration_ms
    shown = onscreen.shown(rendered, "x" * 64, duration, root=tmp_path)
    texts = [s.text for s in shown]
    title = next(s for s in shown if "selvbetjening for borgere" in s.text)
    assert title.start_ms == 0 and 0.35 < title.top < 0.6, title
    name = next(s for s in shown if s.text.startswith("Mette Hansen"))
    assert "Kommunikationschef, Eksempel Kommune" in name.text and name.top > 0.6
    # Shown while its paragraph is read (paragraph 2 of the manuscript), not before.
    timing = json.loads(rendered.with_name(f"{SLUG}.timing.json").read_text(encoding="utf-8"))
    second = [s for s in timing["sentences"] if s["paragraph"] == 1][0]
    assert abs(name.start_ms - second["start_ms"]) <= onscreen.STEADY_MS, (name, second)
    assert any(URL in t for t in texts), texts
    # Read once and kept: a second look reads the cache, not the frames.
    assert onscreen.shown(Path("/nonexistent.mp4"), "x" * 64, duration, root=tmp_path) == shown


def shared_cache(rendered: Path) -> Path:
    """One cache for every test of the sample: its frames are read once per session."""
    return rendered.parent.parent / "cache"


def produce(rendered: Path, root: Path):
    """The sample through the real pipeline into ``root``: preview, review files, flags."""
    media = root / "media"
    media.mkdir()
    # Without the manuscript: the draft (the narration at its rendered times) is the text in force.
    for f in rendered.parent.glob(f"{SLUG}.*"):
        if not f.name.endswith(".manuscript.txt"):
            shutil.copy(f, media / f.name)
    job = VideoJob(media / f"{SLUG}.mp4", SLUG)
    source = probe(job)
    layout = Layout(root / "build", root / "review")
    pipeline.encode_preview(source, layout)
    out = pipeline.caption_and_review(
        layout, source, _spoken(job.path), FakeModel(), Settings(), cache=None
    )
    return layout, out


@pytest.fixture
def produced(rendered: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("VIDEOKIT_CACHE_DIR", str(shared_cache(rendered)))
    return produce(rendered, tmp_path)


def test_what_is_said_is_not_flagged_and_what_is_not_is(produced) -> None:
    layout, out = produced
    decisions = screenreview.load(layout.review, SLUG)
    flagged = {d.flag.kind: d.flag.text for d in decisions}
    assert flagged.get("url") == URL  # shown, never said
    assert flagged.get("name", "").startswith("Mette Hansen")
    # The phone number is read out in words ("tre og tredive halvfjerds ..."): said.
    assert not any("33 70" in d.flag.text for d in decisions), flagged
    # So is most of the title ("Kommunen åbner en ny selvbetjening til borgerne").
    assert "title" not in flagged
    assert all(d.choice == "" and d.description.startswith("Skærmtekst") for d in decisions)
    assert any("shown but not said" in n for n in out.review.notes), out.review.notes


def test_approval_with_an_undecided_flag_is_refused_and_names_it(produced) -> None:
    layout, _ = produced
    with pytest.raises(VideokitError) as refused:
        pipeline.approve_and_publish(layout, SLUG, "Mette Redaktør")
    message = refused.value.message
    assert "kan ikke godkendes" in message and URL in message and "Mette Hansen" in message
    assert "skaermtekst.toml" in refused.value.hint
    assert not layout.video_dir(SLUG).exists()  # nothing published
    # One decided, one still open: still refused, and only the open one is named.
    url = next(d for d in screenreview.load(layout.review, SLUG) if d.flag.kind == "url")
    screenreview.decide(layout.review, SLUG, url.flag.id, "not needed", "Mette Redaktør")
    with pytest.raises(VideokitError) as again:
        pipeline.approve_and_publish(layout, SLUG, "Mette Redaktør")
    assert URL not in again.value.message and "Mette Hansen" in again.value.message


def test_a_decided_description_reaches_track_page_and_record(produced) -> None:
    layout, _ = produced
    wanted = "Skærmtekst: Mette Hansen, kommunikationschef i Eksempel Kommune."
    decisions = screenreview.load(layout.review, SLUG)
    for d in decisions:
        if d.flag.kind == "name":
            screenreview.decide(layout.review, SLUG, d.flag.id, "describe", "Ole Redaktør", wanted)
        else:
            screenreview.decide(layout.review, SLUG, d.flag.id, "said", "Ole Redaktør")
    approval, _ = pipeline.approve_and_publish(layout, SLUG, "Ole Redaktør", "tjekket")
    site = layout.video_dir(SLUG)
    names = file_names(SLUG)
    vtt = (site / names["descriptions"]).read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT") and wanted in " ".join(vtt.split())
    page = (site / names["page"]).read_text(encoding="utf-8")
    assert re.search(r'<track kind="descriptions" srclang="da"[^>]*src="' + re.escape(
        names["descriptions"]), page)  # fmt: skip
    assert "Synstolkning:</span> " + wanted in page  # in the transcript, at its time
    record = json.loads((site / names["record"]).read_text(encoding="utf-8"))
    assert record["captions"]["approved_by"] == "Ole Redaktør"
    assert record["captions"]["approved_at"] == approval.time
    assert record["captions"]["norms"]["max_line_chars"] == 42
    sync = record["captions"]["sync"]
    assert sync["measured"] >= sync["cues"] // 2 and sync["p90_ms"] >= sync["median_ms"] >= 0
    ad = record["audio_description"]
    assert ad["checked"] and ad["track"] == names["descriptions"]
    described = [f for f in ad["flags"] if f["decision"] == "describe"]
    assert [f["description"] for f in described] == [wanted]
    assert all(f["editor"] == "Ole Redaktør" for f in ad["flags"])
    assert record["transcript"]["page"] == "index.html" and record["published"]
    record_page = (site / names["record_page"]).read_text(encoding="utf-8")
    assert "Ole Redaktør" in record_page and wanted in record_page
    index = (layout.site / "index.html").read_text(encoding="utf-8")
    assert f'href="{SLUG}/{names["record_page"]}"' in index
    manifest = (layout.site / "manifest.json").read_text(encoding="utf-8")
    assert names["descriptions"] in manifest and names["record"] in manifest
    # The approval froze its decisions: one changed afterwards is not what the site publishes
    # (a run putting the site back reads the frozen copy) until someone approves again.
    (name_flag,) = [d for d in screenreview.load(layout.review, SLUG) if d.flag.kind == "name"]
    later = "Skærmtekst: en anden tekst, som ingen har godkendt."
    screenreview.decide(layout.review, SLUG, name_flag.flag.id, "describe", "Ole Redaktør", later)
    transcript = ReviewDesk(layout.review).approved_content(SLUG)[0]
    live = screenreview.published_descriptions(layout.review, SLUG, transcript)
    frozen = screenreview.published_descriptions(layout.review, SLUG, transcript, as_approved=True)
    assert [d.text for d in live] == [later] and [d.text for d in frozen] == [wanted]


def test_decisions_in_the_file_count_as_in_the_studio(produced) -> None:
    layout, _ = produced
    path = screenreview.decisions_path(layout.review, SLUG)
    text = path.read_text(encoding="utf-8")
    text = text.replace('decision = ""', 'decision = "not needed"')
    text = text.replace('editor = ""', 'editor = "Lise Fil"')
    path.write_text(text, encoding="utf-8")
    pipeline.approve_and_publish(layout, SLUG, "Lise Fil")
    assert layout.video_dir(SLUG).is_dir()
    assert not (layout.video_dir(SLUG) / file_names(SLUG)["descriptions"]).exists()


def test_a_broken_decision_file_is_named_and_kept(produced) -> None:
    layout, _ = produced
    path = screenreview.decisions_path(layout.review, SLUG)
    path.write_text(path.read_text(encoding="utf-8") + "\n[[flag]\n", encoding="utf-8")
    broken = path.read_text(encoding="utf-8")
    with pytest.raises(VideokitError) as refused:
        pipeline.approve_and_publish(layout, SLUG, "Lise Fil")
    assert "kan ikke læses" in refused.value.message
    assert path.read_text(encoding="utf-8") == broken  # the editor's file is not overwritten


def test_the_studio_lists_flags_records_decisions_and_refuses_approval_until_done(produced):
    from fastapi.testclient import TestClient

    from videokit.studio import Studio, make_app
    from videokit.workspace import Project

    layout, _ = produced
    token, origin = "t" * 32, "http://127.0.0.1:8765"
    client = TestClient(make_app(Studio(Project.locate(layout.out.parent), token, origin)),
                        base_url=origin)  # fmt: skip
    headers = {"X-Videokit-Token": token, "Origin": origin}
    flags = client.get(f"/api/{SLUG}/screen", headers=headers).json()["flags"]
    url = next(f for f in flags if f["text"] == URL)
    assert url["kind"] == "webadresse" and url["description"].startswith("Skærmtekst")
    refused = client.post(f"/api/{SLUG}/approve", headers=headers, json={"editor": "Ole"})
    assert refused.status_code == 422 and URL in refused.json()["error"]
    # A decision from another site is refused; one without a name is refused and says why.
    foreign = {"X-Videokit-Token": token, "Origin": "http://evil.example"}
    body = {"choice": "describe", "editor": "Ole Redaktør", "description": "Adresse: eksempel.dk"}
    assert (
        client.post(f"/api/{SLUG}/screen/{url['id']}", headers=foreign, json=body).status_code
        == 403
    )
    nameless = client.post(f"/api/{SLUG}/screen/{url['id']}", headers=headers,
                           json={**body, "editor": " "})  # fmt: skip
    assert nameless.status_code == 422 and "navn" in nameless.json()["error"]
    for f in flags:
        answer = client.post(f"/api/{SLUG}/screen/{f['id']}", headers=headers, json=body)
        assert answer.status_code == 200 and answer.json()["flag"]["missing"] == ""
    on_file = screenreview.load(layout.review, SLUG)
    assert {(d.choice, d.editor, d.description) for d in on_file} == {
        ("describe", "Ole Redaktør", "Adresse: eksempel.dk")
    }
    page = client.get(f"/video/{SLUG}?token={token}").text
    assert page.count('src="/static/studio-screen.js') == 1
    assert client.get(f"/static/studio-screen.js?token={token}").status_code == 200
