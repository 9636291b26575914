"""The review studio's server: saves through the review desk, approvals, and its safety rules.

Fast: the project is made by the real pipeline step with a fake model and no ffmpeg (as in
test_pipeline.py), and requests go through FastAPI's test client.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from clips import silent_video
from videokit import pipeline
from videokit.cli import build_parser
from videokit.config import Settings
from videokit.cuegrid import page_cues as read_page_cues
from videokit.draft import Source
from videokit.edits import parse_srt
from videokit.engines import DEFAULT_ASR
from videokit.errors import TranscriptError
from videokit.media import MediaInfo
from videokit.norms import check_cues
from videokit.review import ReviewDesk, SaveConflict
from videokit.speakers import speaker_problem
from videokit.studio import MAX_BODY, Studio, cue_json, make_app, overview, running
from videokit.transcript import Cue, Segment, Transcript, Word
from videokit.workspace import Layout, Project, VideoJob

DURATION = 12_000
SLUG = "moede"
TOKEN = "test-token-123"
ORIGIN = "http://testserver"
TEXTS = (
    "Byrådet holder møde i aften om budgettet.",
    "Alle borgere kan stille spørgsmål til sidst.",
)


class FakeModel:
    """Stands in for a loaded Whisper: keeps the draft's rough times."""

    ref = "fake"

    def __init__(self) -> None:
        self.spec = type("Spec", (), {"sha256": "fake-model"})()
        self.settings = DEFAULT_ASR  # what keys its drafts in the cache
        self.asr = self

    def align(self, audio, windows):
        return [None for _ in windows]


def machine() -> Transcript:
    segments, t = [], 1000
    for text in TEXTS:
        words, start = [], t
        for token in text.split():
            # "budgettet." is a word the recogniser was unsure of.
            words.append(Word(" " + token, t, t + 350, 0.2 if "budget" in token else 0.9))
            t += 400
        segments.append(Segment(start, t, " " + text, tuple(words)))
        t += 2000
    return Transcript("da", DURATION, tuple(segments), model="fake@1")


def produce(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    media: bool = False,
    cut: list[Cue] | None = None,
) -> Layout:
    """One produced video; with ``media``, a real (silent) file and its preview encoding; with
    ``cut``, an editor's SRT with exactly these cues, read by a second run."""
    path = tmp_path / "media" / "Møde.mp4"
    path.parent.mkdir(exist_ok=True)
    if media:
        silent_video(path, DURATION / 1000)
    elif not path.exists():
        path.write_bytes(b"not decoded: load_samples is faked")
    speech = (0.3 * np.sin(np.arange(DURATION * 16) / 5)).astype(np.float32)  # heard throughout
    monkeypatch.setattr(pipeline, "load_samples", lambda _s: speech)
    monkeypatch.setenv("VIDEOKIT_CACHE_DIR", str(tmp_path / "cache"))
    source = Source(VideoJob(path, SLUG), "cd" * 32, MediaInfo(DURATION))
    layout = Layout(tmp_path / "build", tmp_path / "review")
    if media:
        pipeline.encode_preview(source, layout)
    pipeline.caption_and_review(layout, source, machine(), FakeModel(), Settings())
    if cut is not None:
        from videokit.edits import to_review_srt

        ReviewDesk(layout.review).srt_path(SLUG).write_text(to_review_srt(cut), encoding="utf-8")
        pipeline.caption_and_review(layout, source, machine(), FakeModel(), Settings())
    return layout


@pytest.fixture
def project(tmp_path, monkeypatch) -> Project:
    produce(tmp_path, monkeypatch)
    return Project.locate(tmp_path)


@pytest.fixture
def client(project) -> TestClient:
    return TestClient(make_app(Studio(project, TOKEN, ORIGIN)), base_url=ORIGIN)


H = {"X-Videokit-Token": TOKEN, "Origin": ORIGIN}


def load(client: TestClient) -> dict:
    response = client.get(f"/api/{SLUG}", headers=H)
    assert response.status_code == 200, response.text
    return response.json()


