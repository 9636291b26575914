"""The studio's kept and background work: unsaved work, its key, the cue grid's checks, spelling,
the timeline and the job registry (server side; the browser walk is test_studio_browser.py)."""

from __future__ import annotations

import stat
import threading
import time

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from test_studio import ORIGIN, SLUG, TOKEN, H, load, produce, project  # noqa: F401  (a fixture)
from videokit.cuegrid import CueProblem, cue_numbers, keep_timing, page_cues
from videokit.jobs import DONE, FAILED, Job, Jobs
from videokit.norms import CaptionNorms
from videokit.spelling import Speller
from videokit.studio import Studio, make_app, running
from videokit.studiostore import CheckedWords, Unsaved, UnsavedStore, project_key
from videokit.timeline import Timeline, heights
from videokit.transcript import Cue

EDITOR = "editor-0123456789"


@pytest.fixture
def client(project) -> TestClient:  # noqa: F811
    return TestClient(make_app(Studio(project, TOKEN, ORIGIN)), base_url=ORIGIN)


# -- nothing lost ----------------------------------------------------------------------------------


def test_unsaved_work_is_kept_per_editor_offered_back_and_dropped_on_save(client, project):  # noqa: F811
    data = load(client)
    edited = [{**data["cues"][0], "text": "Halvfærdig rettelse"}, *data["cues"][1:]]
    url = f"/api/{SLUG}/unsaved"
    kept = client.post(
        url, json={"editor_id": EDITOR, "sha": data["sha"], "cues": edited}, headers=H
    )
    assert kept.status_code == 200 and kept.json()["kept"]
    # The review files are untouched: saving is still the editor's act.
    assert load(client)["cues"] == data["cues"]
    # A restarted studio (a new app on the same project) offers it back.
    again = TestClient(make_app(Studio(project, TOKEN, ORIGIN)), base_url=ORIGIN)
    offered = again.get(url, params={"editor": EDITOR}, headers=H).json()["unsaved"]
    assert offered["cues"] == edited and offered["sha"] == data["sha"]
    other = again.get(url, params={"editor": "someone-else-42"}, headers=H).json()
    assert other["unsaved"] is None
    saved = again.post(
        f"/api/{SLUG}/save",
        json={"sha": data["sha"], "cues": edited, "editor_id": EDITOR},
        headers=H,
    )
    assert saved.status_code == 200
    assert again.get(url, params={"editor": EDITOR}, headers=H).json()["unsaved"] is None


def test_unsaved_work_can_be_dropped_and_bad_ids_are_refused(client):
    url = f"/api/{SLUG}/unsaved"
    client.post(url, json={"editor_id": EDITOR, "sha": None, "cues": []}, headers=H)
    client.post(url, json={"editor_id": EDITOR, "drop": True}, headers=H)
    assert client.get(url, params={"editor": EDITOR}, headers=H).json()["unsaved"] is None
    for bad in ("../../x", "short", ""):
        response = client.post(url, json={"editor_id": bad, "cues": []}, headers=H)
        assert response.status_code == 400


def test_the_key_survives_a_restart_and_only_its_owner_reads_it(project):  # noqa: F811
    with running(project) as first:
        pass
    with running(project) as second:
        pass
    assert first.split("token=")[1] == second.split("token=")[1] == project_key(project.out)
    mode = (project.out / "studio" / "key").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600
    assert first.startswith("http://127.0.0.1:")


# -- the cue grid ----------------------------------------------------------------------------------


def test_cues_are_checked_as_cues_with_danish_reasons_by_number():
    ok = {"start_ms": 0, "end_ms": 1000, "text": "Hej", "speaker": None}
    cues, problems = page_cues([ok, {**ok, "start_ms": 500, "end_ms": 1500}], 10_000)
    assert cues == [] and [str(p) for p in problems] == [
        "Tekst 2: starter (00:00:00,500) før den forrige tekst slutter (00:00:01,000)"
    ]
    cues, problems = page_cues([ok, {**ok, "start_ms": 2000, "end_ms": 2000}], 10_000)
    assert "samme tid" in problems[0].message and problems[0].index == 1
    cues, problems = page_cues([ok], 10_000)
    assert cues == [Cue(0, 1000, ("Hej",))] and problems == []


def test_the_grid_shows_the_margin_to_every_norm():
    norms = CaptionNorms()
    numbers = cue_numbers(Cue(0, 2000, ("Hej med dig", "og farvel")), norms)
    assert numbers["line_chars"] == [11, 9] and numbers["duration_ms"] == 2000
    assert numbers["cps"] == 10.5 and numbers["margin"]["cps"] == 6.5
    assert numbers["margin"]["line_chars"] == 31 and numbers["margin"]["lines"] == 0
    fast = cue_numbers(Cue(0, 500, ("En alt for lang tekst til så kort tid",)), norms)
    assert fast["margin"]["cps"] < 0 and fast["margin"]["min_duration_ms"] == -333


