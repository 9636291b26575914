"""Rendered pages: structure an accessibility audit relies on, and escaping of hostile text.

The HTML is parsed with the standard library, so these tests run without a browser; axe-core and the
Nu checker run elsewhere on the same output.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import pytest

from videokit.errors import PackageError
from videokit.pages import Paragraph, VideoPage
from videokit.render import environment, render_embed, render_index, render_video_page

HOSTILE = """<script>alert(1)</script> "dobbelt" 'enkelt' & </p><!-- æøå"""
VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    parents: tuple[str, ...]
    text: str = ""


@dataclass
class Doc(HTMLParser):
    """Every element with its attributes, ancestors and direct text; raw text of <script> elements."""

    elements: list[Element] = field(default_factory=list)
    stack: list[Element] = field(default_factory=list)
    scripts: list[tuple[dict[str, str | None], str]] = field(default_factory=list)
    self_closing: int = 0

    def __post_init__(self) -> None:
        HTMLParser.__init__(self, convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = Element(tag, dict(attrs), tuple(e.tag for e in self.stack))
        self.elements.append(el)
        if tag not in VOID:
            self.stack.append(el)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.self_closing += 1
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1].tag == tag, (
            f"</{tag}> does not close {self.stack[-1:]}"
        )
        el = self.stack.pop()
        if tag == "script":
            self.scripts.append((el.attrs, el.text))

    def handle_data(self, data: str) -> None:
        for el in self.stack:
            el.text += data

    def all(self, tag: str, **attrs: str | None) -> list[Element]:
        return [
            e
            for e in self.elements
            if e.tag == tag and all(e.attrs.get(k) == v for k, v in attrs.items())
        ]

    def one(self, tag: str, **attrs: str | None) -> Element:
        found = self.all(tag, **attrs)
        assert len(found) == 1, f"expected one <{tag} {attrs}>, found {len(found)}"
        return found[0]


def parse(html: str) -> Doc:
    doc = Doc()
    doc.feed(html)
    doc.close()
    assert not doc.stack, f"unclosed elements: {[e.tag for e in doc.stack]}"
    return doc


def make_page(**overrides: object) -> VideoPage:
    fields: dict[str, object] = {
        "slug": "ekspert-1",
        "title": "Om klima",
        "description": "En ekspert forklarer klimaet.",
        "duration_ms": 65_000,
        "mp4": "ekspert-1.mp4",
        "poster": "poster.jpg",
        "vtt": "ekspert-1.da.vtt",
        "srt": "ekspert-1.srt",
        "transcript_txt": "ekspert-1.txt",
        "paragraphs": (
            Paragraph(0, 11_000, "Hvad er vigtigst?", "Interviewer"),
            Paragraph(12_300, 20_000, "At vi handler nu.", "Ekspert"),
            Paragraph(21_500, 30_000, "Og sammen.", "Ekspert"),
        ),
        "upload_date": "2024-05-01",
    }
    fields.update(overrides)
    return VideoPage(**fields)  # type: ignore[arg-type]


def check_common(doc: Doc) -> None:
    """What every full page needs, whichever template made it."""
    assert doc.one("html").attrs["lang"] == "da"
    assert doc.one("meta", charset="utf-8")
    assert "width=device-width" in (doc.one("meta", name="viewport").attrs["content"] or "")
    assert doc.one("title").text.strip()
    assert len(doc.all("h1")) == 1
    for landmark in ("header", "main", "footer"):
        assert len(doc.all(landmark)) == 1
    skip = doc.elements[[e.tag for e in doc.elements].index("a")]
    assert skip.attrs["href"] == "#indhold", "the skip link is the first link on the page"
    assert doc.one("main").attrs["id"] == "indhold"
    ids = [e.attrs["id"] for e in doc.elements if "id" in e.attrs]
    assert len(ids) == len(set(ids)), f"duplicate ids: {ids}"
    for e in doc.elements:
        for name in ("aria-labelledby", "aria-describedby"):
            if name in e.attrs:
                assert e.attrs[name] in ids
    assert all("alt" in img.attrs for img in doc.all("img"))
    assert doc.self_closing == 0, "HTML5 void elements need no trailing slash"
    # No third-party requests: nothing the browser fetches points at another host.
    for e in doc.elements:
        for name in ("src", "href", "poster"):
            value = e.attrs.get(name) or ""
            assert not value.startswith(("http:", "https:", "//")), f"{e.tag} {name}={value}"


# --- video page ---------------------------------------------------------------------------------


def test_video_page_structure() -> None:
    doc = parse(render_video_page(make_page()))
    check_common(doc)
    assert doc.one("h1").text == "Om klima"
    assert "Om klima" in doc.one("title").text
    assert doc.one("nav") and doc.one("a", href="../index.html")
    assert doc.one("meta", name="description").attrs["content"] == "En ekspert forklarer klimaet."
    assert doc.one("time", datetime="PT1M5S").text == "1 min 5 s"


def test_video_element_and_track() -> None:
    doc = parse(render_video_page(make_page()))
    video = doc.one("video")
    for boolean in ("controls", "playsinline"):
        assert boolean in video.attrs
    assert video.attrs["preload"] == "metadata"
    assert video.attrs["poster"] == "poster.jpg"
    source = doc.one("source")
    assert source.attrs == {"src": "ekspert-1.mp4", "type": "video/mp4"}
    assert "video" in source.parents
    track = doc.one("track")
    assert track.attrs == {
        "kind": "captions",
        "srclang": "da",
        "label": "Dansk",
        "src": "ekspert-1.da.vtt",
        "default": None,
    }
    assert "video" in track.parents
    fallback = [a for a in doc.all("a", href="ekspert-1.mp4") if "video" in a.parents]
    assert len(fallback) == 1 and "download" in fallback[0].attrs


def test_transcript_paragraphs_with_speakers_and_time_links() -> None:
    doc = parse(render_video_page(make_page()))
    assert doc.one("h2", id="udskrift").text == "Udskrift"
    section = doc.one("section", **{"aria-labelledby": "udskrift"})
    assert section
    paras = [p for p in doc.all("p") if "data-start" in p.attrs]
    assert [p.attrs["data-start"] for p in paras] == ["0", "12300", "21500"]
    assert all("section" in p.parents for p in paras)
    links = doc.all("a", **{"class": "vk-time"})
    assert [a.attrs["href"] for a in links] == [
        "ekspert-1.mp4#t=0",
        "ekspert-1.mp4#t=12.3",
        "ekspert-1.mp4#t=21.5",
    ]
    assert [a.attrs["data-seek"] for a in links] == ["0", "12300", "21500"]
    assert links[1].text.endswith("00:12")
    speakers = [s.text for s in doc.all("span", **{"class": "vk-speaker"})]
    assert speakers == ["Interviewer:", "Ekspert:"]  # named again only when the speaker changes
    assert "At vi handler nu." in paras[1].text


def test_interactive_transcript_hooks_and_no_live_region() -> None:
    html = render_video_page(make_page())
    doc = parse(html)
    assert "data-vk-player" in doc.one("video").attrs
    assert doc.all("div", **{"data-vk-transcript": None})
    assert "aria-live" not in html
    (attrs, js) = next(s for s in doc.scripts if "type" not in s[0])
    assert "aria-current" in js and "currentTime" in js
    assert "innerHTML" not in js
    assert "src" not in attrs  # inlined, so the page stands alone


def test_styles_are_inline_with_focus_and_print_rules() -> None:
    doc = parse(render_video_page(make_page()))
    css = doc.one("style").text
    assert ":focus" in css
    assert "@media print" in css
    assert not doc.all("link")  # no stylesheet or font from anywhere else


def test_downloads_section() -> None:
    doc = parse(render_video_page(make_page()))
    hrefs = [
        a.attrs["href"] for a in doc.all("a") if "section" in a.parents and "download" in a.attrs
    ]
    assert {"ekspert-1.da.vtt", "ekspert-1.srt", "ekspert-1.txt"} <= set(hrefs)
    doc = parse(render_video_page(make_page(transcript_txt=None)))
    assert not doc.all("a", href="ekspert-1.txt")


def test_unreviewed_notice() -> None:
    notice = "Ikke gennemset: automatisk tekst, ikke godkendt"
    assert notice in render_video_page(make_page())
    assert notice not in render_video_page(make_page(reviewed=True))


def test_jsonld_in_head_parses() -> None:
    doc = parse(render_video_page(make_page(), base_url="https://example.dk/v"))
    scripts = [text for attrs, text in doc.scripts if attrs.get("type") == "application/ld+json"]
    assert len(scripts) == 1
    data = json.loads(scripts[0])
    assert data["@type"] == "VideoObject"
    assert data["contentUrl"] == "https://example.dk/v/ekspert-1/ekspert-1.mp4"
    assert data["caption"]["encodingFormat"] == "text/vtt"
    script = next(e for e in doc.elements if e.attrs.get("type") == "application/ld+json")
    assert script.parents == ("html", "head")


def test_hostile_text_is_text_everywhere() -> None:
    page = make_page(
        title=HOSTILE,
        description=HOSTILE,
        paragraphs=(Paragraph(0, 1000, HOSTILE, HOSTILE),),
    )
    html = render_video_page(page)
    assert "<script>alert" not in html
    doc = parse(html)
    # Only our two scripts exist: the JSON-LD and the transcript script.
    assert len(doc.all("script")) == 2
    assert doc.one("h1").text == HOSTILE
    assert HOSTILE in doc.one("title").text
    assert doc.one("meta", name="description").attrs["content"] == HOSTILE
    para = next(p for p in doc.all("p") if "data-start" in p.attrs)
    assert para.text.strip().endswith(f"{HOSTILE}: {HOSTILE}")
    ld = next(text for attrs, text in doc.scripts if attrs.get("type") == "application/ld+json")
    assert json.loads(ld)["name"] == HOSTILE
    assert "<" not in ld


def test_hostile_text_in_index_and_embed() -> None:
    page = make_page(title=HOSTILE, description=HOSTILE)
    for html in (render_index([page]), render_embed(page, "https://example.dk/v")):
        assert "<script" not in html
        assert HOSTILE in "".join(e.text for e in parse(html).all("a"))


def test_odd_file_names_are_url_encoded() -> None:
    doc = parse(render_video_page(make_page(mp4='min "video"#1.mp4', vtt="javascript:alert(1)")))
    assert doc.one("source").attrs["src"] == "min%20%22video%22%231.mp4"
    assert doc.one("track").attrs["src"] == "javascript%3Aalert%281%29"


def test_empty_transcript_says_so() -> None:
    html = render_video_page(make_page(paragraphs=()))
    doc = parse(html)
    assert doc.one("h2", id="udskrift")
    assert "ingen udskrift" in html


def test_other_language_marks_the_transcript() -> None:
    doc = parse(render_video_page(make_page(language="en")))
    assert doc.one("html").attrs["lang"] == "da"  # the page's own words stay Danish
    assert doc.one("track").attrs["srclang"] == "en"
    assert doc.all("div", lang="en")


# --- index --------------------------------------------------------------------------------------


def test_index_lists_every_video() -> None:
    pages = [
        make_page(),
        make_page(slug="ekspert-2", title="Om vand", duration_ms=3_723_000, reviewed=True),
    ]
    doc = parse(render_index(pages, title="Eksperter forklarer"))
    check_common(doc)
    assert doc.one("h1").text == "Eksperter forklarer"
    assert doc.one("title").text == "Eksperter forklarer"
    assert doc.one("a", href="ekspert-1/index.html").text == "Om klima"
    assert doc.one("a", href="ekspert-2/index.html").text == "Om vand"
    assert doc.one("time", datetime="PT1M5S").text == "1 min 5 s"
    assert doc.one("time", datetime="PT1H2M3S").text == "1 t 2 min 3 s"
    imgs = doc.all("img")
    assert [i.attrs["src"] for i in imgs] == ["ekspert-1/poster.jpg", "ekspert-2/poster.jpg"]
    assert all(i.attrs["alt"] == "" for i in imgs)  # decorative: the title link names the video
    assert len(doc.all("li")) == 2


def test_index_without_videos() -> None:
    doc = parse(render_index([]))
    check_common(doc)
    assert doc.one("h1").text == "Videoer"
    assert not doc.all("ul")


# --- embed --------------------------------------------------------------------------------------


def test_embed_uses_absolute_urls_under_base() -> None:
    doc = parse(render_embed(make_page(), "https://example.dk/videoer/"))
    base = "https://example.dk/videoer/ekspert-1/"
    video = doc.one("video")
    assert video.attrs["poster"] == base + "poster.jpg"
    assert {"controls", "playsinline"} <= set(video.attrs)
    assert doc.one("source").attrs["src"] == base + "ekspert-1.mp4"
    track = doc.one("track")
    assert track.attrs["src"] == base + "ekspert-1.da.vtt"
    assert (track.attrs["kind"], track.attrs["srclang"], "default" in track.attrs) == (
        "captions",
        "da",
        True,
    )
    assert doc.one("a", href=base + "index.html")  # the transcript sits right under the player
    assert not doc.all("html") and not doc.all("h1")  # a fragment for a CMS page, not a page


def test_embed_needs_a_base_url() -> None:
    with pytest.raises(PackageError):
        render_embed(make_page(), "  ")


# --- environment --------------------------------------------------------------------------------


def test_environment_is_strict_and_escapes() -> None:
    env = environment()
    assert env.undefined is jinja2.StrictUndefined
    assert env.from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ missing }}").render()


def test_missing_templates_dir_is_a_package_error(tmp_path: Path) -> None:
    with pytest.raises(PackageError):
        render_video_page(make_page(), templates_dir=tmp_path)


def test_templates_dir_argument(tmp_path: Path) -> None:
    src = Path(environment().loader.searchpath[0])  # type: ignore[union-attr]
    for path in src.rglob("*"):
        if path.is_file():
            target = tmp_path / path.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "embed.html.j2").write_text("<p>{{ page.title }}</p>\n", encoding="utf-8")
    assert render_embed(make_page(), "https://x.dk", templates_dir=tmp_path) == "<p>Om klima</p>\n"