def save(client: TestClient, cues: list[dict], sha: str | None, headers=H):
    return client.post(f"/api/{SLUG}/save", json={"sha": sha, "cues": cues}, headers=headers)


def desk(project: Project) -> ReviewDesk:
    return ReviewDesk(project.review)


# -- safety ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["/", f"/video/{SLUG}", f"/api/{SLUG}", f"/media/{SLUG}/captions.vtt", "/static/studio.js"],
)
def test_every_request_needs_the_token(client, url):
    assert client.get(url).status_code == 403
    assert client.get(url, params={"token": "wrong"}).status_code == 403
    assert client.get(url, params={"token": TOKEN}).status_code == 200
    assert client.get(url, headers={"X-Videokit-Token": TOKEN}).status_code == 200


def test_a_write_from_another_origin_is_refused_and_changes_nothing(client, project):
    data = load(client)
    before = desk(project).srt_path(SLUG).read_bytes()
    edited = [{**data["cues"][0], "text": "Ændret af en fremmed side."}, *data["cues"][1:]]
    foreign = {"X-Videokit-Token": TOKEN, "Origin": "http://evil.example"}
    assert save(client, edited, data["sha"], foreign).status_code == 403
    no_origin = {"X-Videokit-Token": TOKEN}
    assert save(client, edited, data["sha"], no_origin).status_code == 403
    bad_referer = {"X-Videokit-Token": TOKEN, "Referer": "http://testserver.evil.example/x"}
    assert save(client, edited, data["sha"], bad_referer).status_code == 403
    approve = client.post(f"/api/{SLUG}/approve", json={"editor": "X"}, headers=foreign)
    assert approve.status_code == 403
    assert desk(project).srt_path(SLUG).read_bytes() == before
    assert not desk(project).approvals(SLUG)
    # The studio's own page as referer is its own origin.
    own = {"X-Videokit-Token": TOKEN, "Referer": f"{ORIGIN}/video/{SLUG}?token={TOKEN}"}
    assert save(client, edited, data["sha"], own).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/api/..%2F..%2Fetc%2Fpasswd",
        "/video/..%2Freview",
        "/media/..%2Fbuild/video.mp4",
        "/media/%2E%2E/captions.vtt",
        "/api/MOEDE",
        "/api/findes-ikke",
        "/static/..%2F..%2Fpyproject.toml",
        "/static/videokit.css",
    ],
)
def test_slugs_and_paths_outside_the_project_are_refused(client, url):
    response = client.get(url, headers=H)
    assert response.status_code == 404, (url, response.text[:200])


def test_a_write_to_a_slug_with_dots_is_refused(client, project):
    response = client.post("/api/..%2F..%2Fx/save", json={"sha": None, "cues": []}, headers=H)
    assert response.status_code == 404
    assert not (project.root.parent / "x").exists()


def test_request_bodies_are_limited(client):
    big = {"sha": None, "cues": [], "pad": "x" * (MAX_BODY + 1)}
    assert client.post(f"/api/{SLUG}/save", json=big, headers=H).status_code == 413


def test_pages_carry_no_editor_text_and_forbid_inline_script(client, project):
    data = load(client)
    hostile = '<script>alert(1)</script> & "citat"'
    cues = [{**data["cues"][0], "text": hostile}, *data["cues"][1:]]
    assert save(client, cues, data["sha"]).status_code == 200
    page = client.get(f"/video/{SLUG}", params={"token": TOKEN})
    assert "<script>alert" not in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert load(client)["cues"][0]["text"] == hostile  # data, for textContent on the page


# -- saving ----------------------------------------------------------------------------------------


