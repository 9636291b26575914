"""Real-browser checks on the pages videokit publishes (issue 5).

A small site is built through the real publishing code (ffmpeg, captions, pages, index) with a
synthetic transcript in place of Whisper, served over HTTP on loopback, and checked with:

- axe-core in headless Chromium on every page (WCAG 2.0/2.1/2.2 A and AA, plus best practice);
- the W3C Nu HTML checker (vnu-jar) on every page;
- the caption track loading in Chromium with as many cues as the .vtt holds;
- a keyboard walk: Tab to a passage's time control, Enter, and the player is at that passage;
- hostile transcript text (``<script>``, quotes, ``&``) staying text in the DOM, JSON-LD and VTT;
- screenshots at desktop and phone width in ``build/screenshots/`` for a person to look at.

Needs Chromium, Node.js and Java (``make browser-deps`` installs them and the npm packages). Without
them the tests skip, except under CI (``CI`` set), where a missing tool is a failure.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from clips import speech_video
from videokit import media, publish
from videokit.files import sha256_file
from videokit.records import Records, VideoRecord
from videokit.segment import cues_from_transcript
from videokit.serve import serving
from videokit.transcript import Segment, Transcript, Word
from videokit.workspace import Layout, VideoMeta

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
BROWSER_DIR = ROOT / "tests" / "browser"
NODE_MODULES = BROWSER_DIR / "node_modules"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
SCREENSHOTS = ROOT / "build" / "screenshots"
RESULTS = ROOT / "build" / "browser-checks.json"  # everything the browser saw, for a person to read

SCRIPT = "<script>alert(1)</script>"
HOSTILE_SEGMENT = f" Han skrev {SCRIPT} og \"citat\" & 'enkelt' i chatten."
HOSTILE_TITLE = 'Byrådet & borgerne: "Spørg løs" <i>direkte</i>'
HOSTILE_DESCRIPTION = "Møde om budget & trafik </script><script>alert(2)</script>"
SPEECH = (
    "Velkommen til byrådets møde. I aften taler vi om budgettet og om trafikken i byen. "
    "Alle borgere kan stille spørgsmål til sidst."
)
PASSAGE = 2  # the passage the keyboard walk seeks to (#afsnit-2)
TOLERANCE_S = 0.3


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _chromium() -> str | None:
    for candidate in (
        os.environ.get("VIDEOKIT_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def _node_major() -> int:
    node = shutil.which("node")
    if node is None:
        return 0
    run = subprocess.run([node, "--version"], capture_output=True, text=True, check=False)
    match = re.match(r"v(\d+)\.", run.stdout.strip())
    return int(match.group(1)) if match else 0


def _missing_tools() -> list[str]:
    missing = []
    if _chromium() is None:
        missing.append("chromium (Debian package chromium)")
    if _node_major() < 20:
        missing.append("node (Node.js 20 or newer, for playwright-core)")
    if shutil.which("java") is None:
        missing.append("java (Debian package default-jre-headless)")
    for tool in ("ffmpeg", "espeak-ng"):
        if shutil.which(tool) is None:
            missing.append(tool)
    for package in ("axe-core", "playwright-core", "vnu-jar"):
        if not (NODE_MODULES / package / "package.json").is_file():
            missing.append(f"npm package {package} (npm ci --prefix tests/browser)")
    return missing


@pytest.fixture(scope="module")
def tools() -> str:
    missing = _missing_tools()
    if missing:
        message = (
            "browser checks need: "
            + "; ".join(missing)
            + ". Run `make browser-deps` (as root it installs them)."
        )
        if _ci():
            pytest.fail("CI is set, so the browser checks may not skip. " + message, pytrace=False)
        pytest.skip(message)
    chromium = _chromium()
    assert chromium is not None
    return chromium


# --- the site under test ------------------------------------------------------------------------

HOSTILE_SLUG = "byraadsmoede"  # approved: on the public site, and in the preview
DRAFT_SLUG = "trafik-i-byen"  # not reviewed: only in the preview, with the draft notice
CHECKED_PAGE = f"site/{HOSTILE_SLUG}/index.html"  # track, keyboard and hostile-text checks
EMBED_HOST = "site/cms-side.html"  # the embed snippet inside a host page, as a CMS would show it
PAGES = (
    "site/index.html",
    CHECKED_PAGE,
    EMBED_HOST,
    "preview/index.html",
    f"preview/{HOSTILE_SLUG}/index.html",
    f"preview/{DRAFT_SLUG}/index.html",
)
# A page made to fail every check (no lang, no title, an image without alt, an empty link, a script
# that opens a dialog): it shows that axe, vnu and the dialog watch can fail, so "0 found" means it.
CANARY = "canary.html"
CANARY_HTML = (
    '<html><head><meta charset="utf-8"></head><body><img src="mangler.jpg">'
    '<a href="#"></a><script>alert("canary")</script></body></html>\n'
)
SHOTS = (
    ("video-desktop", CHECKED_PAGE, 1280, 900),
    ("video-phone", CHECKED_PAGE, 375, 812),
    ("draft-phone", f"preview/{DRAFT_SLUG}/index.html", 375, 812),
    ("draft-320", f"preview/{DRAFT_SLUG}/index.html", 320, 640),  # WCAG 1.4.10 reflow width
    ("index-desktop", "site/index.html", 1280, 900),
    ("index-phone", "preview/index.html", 375, 812),
)


@dataclass(frozen=True)
class Site:
    out: Path  # served as the web root: site/ and preview/ below it
    base: str
    vtt: Path
    cue_count: int
    passage_starts_ms: tuple[int, ...]


def _words(text: str, start_ms: int, end_ms: int) -> tuple[Word, ...]:
    """Words spread evenly over a span, each keeping Whisper's leading space."""
    parts = text.split()
    step = (end_ms - start_ms) // len(parts)
    return tuple(
        Word(" " + w, start_ms + i * step, start_ms + (i + 1) * step - 20, 0.9)
        for i, w in enumerate(parts)
    )


