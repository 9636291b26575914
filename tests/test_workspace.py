from __future__ import annotations

import re
import zipfile

from hypothesis import given
from hypothesis import strategies as st

from videokit import package
from videokit.slug import slugify
from videokit.workspace import (
    VideoJob,
    find_videos,
    glossary_prompt,
    read_glossary,
    read_meta,
)


def test_slug_spells_out_danish_letters():
    assert slugify("Gør & undlad – Åbne Møder") == "goer-undlad-aabne-moeder"
    assert slugify("KL's café 2024") == "kl-s-cafe-2024"
    assert slugify("!!!") == "video"


@given(st.text())
def test_slug_is_always_url_safe(name):
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slugify(name))


def test_find_videos_sorts_skips_non_videos_and_reports_slug_clashes(tmp_path):
    for name in ("b.mp4", "a.MOV", "notes.txt", ".hidden.mp4", "Møde 1.mp4", "moede-1.mkv"):
        (tmp_path / name).write_bytes(b"x")
    jobs, errors = find_videos([tmp_path, tmp_path / "missing.mp4"])
    assert [j.slug for j in jobs] == ["a", "b"]
    clashes = [e for e in errors if "same web name" in e.message]
    assert {e.path.name for e in clashes} == {"Møde 1.mp4", "moede-1.mkv"}
    assert any(e.path.name == "missing.mp4" for e in errors)


def test_meta_and_glossary_side_files(tmp_path):
    video = tmp_path / "Byråd og borgere.mp4"
    video.write_bytes(b"x")
    job = VideoJob(video, "byraad-og-borgere")
    assert read_meta(job).title == "Byråd og borgere"
    (tmp_path / "byraad-og-borgere.toml").write_text(
        'title = "Borgerne"\ndescription = "Om KL"\nspeaker = "Anne Holm"\n'
    )
    meta = read_meta(job)
    assert (meta.title, meta.description, meta.speaker) == ("Borgerne", "Om KL", "Anne Holm")
    (tmp_path / "glossary.txt").write_text("\ufeffKL\n# comment\nbyråd  # the council\n")
    (tmp_path / "Byråd og borgere.glossary.txt").write_text("TikTok\nKL\n")
    assert read_glossary(job) == ["KL", "byråd", "TikTok"]
    assert glossary_prompt(read_glossary(job)) == "KL, byråd, TikTok."
    assert glossary_prompt([]) is None


def test_bad_toml_names_the_file(tmp_path):
    video = tmp_path / "v.mp4"
    (tmp_path / "v.toml").write_text("title = ")
    try:
        read_meta(VideoJob(video, "v"))
    except Exception as err:
        assert err.path == tmp_path / "v.toml" and "TOML" in str(err)
    else:
        raise AssertionError("bad TOML was accepted")


def test_manifest_and_zip_describe_the_same_tree(tmp_path):
    site = tmp_path / "site"
    (site / "a").mkdir(parents=True)
    (site / "a" / "index.html").write_text("<p>a</p>")
    (site / "a" / "a.mp4").write_bytes(b"\0" * 1000)
    (site / "a" / ".a.mp4.tmp.part").write_bytes(b"half")  # a crashed write must not ship
    (site / "index.html").write_text("index")
    files = [site / "index.html", site / "a" / "index.html", site / "a" / "a.mp4"]
    manifest = package.write_manifest(site, [package.VideoEntry("a", "A", 1234)], files)
    paths = [f["path"] for f in manifest["files"]]
    assert paths == ["a/a.mp4", "a/index.html", "index.html"]
    assert manifest["files"][0]["bytes"] == 1000
    assert manifest["videos"][0]["duration_ms"] == 1234
    zpath = tmp_path / "site.zip"
    assert package.write_zip(site, zpath, manifest) == 4
    with zipfile.ZipFile(zpath) as zf:
        assert sorted(zf.namelist()) == sorted([*paths, "manifest.json"])
        assert zf.read("a/a.mp4") == b"\0" * 1000
    first = zpath.read_bytes()
    package.write_zip(site, zpath, manifest)
    assert zpath.read_bytes() == first, "same site, same zip bytes"


def test_default_speaker_names_only_unnamed_segments():
    from videokit.transcript import Segment, Transcript

    t = Transcript("da", 5000, (Segment(0, 1000, " a"), Segment(1000, 2000, " b", speaker="Ole")))
    named = t.with_default_speaker("Anne")
    assert [s.speaker for s in named.segments] == ["Anne", "Ole"]
    assert t.with_default_speaker(None) is t