def test_a_save_goes_through_the_desk_and_the_next_run_keeps_it(
    client, project, tmp_path, monkeypatch
):
    data = load(client)
    cues = data["cues"]
    cues[0] = {
        **cues[0],
        "text": "Byrådet holder møde i aften om budgettet.",
        "speaker": "Mette Hansen",
    }
    cues[-1] = {**cues[-1], "end_ms": cues[-1]["end_ms"] - 100}
    response = save(client, cues, data["sha"])
    assert response.status_code == 200, response.text
    again = load(client)
    assert again["sha"] == response.json()["sha"] != data["sha"]
    assert again["cues"] == cues
    assert desk(project).status(SLUG) == ("in review", "srt")
    assert "Mette Hansen: Byrådet" in desk(project).txt_path(SLUG).read_text(encoding="utf-8")
    produce(tmp_path, monkeypatch)  # the next run reads the same version, and keeps it
    assert load(client)["cues"] == cues
    assert desk(project).status(SLUG) == ("in review", "srt")


def test_a_stale_save_is_refused_and_both_versions_are_kept(client, project):
    data = load(client)
    first = [{**data["cues"][0], "text": "Første fane."}, *data["cues"][1:]]
    second = [{**data["cues"][0], "text": "Anden fane."}, *data["cues"][1:]]
    assert save(client, first, data["sha"]).status_code == 200
    on_disk = desk(project).srt_path(SLUG).read_bytes()
    refused = save(client, second, data["sha"])
    assert refused.status_code == 409
    assert "ændret et andet sted" in refused.json()["error"]
    assert "/" not in refused.json()["error"], "no server paths in what an editor reads"
    assert desk(project).srt_path(SLUG).read_bytes() == on_disk
    kept = list((desk(project).history_dir(SLUG) / "conflicts").iterdir())
    assert len(kept) == 1 and "Anden fane." in kept[0].read_text(encoding="utf-8")
    assert load(client)["cues"][0]["text"] == "Første fane."


def test_a_file_edited_on_disk_since_loading_is_not_overwritten(client, project):
    data = load(client)
    path = desk(project).srt_path(SLUG)
    path.write_text(path.read_text(encoding="utf-8").replace("Byrådet", "Kommunen"), "utf-8")
    edited = [{**data["cues"][0], "text": "Fra studiet."}, *data["cues"][1:]]
    assert save(client, edited, data["sha"]).status_code == 409
    assert "Kommunen" in path.read_text(encoding="utf-8")


def test_an_unread_text_view_edit_blocks_a_save(client, project):
    data = load(client)
    txt = desk(project).txt_path(SLUG)
    txt.write_text("Helt ny tekst fra en teksteditor.\n", encoding="utf-8")
    edited = [{**data["cues"][0], "text": "Fra studiet."}, *data["cues"][1:]]
    response = save(client, edited, data["sha"])
    assert response.status_code == 409 and "tekstudgaven" in response.json()["error"]
    assert txt.read_text(encoding="utf-8") == "Helt ny tekst fra en teksteditor.\n"


def test_a_malformed_save_gets_the_file_edits_line_numbered_message(client, project):
    data = load(client)
    past_end = [*data["cues"], {"start_ms": DURATION + 2000, "end_ms": DURATION + 3000,
                                "text": "Efter videoen.", "speaker": None}]  # fmt: skip
    before = desk(project).srt_path(SLUG).read_bytes()
    response = save(client, past_end, data["sha"])
    assert response.status_code == 422
    n = len(past_end)
    assert response.json()["problems"] == [
        {"cue": n - 1, "message": "slutter (00:00:15,000) efter videoens slutning (00:00:12,000)"}
    ]
    assert f"Tekst {n}: slutter" in response.json()["error"]
    # The desk refuses the same cue (here by SRT line): one rule, said per cue number above.
    with pytest.raises(TranscriptError):
        from videokit.edits import to_review_srt

        parse_srt(
            to_review_srt([Cue(DURATION + 2000, DURATION + 3000, ("x",))]), duration_ms=DURATION
        )
    assert desk(project).srt_path(SLUG).read_bytes() == before
    empty = [{**data["cues"][0], "text": "  "}, *data["cues"][1:]]
    response = save(client, empty, data["sha"])
    assert response.status_code == 422 and "Tekst 1: teksten er tom" in response.json()["error"]
    backwards = [data["cues"][0], {**data["cues"][1], "end_ms": data["cues"][1]["start_ms"] - 1}]
    response = save(client, backwards, data["sha"])
    assert (
        response.json()["problems"][0]["cue"] == 1 and "før den starter" in response.json()["error"]
    )