def _transcript(duration_ms: int, speakers: bool) -> Transcript:
    # Three passages split by pauses over 1.5 s, so the page shows three paragraphs.
    slot = duration_ms // 3
    texts = [
        " Velkommen til byrådets møde om budgettet.",
        HOSTILE_SEGMENT,
        " Alle borgere kan stille spørgsmål til sidst.",
    ]
    names = ["Mette Hansen", "Ole Sørensen", "Mette Hansen"] if speakers else [None] * 3
    segments = []
    for i, text in enumerate(texts):
        start, end = i * slot + 100, (i + 1) * slot - 1700
        segments.append(Segment(start, end, text, _words(text, start, end), speaker=names[i]))
    return Transcript(
        language="da", duration_ms=duration_ms, segments=tuple(segments), model="test"
    )


def _build(layout: Layout, source: Path, base_url: str) -> int:
    """Both trees through the publishing code: drafts in the preview, an approved video on the site.

    Returns the number of cues of the approved video.
    """
    info = media.probe(source)
    sha = sha256_file(source)
    today = dt.date.today().isoformat()
    count = 0
    for slug, meta, speakers, approved in (
        (HOSTILE_SLUG, VideoMeta(HOSTILE_TITLE, HOSTILE_DESCRIPTION), False, True),
        (DRAFT_SLUG, VideoMeta("Trafik i byen", "Spørgsmål og svar."), True, False),
    ):
        draft = _transcript(info.duration_ms, speakers)
        cues = cues_from_transcript(draft)
        record = VideoRecord(
            slug=slug,
            title=meta.title,
            description=meta.description,
            duration_ms=info.duration_ms,
            source=source.name,
            source_sha256=sha,
            upload_date=today,
            cues=len(cues),
            status="approved" if approved else "draft",
            approved_by="Test Redaktør" if approved else "",
        )
        preview = layout.video_dir(slug, layout.preview)
        publish.write_media(preview, source, slug, info.duration_ms)
        publish.write_video(preview, record, draft, cues, draft, reviewed=False)
        if approved:
            publish.publish_approved(layout, record, draft, cues, base_url=base_url)
            count = len(cues)
        Records(layout).save(record)
    publish.write_indexes(layout)
    return count


def _embed_host(layout: Layout) -> None:
    """The published embed snippet inside a minimal host page, as an editor would paste it."""
    snippet = layout.video_dir(HOSTILE_SLUG) / publish.file_names(HOSTILE_SLUG)["embed"]
    (layout.out / EMBED_HOST).write_text(
        '<!DOCTYPE html>\n<html lang="da">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>Side i CMS med indlejret video</title>\n</head>\n<body>\n<main>\n"
        "<h1>Side i CMS</h1>\n"
        + snippet.read_text(encoding="utf-8")
        + "</main>\n</body>\n</html>\n",
        encoding="utf-8",
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, tools: str) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("browser-site")
    source = speech_video(tmp / "byraadsmoede.mp4", SPEECH, lead_in_s=0.5)
    assert media.probe(source).duration_ms >= 7000, "the test video is too short for 3 passages"
    layout = Layout(tmp / "build")
    layout.out.mkdir()
    with serving(layout.out) as base:
        cue_count = _build(layout, source, base_url=base + "site/")
        _embed_host(layout)
        (layout.out / CANARY).write_text(CANARY_HTML, encoding="utf-8")
        vtt = layout.video_dir(HOSTILE_SLUG) / publish.file_names(HOSTILE_SLUG)["vtt"]
        page_html = (layout.out / CHECKED_PAGE).read_text(encoding="utf-8")
        starts = tuple(int(m) for m in re.findall(r'data-start="(\d+)"', page_html))
        yield Site(layout.out, base, vtt, cue_count, starts)


