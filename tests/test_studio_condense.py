"""The studio's condensing panel: the same proposals as the review file, decided per cue."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from test_condense_review import fast_machine
from test_pipeline import FakeModel, run, video  # noqa: F401  (fixture)
from videokit import condense_review
from videokit.cuegrid import page_cues
from videokit.review import ReviewDesk
from videokit.studio import Studio, cue_json, make_app
from videokit.transcript import Cue
from videokit.workspace import Project


def cues_from_json(data):
    """The page's cues as the studio takes them (videokit.cuegrid.page_cues), none refused."""
    cues, problems = page_cues(data, None)
    assert not problems, problems
    return cues


TOKEN = "test-token-123"
ORIGIN = "http://testserver"
H = {"X-Videokit-Token": TOKEN, "Origin": ORIGIN}


@pytest.fixture
def client(video, monkeypatch, tmp_path):  # noqa: F811
    monkeypatch.setenv("VIDEOKIT_CACHE_DIR", str(tmp_path / "cache"))
    run(video, FakeModel(), fast_machine())
    studio = Studio(Project.locate(tmp_path), TOKEN, ORIGIN)
    return TestClient(make_app(studio), base_url=ORIGIN), video[1]


def test_the_panel_lists_the_review_files_proposals(client):
    http, _layout = client
    data = http.get("/api/moede/condensing", headers=H).json()
    (p,) = data["proposals"]
    assert p["mark"] == " " and p["before"][0].startswith("Øh,")
    assert {"text": "Øh,", "rule": "tøven"} in p["cuts"]
    assert data["profile"] == "web"


def test_accepting_puts_the_proposal_in_force_and_keeps_every_word_in_the_transcript(client):
    http, layout = client
    (p,) = http.get("/api/moede/condensing", headers=H).json()["proposals"]
    answer = http.post(
        "/api/moede/condensing", json={"start_ms": p["start_ms"], "mark": "x"}, headers=H
    )
    assert answer.status_code == 200, answer.text
    cues = http.get("/api/moede", headers=H).json()["cues"]
    assert cues[0]["text"].replace("\n", " ") == " ".join(p["after"])
    desk = ReviewDesk(layout.review)
    transcript, _ = desk.current("moede")
    assert "Øh," in transcript.text
    assert "[x]" in condense_review.path_for(desk, "moede").read_text()


def test_rejecting_changes_nothing_but_the_mark(client):
    http, _layout = client
    (p,) = http.get("/api/moede/condensing", headers=H).json()["proposals"]
    before = http.get("/api/moede", headers=H).json()["cues"]
    http.post("/api/moede/condensing", json={"start_ms": p["start_ms"], "mark": "-"}, headers=H)
    assert http.get("/api/moede", headers=H).json()["cues"] == before
    (again,) = http.get("/api/moede/condensing", headers=H).json()["proposals"]
    assert again["mark"] == "-"


def test_the_panel_is_behind_the_studios_token_and_origin(client):
    http, _layout = client
    assert http.get("/api/moede/condensing").status_code == 403
    foreign = {"X-Videokit-Token": TOKEN, "Origin": "http://evil.example"}
    answer = http.post("/api/moede/condensing", json={"start_ms": 0, "mark": "x"}, headers=foreign)
    assert answer.status_code == 403
    assert (
        http.post("/api/moede/condensing", json={"start_ms": 1, "mark": "?"}, headers=H).status_code
        == 400
    )


def test_the_editing_page_loads_the_panels_script(client):
    http, _layout = client
    page = http.get("/video/moede", headers=H).text
    assert "/condense/studio-condense.js" in page
    script = http.get("/condense/studio-condense.js", headers=H)
    assert script.headers["content-type"].startswith("text/javascript")
    assert "textContent" in script.text and "innerHTML" not in script.text


def test_the_studio_keeps_the_speaker_of_each_line():
    cue = Cue(0, 2000, ("-Her er vi.", "-Hvem er det?"), None, ("Anne", "Bo"))
    assert cues_from_json([cue_json(cue)]) == [cue]
    # A line added by the editor: the voices no longer match, the cue has none.
    data = {**cue_json(cue), "text": "-Her er vi.\n-Hvem er det?\nRegitze!"}
    assert cues_from_json([data])[0].voices == ()