def test_the_desk_keeps_an_edit_it_replaces(project):
    d = desk(project)
    path = d.srt_path(SLUG)
    by_hand = path.read_text(encoding="utf-8").replace("Byrådet", "Kommunen")
    path.write_text(by_hand, encoding="utf-8")
    sha = d.view_sha(SLUG)
    d.save_srt(SLUG, by_hand.replace("Kommunen", "Regionen"), sha)
    kept = list((d.history_dir(SLUG) / "superseded").iterdir())
    assert [k.read_text(encoding="utf-8") for k in kept] == [by_hand]
    with pytest.raises(SaveConflict):
        d.save_srt(SLUG, by_hand, sha)


def wait_for_job(client: TestClient, timeout_s: float = 120) -> list[dict]:
    """Every state of the approval job seen while polling, until it has finished."""
    seen: list[dict] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = client.get(f"/api/{SLUG}/approve", headers=H).json()["job"]
        if not seen or seen[-1] != job:
            seen.append(job)
        if job["state"] != "running":
            return seen
        time.sleep(0.1)
    raise AssertionError(f"the job did not finish: {seen[-1]}")


# -- checks, re-flow and approval ------------------------------------------------------------------


def test_norms_and_unsure_words_come_from_the_engines_rules(client):
    data = load(client)
    long_line = "Dette er en alt for lang linje, som ingen seer kan nå at læse færdig."
    cues = [{**data["cues"][0], "text": long_line}, *data["cues"][1:]]
    found = client.post(f"/api/{SLUG}/check", json={"cues": cues}, headers=H).json()
    rules = {(v["cue"], v["rule"]) for v in found["violations"]}
    assert (0, "line_chars") in rules and (0, "cps") in rules
    assert found["error"] == ""
    original = client.post(f"/api/{SLUG}/check", json={"cues": data["cues"]}, headers=H).json()
    assert not any(v["cue"] == 0 and v["rule"] == "line_chars" for v in original["violations"])
    assert "budgettet." in [w for words in original["unsure"].values() for w in words]
    # The editor replaced the unsure word: nothing left to mark.
    assert "budgettet." not in [w for words in found["unsure"].values() for w in words]


def test_reflow_lays_out_the_corrected_text(client):
    data = load(client)
    merged = [{"start_ms": data["cues"][0]["start_ms"], "end_ms": data["cues"][-1]["end_ms"],
               "text": " ".join(c["text"].replace("\n", " ") for c in data["cues"]),
               "speaker": None}]  # fmt: skip
    response = client.post(f"/api/{SLUG}/reflow", json={"cues": merged}, headers=H)
    assert response.status_code == 200, response.text
    cues = response.json()["cues"]
    assert len(cues) >= 2
    words = " ".join(c["text"].replace("\n", " ") for c in cues).split()
    assert words == " ".join(TEXTS).split()