@pytest.fixture(scope="module")
def checked(site: Site, tools: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One Chromium run (axe, track, keyboard, hostile text, screenshots) and one vnu run."""
    tmp = tmp_path_factory.mktemp("browser-results")
    # vnu runs on the JVM beside Chromium; each takes a few seconds.
    vnu = subprocess.Popen(
        [
            "java",
            "-Xss4m",
            "-jar",
            str(VNU_JAR),
            "--errors-only",
            "--format",
            "json",
            *(str(site.out / p) for p in (*PAGES, CANARY)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if SCREENSHOTS.exists():
        shutil.rmtree(SCREENSHOTS)
    config = {
        "base": site.base,
        "pages": [*PAGES, CANARY],
        "chromium": tools,
        "hostile": SCRIPT,
        "video": {"page": CHECKED_PAGE, "passage": PASSAGE},
        "screenshots": str(SCREENSHOTS),
        "out": str(tmp / "results.json"),
        "shots": [{"name": n, "page": p, "width": w, "height": h} for n, p, w, h in SHOTS],
    }
    (tmp / "config.json").write_text(json.dumps(config), encoding="utf-8")
    run = subprocess.run(
        ["node", str(BROWSER_DIR / "check.mjs"), str(tmp / "config.json")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=BROWSER_DIR,
    )
    vnu_out, vnu_err = vnu.communicate(timeout=120)
    assert run.returncode == 0, f"check.mjs failed:\n{run.stdout}\n{run.stderr}"
    results: dict[str, Any] = json.loads((tmp / "results.json").read_text(encoding="utf-8"))
    try:
        results["vnu"] = json.loads(vnu_err or vnu_out)["messages"]
    except (ValueError, KeyError):
        pytest.fail(f"vnu gave no JSON report (exit {vnu.returncode}):\n{vnu_out}\n{vnu_err}")
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return results


def _brief(findings: list[dict[str, Any]]) -> str:
    lines = []
    for v in findings:
        targets = ", ".join(
            " ".join(n["target"]) if isinstance(n["target"], list) else str(n["target"])
            for n in v["nodes"][:3]
        )
        lines.append(f"  {v['id']} ({v['impact']}): {v['help']} at {targets}")
    return "\n".join(lines)


# --- the checks ---------------------------------------------------------------------------------


def test_axe_finds_no_violations(checked: dict[str, Any], site: Site) -> None:
    assert set(checked["axe"]) == {*PAGES, CANARY}
    canary = {v["id"] for v in checked["axe"].pop(CANARY)["violations"]}
    assert {"html-has-lang", "document-title", "image-alt", "link-name"} <= canary
    report = {page: r["violations"] for page, r in checked["axe"].items() if r["violations"]}
    assert not report, (
        "axe-core "
        + checked["axeVersion"]
        + " violations:\n"
        + "\n".join(f"{page}:\n{_brief(v)}" for page, v in report.items())
    )
    for page, r in checked["axe"].items():
        assert r["status"] == 200, page
        assert r["passes"] > 10, f"axe checked almost nothing on {page}"


def test_vnu_finds_no_errors(checked: dict[str, Any]) -> None:
    errors = [m for m in checked["vnu"] if m.get("type") in ("error", "non-document-error")]
    canary = [m for m in errors if m.get("url", "").endswith("/" + CANARY)]
    assert len(canary) >= 3, f"vnu missed the canary's errors: {checked['vnu']}"
    errors = [m for m in errors if m not in canary]
    assert not errors, "vnu errors:\n" + "\n".join(
        f"  {Path(m.get('url', '?')).name}:{m.get('lastLine', '?')}: {m.get('message')}"
        for m in errors
    )


def _real(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in findings if f["page"] != CANARY]


def test_pages_load_cleanly(checked: dict[str, Any]) -> None:
    assert not _real(checked["pageErrors"]), checked["pageErrors"]
    assert not _real(checked["consoleErrors"]), checked["consoleErrors"]
    # Chromium may cancel a media request it no longer needs (after a seek); nothing else may fail.
    failed = [
        r
        for r in _real(checked["failedRequests"])
        if not (r["url"].endswith(".mp4") and r["error"] == "net::ERR_ABORTED")
    ]
    assert not failed, failed
    # The browser asks every site for /favicon.ico; the pages link no other missing file.
    missing = [r for r in _real(checked["badResponses"]) if not r["url"].endswith("/favicon.ico")]
    assert not missing, missing


def _vtt_cue_count(path: Path) -> int:
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if " --> " in line)


def test_caption_track_loads_every_cue(checked: dict[str, Any], site: Site) -> None:
    track = checked["track"]
    assert track["media"]["readyState"] >= 1 and track["media"]["error"] is None, track["media"]
    assert track["state"] == "loaded", track
    assert (track["kind"], track["language"], track["label"]) == ("captions", "da", "Dansk")
    assert track["isDefault"]
    expected = _vtt_cue_count(site.vtt)
    assert expected == site.cue_count >= 3
    assert track["cueCount"] == expected


def test_keyboard_walk_seeks_to_passage(checked: dict[str, Any], site: Site) -> None:
    walk = checked["keyboard"]
    assert "error" not in walk, walk
    start_s = site.passage_starts_ms[PASSAGE - 1] / 1000
    assert start_s > 1, "pick a passage that does not start at the beginning"
    assert walk["target"]["start"] == pytest.approx(start_s)
    assert walk["seeks"], f"Enter on the time control did not seek the video: {walk}"
    assert walk["seeks"][0] == pytest.approx(start_s, abs=TOLERANCE_S)
    assert walk["readyState"] >= 1
    assert walk["current"] == f"afsnit-{PASSAGE}"  # the spoken passage is highlighted
    # Every stop on the way showed where focus was.
    for stop in walk["stops"]:
        if stop["tag"] not in ("video", "body"):
            assert stop["outline"] not in (None, "none"), f"no visible focus on {stop}"


def test_hostile_text_stays_text(checked: dict[str, Any], site: Site) -> None:
    hostile = checked["hostile"]
    # Only the canary's own alert: none from any real page.
    assert checked["dialogs"] == [{"page": CANARY, "type": "alert", "message": "canary"}], (
        "a dialog opened: injected script ran"
    )
    # Exactly the page's own scripts: the JSON-LD and the player script.
    assert hostile["scripts"] == ["application/ld+json", "classic"]
    assert SCRIPT in hostile["transcriptText"]
    assert "\"citat\" & 'enkelt'" in hostile["transcriptText"]
    assert hostile["transcriptHasElementsFromText"] == 0
    assert hostile["h1"] == HOSTILE_TITLE
    assert hostile["titleText"].startswith(HOSTILE_TITLE)
    assert hostile["metaDescription"] == HOSTILE_DESCRIPTION
    assert hostile["jsonldError"] is None
    assert hostile["jsonld"]["name"] == HOSTILE_TITLE
    assert hostile["jsonld"]["description"] == HOSTILE_DESCRIPTION
    assert HOSTILE_SEGMENT.strip() in hostile["jsonld"]["transcript"]


def test_hostile_text_is_escaped_in_captions(checked: dict[str, Any], site: Site) -> None:
    vtt = site.vtt.read_text(encoding="utf-8")
    assert "<script" not in vtt and "</script" not in vtt
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in vtt
    assert "&amp;" in vtt and '"citat"' in vtt
    cues = checked["track"]["cues"]
    shown = " ".join(c["text"] for c in cues)
    assert SCRIPT in shown and "&" in shown  # the browser shows the characters, as text
    assert all(c["elements"] == [] for c in cues), "cue text turned into elements"


def test_screenshots_at_desktop_and_phone_width(checked: dict[str, Any]) -> None:
    shots = {s["name"]: s for s in checked["screenshots"]}
    assert set(shots) == {name for name, *_ in SHOTS}
    assert (SCREENSHOTS / "video-keyboard.png").is_file()
    for name, _page, width, _height in SHOTS:
        shot = shots[name]
        path = Path(shot["file"])
        assert path.is_file() and path.stat().st_size > 5000, path
        assert path.parent == SCREENSHOTS
        assert shot["viewport"]["width"] == width
        # WCAG 1.4.10 reflow: nothing makes the page scroll sideways.
        assert shot["scrollWidth"] <= shot["clientWidth"], (name, shot["overflowing"])
