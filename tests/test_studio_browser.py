"""The review studio in a real browser (headless Chromium, axe-core), as an editor uses it.

One project (a real, silent video; the draft from the pipeline step with a fake model), one
studio served on loopback as ``videokit studio`` serves it, and one run of
``tests/browser/studio.mjs``: overview, editing (text, timing, split, merge, speaker), save and
reload, a conflicting save from a second tab, a keyboard-only edit, approval, and axe-core on every
page. Screenshots go to ``build/screenshots/`` (the README shows ``studio-video.png``).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import pytest

import videokit
from test_browser import BROWSER_DIR, SCREENSHOTS, VNU_JAR, tools  # noqa: F401  (a fixture)
from test_studio import SLUG, produce
from videokit.cuegrid import page_cues
from videokit.edits import parse_srt
from videokit.review import ReviewDesk
from videokit.spelling import dictionary_dir
from videokit.studio import running
from videokit.transcript import Cue
from videokit.workspace import Project

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HOSTILE = "<img src=x onerror=alert(1)><script>alert(2)</script> & <b>fed</b>"
# Where the walk starts: three cues, the last a two-word fragment that a re-flow joins up. Given
# explicitly, so the walk does not depend on how the caption engine lays out the draft.
CUT = [
    Cue(1000, 3750, ("Byrådet holder møde i aften om budgettet.",)),
    Cue(5800, 7720, ("Alle borgere kan stille spørgsmål",)),
    Cue(7800, 8633, ("til sidst.",)),
]


@pytest.fixture(scope="module")
def seen(tmp_path_factory: pytest.TempPathFactory, tools: str) -> dict[str, Any]:  # noqa: F811
    tmp = tmp_path_factory.mktemp("studio")
    with pytest.MonkeyPatch.context() as monkeypatch:
        produce(tmp, monkeypatch, media=True, cut=CUT)
    project = Project.locate(tmp)
    # A name from the glossary is not a spelling mistake.
    (project.media / "glossary.txt").write_text("Kvistgaard\n", encoding="utf-8")
    with socket.socket() as probe:  # a free port for the studio the walk stops and restarts
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with running(project) as url:
        pages = {"overview": url, "editor": url.replace("/?token=", f"/video/{SLUG}?token=")}
        for name, address in pages.items():
            with urllib.request.urlopen(address, timeout=30) as response:
                (tmp / f"{name}.html").write_bytes(response.read())
        config = {
            "url": url,
            "slug": SLUG,
            "hostile": HOSTILE,
            "chromium": tools,
            "screenshots": str(SCREENSHOTS),
            "out": str(tmp / "results.json"),
            "studio": [
                sys.executable,
                "-c",
                "import sys; from videokit.cli import main; sys.exit(main(sys.argv[1:]))",
                *("studio", "--project", str(project.root), "--port", str(port)),
            ],
            "studioEnv": {**os.environ, "PYTHONPATH": str(Path(videokit.__file__).parents[1])},
            "studioUrl": f"http://127.0.0.1:{port}/video/{SLUG}?token={url.split('token=')[1]}",
        }
        (tmp / "config.json").write_text(json.dumps(config), encoding="utf-8")
        run = subprocess.run(
            ["node", str(BROWSER_DIR / "studio.mjs"), str(tmp / "config.json")],
            capture_output=True,
            text=True,
            timeout=400,
            cwd=BROWSER_DIR,
        )
    assert run.returncode == 0, f"studio.mjs failed:\n{run.stdout}\n{run.stderr}"
    results: dict[str, Any] = json.loads((tmp / "results.json").read_text(encoding="utf-8"))
    results["project"] = project
    results["steps"] = {s["name"]: s for s in results["steps"]}
    vnu = subprocess.run(
        ["java", "-Xss4m", "-jar", str(VNU_JAR), "--errors-only", "--format", "json"]
        + [str(tmp / f"{name}.html") for name in pages],
        capture_output=True,
        text=True,
        timeout=120,
    )
    results["vnu"] = json.loads(vnu.stderr or vnu.stdout)["messages"]
    return results


def test_axe_finds_no_violations_on_any_studio_page(seen):
    assert set(seen["axe"]) == {
        "overview",
        "editor",
        "editor-edited",
        "editor-timeline",
        "editor-find",
        "editor-spelling",
        "editor-restore",
        "editor-queued",
        "editor-approving",
        "editor-approved",
        "overview-approved",
    }
    for page, found in seen["axe"].items():
        assert found["passes"] > 10, f"axe checked almost nothing on {page}"
        assert not found["violations"], f"{page}: {json.dumps(found['violations'], indent=1)}"


def test_the_studio_pages_are_valid_html(seen):
    assert not seen["vnu"], seen["vnu"]


def test_the_pages_load_cleanly(seen):
    assert not seen["pageErrors"] and not seen["consoleErrors"] and not seen["dialogs"], seen
    # The refused save of the second tab is the one answer >= 400 the walk asks for.
    expected = [r for r in seen["badResponses"] if r["page"] == "tab C" and r["status"] == 409]
    assert len(expected) == 1, seen["badResponses"]
    missing = [
        r
        for r in seen["badResponses"]
        if r not in expected and not r["url"].endswith("/favicon.ico")
    ]
    assert not missing, missing


def test_the_cue_under_the_playhead_is_highlighted(seen):
    playing = seen["steps"]["playing"]
    assert playing["playing"] == [False, True, False]
    assert playing["current"] == playing["cue1"]


def test_unsure_words_are_marked_until_the_editor_replaces_them(seen):
    loaded = seen["steps"]["loaded"]
    assert loaded["marked"] == ["budgettet."]
    assert "1 usikre ord" in loaded["summary"]
    replaced = seen["steps"]["replaced"]
    assert replaced["marked"] == [] and "0 usikre ord" in replaced["summary"]


def test_an_edit_survives_save_and_reload(seen):
    steps = seen["steps"]
    assert len(steps["split"]["texts"]) == 4
    assert steps["split"]["texts"][:2] == ["Byrådet mødes i aften", "om budgettet."]
    assert len(steps["merged"]["texts"]) == 3
    reloaded = steps["reloaded"]
    assert reloaded["texts"] == [
        "Byrådet mødes i aften",
        "om budgetforslaget.",
        "Alle borgere kan stille spørgsmål\ntil sidst.",
    ]
    assert reloaded["player"] == reloaded["texts"]  # the player shows the captions as edited
    assert "budgetforslaget" in steps["replaced"]["status"]
    glossary = seen["project"].media / "glossary.txt"
    assert glossary.read_text(encoding="utf-8").splitlines() == ["Kvistgaard", "budgetforslaget"]
    assert reloaded["speakers"] == ["Mette Hansen", "", ""]
    assert "spil fra 00:00:01,200 – " in reloaded["times"][0]
    assert not reloaded["alert"]


def test_a_conflicting_save_is_refused_and_nothing_is_lost(seen):
    conflict = seen["steps"]["conflict"]
    assert "Ikke gemt" in conflict["refused"]["alert"]
    assert "gemte version er ændret" in conflict["offered"]
    assert conflict["after"]["texts"][0] == "Fra fane B."
    desk = ReviewDesk(seen["project"].review)
    kept = list((desk.history_dir(SLUG) / "conflicts").iterdir())
    assert len(kept) == 1 and "Fra fane C." in kept[0].read_text(encoding="utf-8")


def test_a_keyboard_alone_edits_and_saves(seen):
    kb = seen["steps"]["keyboard"]
    assert kb["stops"][-1]["id"] == "vk-text-0", kb["stops"]
    assert all(s["visible"] for s in kb["stops"] if s["tag"] in ("a", "button", "textarea"))
    assert (kb["down"], kb["up"]) == ("vk-text-1", "vk-text-0")
    assert kb["played"] and kb["paused"]
    # Replay starts at the selected cue's start (1.2 s) and stops at its end (before 2.8 s).
    assert kb["replay"]["playing"] and 1.2 <= kb["replay"]["time"] < 2.8
    assert kb["split"] == kb["before"] + 1 and len(kb["undone"]["texts"]) == kb["before"]
    start, end = kb["edgesBefore"]
    assert kb["edgesMoved"] == [start + 100, end - 100]  # the timeline's drags, by key
    assert kb["edgesUndone"] == kb["edgesBefore"]
    assert kb["saved"]["texts"][0] == "Fra fane B. Tak."
    assert "Gemt" in kb["saved"]["status"]


def test_reflow_shows_a_new_layout_of_the_same_words_before_saving(seen):
    reflow = seen["steps"]["reflow"]
    words = [
        " ".join(t.split()) for t in (" ".join(reflow[k]["texts"]) for k in ("before", "after"))
    ]
    assert words[0] == words[1]
    assert reflow["after"]["texts"] != reflow["before"]["texts"]
    assert reflow["after"]["player"] == reflow["after"]["texts"]
    assert reflow["undone"]["texts"] == reflow["before"]["texts"]


def test_caption_text_that_looks_like_markup_stays_text(seen):
    hostile = seen["steps"]["hostile"]
    assert hostile["texts"][1] == HOSTILE
    assert hostile["player"][1] == HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace(
        ">", "&gt;"
    )
    assert hostile["elements"] == 0 and not seen["dialogs"]


def test_approving_runs_in_the_background_with_progress_then_the_result(seen):
    approved = seen["steps"]["approved"]
    texts = [s["text"] for s in approved["seen"]]
    assert approved["firstMessageMs"] < 5000 and approved["typingMs"] < 1000, approved
    assert approved["whileRunning"] and not approved["after"]  # disabled only while it runs
    assert texts[0] in ("Godkendelsen er startet …", "Godkender og udgiver på sitet …"), texts
    assert any("sociale medier" in t and "…" in t for t in texts), texts  # step 2 of 2
    assert approved["secondStarted"] is False
    assert "Godkendt af Mette Hansen" in approved["message"]
    assert "også klar" in approved["message"]
    assert all(s["disabled"] and s["progress"] for s in approved["seen"][:-1])


def test_approving_publishes_the_edit_to_the_site_and_zip(seen):
    out = seen["project"].out
    vtt = (out / "site" / SLUG / f"{SLUG}.da.vtt").read_text(encoding="utf-8")
    assert "Fra fane B. Tak." in vtt and "<v Mette Hansen>" in vtt
    with zipfile.ZipFile(out / "videokit-site.zip") as z:
        assert "Fra fane B. Tak." in z.read(f"{SLUG}/{SLUG}.da.vtt").decode()
    [approval] = ReviewDesk(seen["project"].review).approvals(SLUG)
    assert (approval.editor, approval.note) == ("Mette Hansen", "Rettet i studiet")
    assert "Godkendt" in seen["steps"]["overview-after"]["text"]


def test_the_screenshots_are_written(seen):
    for name in (
        "studio-video.png",
        "studio-overview.png",
        "studio-timeline.png",
        "studio-find.png",
        "studio-restore.png",
    ):
        assert Path(SCREENSHOTS / name).stat().st_size > 10_000


def test_the_pages_reflow_at_320_px(seen):
    for name in ("narrow-overview", "narrow-editor"):
        size = seen["steps"][name]
        assert size["scrollWidth"] <= size["clientWidth"], (name, size)


def test_a_cue_edge_dragged_on_the_timeline_is_saved(seen):
    grid = seen["steps"]["grid"]
    dragged = grid["dragged"]
    assert 400 <= dragged["after"] - dragged["before"] <= 600, dragged
    assert "slut er nu" in dragged["msg"] and dragged["shown"].endswith(str(dragged["after"])[-3:])
    cues = saved_cues(seen)
    assert cues[2].end_ms == dragged["after"]


def test_typed_times_inserted_and_deleted_cues_are_saved(seen):
    grid = seen["steps"]["grid"]
    assert grid["typedTime"] == 6000
    assert grid["inserted"] == {"active": "vk-text-2", "count": 4}
    assert len(grid["afterDelete"]["texts"]) == 3
    assert seen["steps"]["hostile"]["texts"][1] not in grid["afterDelete"]["texts"]
    cues = saved_cues(seen)
    assert [c.text for c in cues][1] == "Kvistgaard siger sproget hvor forskning."
    assert cues[1].start_ms == 4500 and cues[2].start_ms == 6000


def test_one_speaker_is_set_over_a_range_of_cues_and_sticks(seen):
    grid = seen["steps"]["grid"]
    assert grid["speakers"]["speakers"] == ["Mette Hansen", "Anders And", "Anders And"]
    assert grid["speakerField"] == "Anders And"  # not emptied by selecting another cue
    assert [c.speaker for c in saved_cues(seen)] == ["Mette Hansen", "Anders And", "Anders And"]


def test_replacing_a_whole_word_leaves_longer_words_alone_and_undoes(seen):
    grid = seen["steps"]["grid"]
    assert len(grid["preview"]) == 1 and "→ „hvor“" in grid["preview"][0], grid["preview"]
    assert grid["replacedText"] == "Indsat tekst hvor forskning."
    assert grid["undoneText"] == "Indsat tekst for forskning."
    assert grid["redoneText"] == "Indsat tekst hvor forskning."


@pytest.mark.skipif(dictionary_dir() is None, reason="hunspell-da is not installed")
def test_a_misspelled_danish_word_is_flagged_and_a_glossary_name_is_not(seen):
    grid = seen["steps"]["grid"]
    assert "sprafene" in grid["spelled"]["misspelled"] and "sprafene" in grid["inline"]
    assert "Kvistgaard" not in grid["spelled"]["misspelled"]
    assert "sprafene" not in grid["saved"]["misspelled"]


def test_reloading_mid_edit_offers_the_unsaved_change_back(seen):
    unsaved = seen["steps"]["unsaved"]
    assert unsaved["keptMs"] < 3000, "kept on the server within a second (plus the wait)"
    assert "ikke blev gemt" in unsaved["offered"] and "venter på dit valg" in unsaved["waiting"]
    assert unsaved["beforeKeep"] != unsaved["kept"]["texts"][0]
    assert unsaved["kept"]["texts"][0] == "Fra fane B. Tak. Ikke gemt endnu."
    assert "Gemt" in unsaved["saved"]["status"]


def test_a_save_while_the_studio_is_stopped_is_queued_and_goes_through_after_restart(seen):
    restart = seen["steps"]["restart"]
    assert "i kø" in restart["queued"]["saved"] and "Ikke gemt endnu" in restart["queued"]["alert"]
    assert "Gemt" in restart["saved"]["status"] and not restart["saved"]["alert"]
    srt = ReviewDesk(seen["project"].review).srt_path(SLUG).read_text(encoding="utf-8")
    assert "Efter genstart." in parse_srt(srt)[0].text


def saved_cues(seen) -> list[Cue]:
    """The cues as the server held them right after the grid step's save."""
    cues, problems = page_cues(seen["steps"]["grid"]["savedCues"], None)
    assert not problems, problems
    return cues
