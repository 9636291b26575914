"""The review studio in a real browser (headless Chromium, axe-core), as an editor uses it.

One project (a real, silent video; the draft from the pipeline step with a fake model), one
studio served on loopback as ``videokit studio`` serves it, and one run of
``tests/browser/studio.mjs``: overview, editing (text, timing, split, merge, speaker), save and
reload, a conflicting save from a second tab, a keyboard-only edit, approval, and axe-core on every
page. Screenshots go to ``build/screenshots/`` (the README shows ``studio-video.png``).
"""

from __future__ import annotations

import json
import subprocess
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import pytest

from test_browser import BROWSER_DIR, SCREENSHOTS, VNU_JAR, tools  # noqa: F401  (a fixture)
from test_studio import SLUG, produce
from videokit.review import ReviewDesk
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
        }
        (tmp / "config.json").write_text(json.dumps(config), encoding="utf-8")
        run = subprocess.run(
            ["node", str(BROWSER_DIR / "studio.mjs"), str(tmp / "config.json")],
            capture_output=True,
            text=True,
            timeout=300,
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
    assert set(seen["axe"]) == {"overview", "editor", "editor-edited", "overview-approved"}
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
    assert glossary.read_text(encoding="utf-8").splitlines() == ["budgetforslaget"]
    assert reloaded["speakers"] == ["Mette Hansen", "", ""]
    assert "spil fra 00:00:01,200 – " in reloaded["times"][0]
    assert not reloaded["alert"]


def test_a_conflicting_save_is_refused_and_nothing_is_lost(seen):
    conflict = seen["steps"]["conflict"]
    assert "Ikke gemt" in conflict["refused"]["alert"]
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


def test_approving_publishes_the_edit_to_the_site_and_zip(seen):
    assert "Godkendt af Mette Hansen" in seen["steps"]["approved"]["status"]
    out = seen["project"].out
    vtt = (out / "site" / SLUG / f"{SLUG}.da.vtt").read_text(encoding="utf-8")
    assert "Fra fane B. Tak." in vtt and "<v Mette Hansen>" in vtt
    with zipfile.ZipFile(out / "videokit-site.zip") as z:
        assert "Fra fane B. Tak." in z.read(f"{SLUG}/{SLUG}.da.vtt").decode()
    [approval] = ReviewDesk(seen["project"].review).approvals(SLUG)
    assert (approval.editor, approval.note) == ("Mette Hansen", "Rettet i studiet")
    assert "Godkendt" in seen["steps"]["overview-after"]["text"]


def test_the_screenshots_are_written(seen):
    for name in ("studio-video.png", "studio-overview.png"):
        assert Path(SCREENSHOTS / name).stat().st_size > 10_000


def test_the_pages_reflow_at_320_px(seen):
    for name in ("narrow-overview", "narrow-editor"):
        size = seen["steps"][name]
        assert size["scrollWidth"] <= size["clientWidth"], (name, size)