def test_a_reflow_keeps_the_timing_of_cues_whose_text_did_not_change():
    before = [
        Cue(1000, 2500, ("Første tekst.",)),
        Cue(3000, 4000, ("to", "små")),
        Cue(5000, 7000, ("Sidst.",)),
    ]
    after = [
        Cue(900, 2400, ("Første tekst.",)),
        Cue(2900, 4100, ("to små",)),
        Cue(4900, 7100, ("Sidst.",)),
    ]
    kept = keep_timing(before, after)
    assert (kept[0].start_ms, kept[0].end_ms) == (1000, 2500)
    assert (kept[1].start_ms, kept[1].end_ms) == (2900, 4100)  # changed: the new layout's times
    assert (kept[2].start_ms, kept[2].end_ms) == (5000, 7000)


# -- spelling --------------------------------------------------------------------------------------

speller_or_skip = Speller.load(["Mette", "Hansen"])


@pytest.mark.skipif(
    speller_or_skip is None, reason="hunspell-da is not installed (make system-deps)"
)
def test_danish_words_pass_typos_are_flagged_and_glossary_names_are_accepted():
    speller = speller_or_skip
    assert speller is not None
    assert speller.misspelled("Forskningen viser, at sprafene ændrer sig. Mette Hansen") == [
        "sprafene"
    ]
    assert speller.suggest("sprafene")
    assert speller.misspelled("Sproget") == []  # a sentence start in capitals


@pytest.mark.skipif(
    speller_or_skip is None, reason="hunspell-da is not installed (make system-deps)"
)
def test_the_check_lists_misspellings_and_an_added_word_is_accepted(client, project):  # noqa: F811
    (project.media / "glossary.txt").write_text("Kvistgaard Kommune\n", encoding="utf-8")
    data = load(client)
    cues = [
        {**data["cues"][0], "text": "Kvistgaard har sprafene og blomkålsbrød"},
        *data["cues"][1:],
    ]
    found = client.post(f"/api/{SLUG}/check", json={"cues": cues}, headers=H).json()
    wrong = [w["word"] for w in found["spelling"]["0"]]
    assert "sprafene" in wrong and "Kvistgaard" not in wrong
    added = client.post(f"/api/{SLUG}/words", json={"word": "sprafene"}, headers=H)
    assert added.status_code == 200 and "tilføjet" in added.json()["message"]
    found = client.post(f"/api/{SLUG}/check", json={"cues": cues}, headers=H).json()
    assert "sprafene" not in [w["word"] for w in found["spelling"].get("0", [])]
    assert (project.media / "spelling.txt").read_text(encoding="utf-8") == "sprafene\n"


# -- the timeline ----------------------------------------------------------------------------------


def test_levels_become_bar_heights():
    assert heights([float("-inf"), -60.0, -30.0, 0.0, -90.0]) == [0, 0, 50, 100, 0]


