"""The player's own controls and the accessibility record in a real browser (issue: what is shown
but not said).

The sample with a name super and a web address goes through the real pipeline (ffmpeg, Tesseract,
the editor's decisions, approval); the site is served on loopback and checked with axe-core in
Chromium on the record page, the index and the player page in each state a keyboard walk leaves it
in (captions off, descriptions on, caption size large and larger, a description announced), and
with vnu on the same pages and states. The walk uses Tab, Shift+Tab, Enter and Space only.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from test_browser import BROWSER_DIR, VNU_JAR, tools  # noqa: F401 - the fixture is used by name
from test_screen import SLUG, produce, rendered, shared_cache  # noqa: F401 - the fixture is used by name
from videokit import pipeline, screenreview
from videokit.naming import file_names
from videokit.serve import serving

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NAMES = file_names(SLUG)
VIDEO = f"site/{SLUG}/{NAMES['page']}"
PAGES = ("site/index.html", VIDEO, f"site/{SLUG}/{NAMES['record_page']}")
DESCRIBED = "Skærmtekst: Mette Hansen, kommunikationschef i Eksempel Kommune."
STATES = ("loaded", "captions-off", "descriptions-on", "size-large", "size-larger", "described")


@pytest.fixture(scope="module")
def checked(
    rendered: Path,  # noqa: F811
    tools: str,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    tmp_path = tmp_path_factory.mktemp("access-browser")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VIDEOKIT_CACHE_DIR", str(shared_cache(rendered)))
        layout, _ = produce(rendered, tmp_path)
    for d in screenreview.load(layout.review, SLUG):
        if d.flag.kind == "name":
            screenreview.decide(
                layout.review, SLUG, d.flag.id, "describe", "Ole Redaktør", DESCRIBED
            )
        else:
            screenreview.decide(layout.review, SLUG, d.flag.id, "not needed", "Ole Redaktør")
    pipeline.approve_and_publish(layout, SLUG, "Ole Redaktør")
    states = tmp_path / "states"
    with serving(layout.out) as base:
        config = {
            "base": base,
            "chromium": tools,
            "pages": list(PAGES),
            "video": VIDEO,
            "states": str(states),
            "out": str(tmp_path / "results.json"),
        }
        (tmp_path / "config.json").write_text(json.dumps(config), encoding="utf-8")
        run = subprocess.run(
            ["node", str(BROWSER_DIR / "access.mjs"), str(tmp_path / "config.json")],
            capture_output=True,
            text=True,
            timeout=180,
            cwd=BROWSER_DIR,
        )
    assert run.returncode == 0, f"access.mjs failed:\n{run.stdout}\n{run.stderr}"
    results: dict[str, Any] = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    files = [*(str(layout.out / p) for p in PAGES), *(str(states / f"{s}.html") for s in STATES)]
    vnu = subprocess.run(
        ["java", "-Xss4m", "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *files],
        capture_output=True,
        text=True,
        timeout=180,
    )
    results["vnu"] = json.loads(vnu.stderr or vnu.stdout)["messages"]
    return results


def test_player_states_and_record_pass_axe_and_vnu_and_the_keyboard_walk(checked) -> None:
    # axe-core: every page as loaded, and the player in every state the walk left it in.
    assert set(checked["axe"]) == {*PAGES, *(f"{VIDEO}#{s}" for s in STATES)}
    bad = {
        p: [v["id"] for v in r["violations"]] for p, r in checked["axe"].items() if r["violations"]
    }
    assert not bad, f"axe-core {checked['axeVersion']}: {bad}"
    assert all(r["passes"] > 10 for r in checked["axe"].values())
    errors = [m for m in checked["vnu"] if m.get("type") in ("error", "non-document-error")]
    assert not errors, [(Path(m.get("url", "?")).name, m.get("message")) for m in errors]
    assert not checked["pageErrors"] and not checked["consoleErrors"], checked

    walk = checked["walk"]
    assert "error" not in walk, walk
    s = checked["states"]
    assert not s["loaded"]["barHidden"] and s["loaded"]["captions"] == "true"
    assert {"kind": "captions", "mode": "showing"} in s["loaded"]["tracks"]
    # Enter on "Undertekster": captions hidden, the button says so.
    assert {"kind": "captions", "mode": "hidden"} in s["captions-off"]["tracks"]
    assert s["captions-off"]["captions"] == "false"
    # Space on "Synstolkning": on, and the live region is shown (empty until a description).
    assert s["descriptions-on"]["descriptions"] == "true" and not s["descriptions-on"]["liveHidden"]
    assert {"kind": "descriptions", "mode": "hidden"} in s["descriptions-on"]["tracks"]
    # Enter on "Tekststørrelse": larger captions, twice.
    assert s["size-large"]["size"] == "large" and "vk-cues-large" in s["size-large"]["wrapClass"]
    assert (
        s["size-larger"]["size"] == "larger" and "vk-cues-larger" in s["size-larger"]["wrapClass"]
    )
    # Every stop had a visible focus ring (the video's own is the browser's).
    for step in walk["steps"]:
        for stop in step["stops"]:
            if stop["tag"] not in ("video", "body"):
                assert stop["outline"] not in (None, "none"), stop
    # Play by keyboard; the description reaches the live region at its cue's time.
    assert walk["playing"] and walk["pausedAfter"]
    cue = walk["cue"]
    assert cue and " ".join(cue["text"].split()) == DESCRIBED
    said = [a for a in walk["announced"] if a["text"]]
    assert said, walk["announced"]
    assert " ".join(said[0]["text"].split()) == DESCRIBED
    assert cue["start"] - 0.1 <= said[0]["at"] <= cue["start"] + 0.6, (said[0], cue)
    assert " ".join(s["described"]["liveText"].split()) == DESCRIBED


def test_without_javascript_the_native_player_and_the_transcript_carry_it(checked) -> None:
    plain = checked["noScript"]
    assert plain["controls"] and plain["barHidden"]
    assert plain["tracks"] == ["captions", "descriptions"]
    assert any(DESCRIBED in text for text in plain["described"])