@pytest.mark.slow
def test_approving_in_the_studio_publishes_the_saved_edit(tmp_path, monkeypatch):
    # The project's own settings reach the background work: one small format keeps it quick.
    (tmp_path / "videokit.toml").write_text('[social]\nformats = ["9:16"]\nshort_side = 180\n')
    produce(tmp_path, monkeypatch, media=True)
    project = Project.locate(tmp_path)
    client = TestClient(make_app(Studio(project, TOKEN, ORIGIN)), base_url=ORIGIN)
    data = load(client)
    cues = [{**data["cues"][0], "text": "Byrådet mødes i aften om budgettet."}, *data["cues"][1:]]
    assert save(client, cues, data["sha"]).status_code == 200
    refused = client.post(f"/api/{SLUG}/approve", json={"editor": " "}, headers=H)
    assert refused.status_code == 422 and "Dit navn" in refused.json()["error"]
    response = client.post(
        f"/api/{SLUG}/approve", json={"editor": "Mette", "note": "rettet i studiet"}, headers=H
    )
    assert response.status_code == 202, response.text
    assert response.json()["started"] and response.json()["job"]["state"] == "running"
    again = client.post(f"/api/{SLUG}/approve", json={"editor": "Mette"}, headers=H).json()
    assert not again["started"] and again["job"]["id"] == response.json()["job"]["id"]
    seen = wait_for_job(client)
    assert seen[-1]["state"] == "done", seen[-1]
    assert "Godkendt af Mette" in seen[-1]["message"] and "sociale medier" in seen[-1]["message"]
    [approval] = desk(project).approvals(SLUG)
    assert (approval.editor, approval.note) == ("Mette", "rettet i studiet")
    social = project.out / "social" / SLUG
    assert (social / f"{SLUG}-9x16-captions.mp4").is_file()
    assert not (social / f"{SLUG}-1x1.mp4").exists(), "only the formats videokit.toml asks for"
    site = project.out / "site" / SLUG
    assert "Byrådet mødes i aften" in (site / f"{SLUG}.da.vtt").read_text(encoding="utf-8")
    with zipfile.ZipFile(project.out / "videokit-site.zip") as z:
        vtt = z.read(f"{SLUG}/{SLUG}.da.vtt").decode()
    assert "Byrådet mødes i aften" in vtt
    overview = client.get("/", params={"token": TOKEN}).text
    assert "Godkendt" in overview and "Mette" in overview
    assert f"kl. {approval.time[11:16]} UTC" in overview


def test_the_overview_lists_state_and_findings(client, project):
    page = client.get("/", params={"token": TOKEN})
    assert page.status_code == 200
    assert f"/video/{SLUG}?token={TOKEN}" in page.text
    assert "Kladde" in page.text and "Ikke godkendt" in page.text
    studio = Studio(project, TOKEN, ORIGIN)
    [row] = overview(studio)
    cues_now = len(desk(project).current(SLUG)[1])
    assert (row["status"], row["cues"], row["unsure"], row["approvals"]) == (
        "Kladde",
        cues_now,
        1,
        [],
    )
    data = load(client)
    cues = [{**data["cues"][0], "text": "Byrådet holder møde i aften om skatten."}]
    assert save(client, cues + data["cues"][1:], data["sha"]).status_code == 200
    [row] = overview(studio)
    assert (row["status"], row["unsure"]) == ("Under gennemsyn", 0)
    assert row["violations"] == len(check_cues(desk(project).current(SLUG)[1]))


def test_the_served_studio_prints_a_tokened_loopback_url(project):
    with running(project) as url:
        assert url.startswith("http://127.0.0.1:") and "?token=" in url
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200
        bare = url.split("?", 1)[0]
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(bare, timeout=10)
        assert err.value.code == 403
        api = url.replace("/?token=", f"/api/{SLUG}?token=")
        with urllib.request.urlopen(api, timeout=10) as response:
            assert json.loads(response.read())["slug"] == SLUG


def test_a_spelling_goes_into_the_projects_glossary_once(client, project):
    (project.media / "glossary.txt").write_text("# stavemåder\nByrådet", encoding="utf-8")
    url = f"/api/{SLUG}/glossary"
    assert client.post(url, json={"term": " Aarhus  Kommune "}, headers=H).status_code == 200
    again = client.post(url, json={"term": "aarhus kommune"}, headers=H)
    assert "allerede" in again.json()["message"]
    for bad in ("", "a # b", "x" * 81):
        assert client.post(url, json={"term": bad}, headers=H).status_code == 422
    lines = (project.media / "glossary.txt").read_text(encoding="utf-8").splitlines()
    assert lines == ["# stavemåder", "Byrådet", "Aarhus Kommune"]