@pytest.mark.slow
def test_the_timeline_is_computed_once_and_served(tmp_path, monkeypatch):
    produce(tmp_path, monkeypatch, media=True)
    from videokit.workspace import Project

    client = TestClient(make_app(Studio(Project.locate(tmp_path), TOKEN, ORIGIN)), base_url=ORIGIN)
    first = client.get(f"/api/{SLUG}/timeline", headers=H)
    assert first.status_code == 200, first.text
    data = first.json()
    # One bar per 20 ms of the 12 s video (the encoder pads a few frames); it is silent.
    assert data["frame_ms"] == 20 and abs(len(data["peaks"]) - 12_000 // 20) <= 5
    assert max(data["peaks"]) == 0 and data["speech"] == []
    cached = tmp_path / "build" / "studio" / "timeline" / f"{SLUG}.json"
    stamp = cached.stat().st_mtime_ns
    assert client.get(f"/api/{SLUG}/timeline", headers=H).json() == data
    assert cached.stat().st_mtime_ns == stamp


# -- jobs ------------------------------------------------------------------------------------------


def test_a_second_start_while_a_job_runs_gets_the_running_job():
    jobs, release = Jobs(), threading.Event()

    def work(progress):
        progress(1, 2, "halvvejs")
        release.wait(5)
        return "færdig"

    job, started = jobs.start("approve", "x", work, 2)
    again, second = jobs.start("approve", "x", work, 2)
    assert started and not second and again.id == job.id
    release.set()
    for _ in range(100):
        if jobs.get("approve", "x").state != "running":
            break
        time.sleep(0.02)
    assert (jobs.get("approve", "x").state, jobs.get("approve", "x").message) == (DONE, "færdig")

    def broken(progress):
        raise RuntimeError("gik galt")

    jobs.start("approve", "x", broken)
    for _ in range(100):
        if jobs.get("approve", "x").state != "running":
            break
        time.sleep(0.02)
    assert (jobs.get("approve", "x").state, jobs.get("approve", "x").message) == (
        FAILED,
        "gik galt",
    )


# -- formats written and read back -----------------------------------------------------------------

_text = st.text(max_size=20)


@given(
    st.builds(
        Unsaved,
        _text,
        st.none() | _text,
        st.lists(st.dictionaries(_text, _text), max_size=3).map(tuple),
        _text,
    )
)
def test_unsaved_work_round_trips(work):
    assert Unsaved.from_dict(work.to_dict()) == work


@given(
    st.builds(
        Job,
        _text,
        _text,
        _text,
        _text,
        st.integers(0, 9),
        st.integers(1, 9),
        _text,
        st.floats(0, 1e10),
        st.none() | st.floats(0, 1e10),
    )
)
def test_a_job_round_trips(job):
    assert Job.from_dict(job.to_dict()) == job


@given(
    st.builds(
        Timeline,
        _text,
        st.integers(1, 100),
        st.lists(st.integers(0, 100)).map(tuple),
        st.lists(st.tuples(st.integers(0, 10**7), st.integers(0, 10**7))).map(tuple),
        st.lists(st.integers(0, 10**7)).map(tuple),
    )
)
def test_a_timeline_round_trips(timeline):
    assert Timeline.from_dict(timeline.to_dict()) == timeline


@given(st.builds(CueProblem, st.integers(0, 10**4), _text))
def test_a_cue_problem_round_trips(problem):
    assert CueProblem.from_dict(problem.to_dict()) == problem


def test_the_unsaved_store_keeps_files_out_of_the_review_folder(project):  # noqa: F811
    UnsavedStore(project.out).put(SLUG, Unsaved(EDITOR, None, (), "t"))
    assert list((project.out / "studio" / "unsaved" / SLUG).iterdir())
    assert not list(project.review.rglob(f"{EDITOR}*"))


def test_the_speaker_of_the_videos_side_file_is_offered(client, project):  # noqa: F811
    (project.media / "Møde.toml").write_text('speaker = "Anne Als"\n', encoding="utf-8")
    assert "Anne Als" in load(client)["speakers"]


@pytest.mark.slow
def test_speech_and_shot_changes_are_found_in_a_real_recording(tmp_path):
    from clips import _ffmpeg, speech_video
    from videokit.media import shot_changes
    from videokit.timeline import compute

    spoken = compute(speech_video(tmp_path / "tale.mp4"), "k")
    assert spoken.speech and spoken.speech[0][0] >= 500  # the clip is silent for its first second
    assert max(spoken.peaks) > 30
    cut = tmp_path / "klip.mp4"
    _ffmpeg(
        *("-f", "lavfi", "-i", "color=c=red:s=160x90:r=25:d=2"),
        *("-f", "lavfi", "-i", "color=c=blue:s=160x90:r=25:d=2"),
        *("-filter_complex", "[0][1]concat=n=2:v=1", "-pix_fmt", "yuv420p", str(cut)),
    )
    assert shot_changes(cut) == [2000]


def test_a_checked_unsure_word_is_no_longer_flagged_here_or_in_the_overview(client, project):  # noqa: F811
    from videokit.studio import overview

    data = load(client)
    flagged = client.post(f"/api/{SLUG}/check", json={"cues": data["cues"]}, headers=H).json()
    [(cue, words)] = flagged["unsure"].items()
    answer = client.post(
        f"/api/{SLUG}/checked", json={"cue": data["cues"][int(cue)], "word": words[0]}, headers=H
    )
    assert answer.status_code == 200 and "tjekket" in answer.json()["message"]
    again = client.post(f"/api/{SLUG}/check", json={"cues": data["cues"]}, headers=H).json()
    assert again["unsure"] == {}
    [row] = overview(Studio(project, TOKEN, ORIGIN))
    assert row["unsure"] == 0


@given(st.sets(st.tuples(st.integers(0, 10**8), st.text(max_size=20)), max_size=5))
def test_checked_words_round_trip(tmp_path_factory, words):
    store = CheckedWords(tmp_path_factory.mktemp("checked"))
    store.add(SLUG, words)
    assert store.get(SLUG) == words