def test_a_cp1252_glossary_takes_a_new_spelling_and_becomes_utf8(client, project):
    """Was HTTP 500: the glossary button read the file as UTF-8 only."""
    (project.media / "glossary.txt").write_bytes("Århus\nKøge\n".encode("cp1252"))
    response = client.post(f"/api/{SLUG}/glossary", json={"term": "Ærø"}, headers=H)
    assert response.status_code == 200, response.text
    lines = (project.media / "glossary.txt").read_text(encoding="utf-8").splitlines()
    assert lines == ["Århus", "Køge", "Ærø"]


# -- what the page and the server exchange ---------------------------------------------------------

_line = (
    st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1)
    .map(lambda t: " ".join(t.split()))
    .filter(bool)
)


@st.composite
def page_cues(draw) -> list[Cue]:
    cues, t = [], 0
    for _ in range(draw(st.integers(0, 5))):
        start = t + draw(st.integers(0, 2000))
        end = start + draw(st.integers(1, 5000))
        lines = tuple(draw(st.lists(_line, min_size=1, max_size=3)))
        # A name the editors' files can carry: the studio refuses any other (cuegrid).
        speaker = draw(
            st.none() | _line.filter(lambda n: speaker_problem(" ".join(n.split())) is None)
        )
        cues.append(Cue(start, end, lines, speaker))
        t = end
    return cues


@given(page_cues())
def test_the_pages_cue_format_round_trips(cues):
    sent = json.loads(json.dumps([cue_json(c) for c in cues]))
    if cues:
        assert read_page_cues(sent, None) == (cues, [])
    else:  # nothing to save is said, not saved
        assert read_page_cues(sent, None)[1][0].message.startswith("der er ingen tekster")


def test_a_file_that_does_not_parse_is_shown_and_kept_when_replaced(client, project):
    d = desk(project)
    good = load(client)
    path = d.srt_path(SLUG)
    broken = path.read_text(encoding="utf-8").replace(" --> ", " -> ", 1)
    path.write_text(broken, encoding="utf-8")
    data = load(client)
    assert "kan ikke læses" in data["problem"] and "line 2" in data["problem"]
    assert data["cues"] == good["cues"]  # the version in force, to correct from
    assert save(client, data["cues"], data["sha"]).status_code == 200
    kept = list((d.history_dir(SLUG) / "superseded").iterdir())
    assert [k.read_text(encoding="utf-8") for k in kept] == [broken]


def test_the_studio_command_parses():
    args = build_parser().parse_args(["studio", "--port", "0", "--project", "x"])
    assert (args.host, args.port, args.func.__name__) == ("127.0.0.1", 0, "_cmd_studio")


@pytest.mark.slow
def test_an_approval_that_cannot_be_recorded_is_a_message_and_publishes_nothing(
    tmp_path, monkeypatch
):
    produce(tmp_path, monkeypatch, media=True)
    project = Project.locate(tmp_path)
    client = TestClient(make_app(Studio(project, TOKEN, ORIGIN)), base_url=ORIGIN)
    history = desk(project).history_dir(SLUG)
    history.parent.mkdir(parents=True, exist_ok=True)
    history.write_text("a file where the history folder should be")
    response = client.post(f"/api/{SLUG}/approve", json={"editor": "Mette"}, headers=H)
    assert response.status_code == 202, response.text
    job = wait_for_job(client)[-1]
    assert job["state"] == "failed" and "kunne ikke skrives i historikken" in job["message"]
    assert str(project.root) not in job["message"]
    assert not (project.out / "site" / SLUG).exists() and not desk(project).approvals(SLUG)


def test_a_save_that_cannot_be_written_is_a_message_not_a_crash(client, project, monkeypatch):
    import videokit.review_saves as review_module  # where saves write

    data = load(client)
    before = desk(project).srt_path(SLUG).read_bytes()

    def read_only(path, _text):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(review_module, "write_text", read_only)
    cues = [{**data["cues"][0], "text": "Byrådet mødes i aften."}, *data["cues"][1:]]
    response = save(client, cues, data["sha"])
    assert response.status_code == 422 and "kunne ikke skrives" in response.json()["error"]
    assert desk(project).srt_path(SLUG).read_bytes() == before
