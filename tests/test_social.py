"""The social-media formats: sizes, reframing, caption layout per profile, legibility on frames.

The rendering tests make real files with ffmpeg from a 3-second clip at the smallest size the
settings allow, and find the captions on the rendered frames by their pixels. With
``VIDEOKIT_SOCIAL_PICTURES=<folder>`` they render larger and keep one frame of each format there
(the README's pictures).
"""

from __future__ import annotations

import json
import os
import subprocess
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from videokit import legibility, media, social, social_files
from videokit.config import load_settings
from videokit.errors import VideokitError
from videokit.norms import PROFILES, check_cues, profile_norms
from videokit.records import VideoRecord
from videokit.segment import cues_from_transcript
from videokit.social import (
    FORMATS,
    READY,
    STATES,
    Check,
    Output,
    SocialSettings,
    SocialStatus,
    caption_style,
    reframe,
    to_ass,
)
from videokit.transcript import Cue, Segment, Transcript, Word
from videokit.workspace import Layout

SLUG = "moede"
ASPECTS = {"16:9": 16 / 9, "1:1": 1.0, "4:5": 4 / 5, "9:16": 9 / 16}

TEXT = (
    "Som lokalpolitiker er du altid på, også når du skriver på Facebook klokken elleve om "
    "aftenen. Tænk derfor over, hvem der læser med, før du deler noget. Kommunen har lavet en "
    "kort vejledning om sociale medier, og den kan du finde på intranettet. Spørg gerne "
    "kommunikationsafdelingen, hvis du er i tvivl om noget."
)


def spoken(text: str = TEXT, start: int = 300, ms_per_char: int = 80) -> Transcript:
    """A transcript with word times at a calm speaking pace (about 12 characters a second, as
    the Danish professional profile's 15 cps assumes), pauses after sentences."""
    words, t = [], start
    for w in text.split():
        d = max(120, len(w) * ms_per_char)
        words.append(Word(" " + w, t, t + d, 0.9))
        t += d + (400 if w.endswith(".") else 40)
    seg = Segment(words[0].start_ms, words[-1].end_ms, text, tuple(words))
    return Transcript(language="da", duration_ms=t + 1000, segments=(seg,))


# -- formats and reframing --------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(FORMATS))
@pytest.mark.parametrize("short", [180, 1080])
def test_each_format_has_its_platform_size_and_aspect(name, short):
    width, height = FORMATS[name].size(short)
    assert min(width, height) == short and width % 2 == 0 and height % 2 == 0
    assert abs(width / height - ASPECTS[name]) < 0.01
    if short == 1080:
        assert (width, height) == {
            "16:9": (1920, 1080),
            "1:1": (1080, 1080),
            "4:5": (1080, 1350),
            "9:16": (1080, 1920),
        }[name]


@given(
    st.integers(160, 4000),
    st.integers(160, 4000),
    st.sampled_from(list(FORMATS)),
    st.floats(0, 1),
)
def test_a_crop_fills_the_format_and_stays_inside_the_picture(w, h, name, focus):
    w, h = w - w % 2, h - h % 2
    plan = reframe(FORMATS[name], w, h, SocialSettings(focus_x=focus))
    assert not plan.pad, "no bars unless the settings ask"
    if plan.crop is None:
        assert abs(w / h - ASPECTS[name]) < 0.01
        return
    x, y, cw, ch = plan.crop
    assert x >= 0 and y >= 0 and x + cw <= w and y + ch <= h
    assert abs(cw / ch - plan.width / plan.height) < 0.02 + 2 / min(cw, ch)


def test_the_centre_crop_keeps_the_middle_and_focus_moves_it():
    f = FORMATS["9:16"]
    x, _, cw, _ = reframe(f, 1280, 720, SocialSettings()).crop or (0, 0, 0, 0)
    assert abs((x + cw / 2) - 640) <= 2
    x_left, *_ = reframe(f, 1280, 720, SocialSettings(focus_x=0.0)).crop or (9, 0, 0, 0)
    assert x_left == 0


def test_bars_only_where_the_settings_ask():
    plan = reframe(FORMATS["9:16"], 1280, 720, SocialSettings(reframe="bars"))
    assert plan.pad and plan.crop is None and (plan.width, plan.height) == (1080, 1920)


def test_the_motion_crop_goes_where_the_picture_moves_and_not_for_a_still_one():
    still = np.full((90, 160, 3), 40, np.uint8)
    moving = still.copy()
    moving[20:70, 20:40] = 250  # someone on the left moves
    share = social.crop_share(FORMATS["9:16"], 160, 90)
    focus = social.motion_focus([still, moving], share)
    assert focus is not None and focus < 0.2
    window = round(share * 160)
    left = round(focus * (160 - window))
    assert left <= 20 and left + window >= 40, "the whole movement is inside the crop"
    assert social.motion_focus([still, still], share) is None
    assert social.motion_focus([still, moving], 1.0) is None, "nothing to choose"


@pytest.mark.parametrize(
    "bad",
    [
        {"formats": ("3:2",)},
        {"formats": ("9:16", "9:16")},
        {"reframe": "stretch"},
        {"focus_x": 1.5},
        {"short_side": 100},
        {"profiles": (("5:4", "web"),)},
    ],
)
def test_settings_refuse_what_cannot_be_made(bad):
    with pytest.raises(ValueError):
        SocialSettings(**bad)


def test_no_formats_is_a_choice():
    assert SocialSettings(formats=()).formats == ()


def test_social_settings_come_from_videokit_toml(tmp_path):
    toml = tmp_path / "videokit.toml"
    toml.write_text(
        '[social]\nformats = ["9:16", "1:1"]\nreframe = "bars"\n'
        '[social.profiles]\n"1:1" = "danish-professional"\n',
        encoding="utf-8",
    )
    got = load_settings(toml).social
    assert got.formats == ("9:16", "1:1") and got.reframe == "bars"
    assert got.profile("1:1") == "danish-professional" and got.profile("9:16") == "vertical"
    toml.write_text('[social.profiles]\n"9:16" = "tiktok"\n', encoding="utf-8")
    with pytest.raises(VideokitError, match="not a known profile") as err:
        load_settings(toml)
    assert err.value.path == toml
    toml.write_text('[social]\nformats = ["21:9"]\n', encoding="utf-8")
    with pytest.raises(VideokitError, match="formats"):
        load_settings(toml)


# -- captions per profile ----------------------------------------------------------------------------


def _unbreakable(cues: list[Cue], violation) -> bool:
    """A line that is one word longer than the limit ("kommunikationsafdelingen," is 25
    characters): no layout can meet the limit there; every other violation counts."""
    line = cues[violation.cue_index].lines[int(violation.detail.split()[1]) - 1]
    return violation.rule == "line_chars" and " " not in line


@pytest.mark.parametrize("profile", list(PROFILES))
def test_each_profile_s_cues_meet_that_profile(profile):
    transcript = spoken()
    norms = profile_norms(profile)
    cues = cues_from_transcript(transcript, norms)
    broken = [v for v in check_cues(cues, norms) if not _unbreakable(cues, v)]
    assert cues and broken == []
    assert len(cues) >= 4 and all(len(c.lines) <= norms.max_lines for c in cues)


@pytest.mark.parametrize("name", list(FORMATS))
def test_a_format_s_burned_in_captions_are_laid_out_again_for_its_profile(name):
    transcript, site = spoken(), PROFILES["web"]
    approved = cues_from_transcript(transcript, site)
    norms = social_files.format_norms(name, SocialSettings(), site)
    cues = social_files.format_cues(transcript, approved, norms, site)
    assert [v for v in check_cues(cues, norms) if not _unbreakable(cues, v)] == []
    if norms == site:
        assert cues == approved, "the wide picture shows the captions exactly as approved"
    else:
        assert norms.profile == "vertical" and len(cues) > len(approved), "never squeezed"
        words = " ".join(" ".join(c.lines) for c in cues).split()
        assert words == " ".join(" ".join(c.lines) for c in approved).split()


def test_the_script_keeps_lines_as_laid_out_and_text_as_text():
    f = FORMATS["9:16"]
    style = caption_style(f, 1080, 1920, 24)
    cue = Cue(1000, 2500, ("<i>Hej</i> {med} dig", r"og C:\N"))
    ass = to_ass([cue], 1080, 1920, style)
    assert "WrapStyle: 2" in ass and "PlayResX: 1080" in ass
    line = ass.splitlines()[-1]
    assert line.startswith("Dialogue: 0,0:00:01.00,0:00:02.50,")
    assert r"{\i1}Hej{\i0} (med) dig\Nog C:⧵N" in line


def test_word_by_word_highlight_follows_the_approved_word_times():
    words = [Word(" Byrådet", 1000, 1500), Word(" mødes", 1700, 2100)]
    cue = Cue(1000, 2400, ("Byrådet mødes",))
    style = caption_style(FORMATS["9:16"], 1080, 1920, 24)
    line = to_ass([cue], 1080, 1920, style, words).splitlines()[-1]
    assert line.endswith(r"{\kf50}Byrådet {\k20}{\kf40}mødes")


def test_a_full_line_fits_the_safe_area_at_the_chosen_size():
    for name, f in FORMATS.items():
        width, height = f.size(1080)
        chars = 42 if name == "16:9" else 24
        style = caption_style(f, width, height, chars)
        left, _, right, bottom = f.safe_box(width, height)
        assert chars * social.CHAR_EM * style.font_size + 2 * style.pad <= right - left
        assert style.margin_v - style.pad >= height - bottom
        assert style.font_size >= 0.03 * min(width, height), "big enough to read on a phone"


# -- legibility on frames (synthetic) ----------------------------------------------------------------


def _picture(h: int = 120, w: int = 200) -> np.ndarray:
    rng = np.random.default_rng(7)
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


def _with_caption(frame, box, text_rgb, box_rgb):
    out = frame.copy()
    left, top, right, bottom = box
    out[top:bottom, left:right] = box_rgb
    out[top + 3 : bottom - 3 : 2, left + 4 : right - 4 : 3] = text_rgb  # strokes
    return out


def test_the_caption_is_found_by_its_pixels_and_its_contrast_measured():
    clean = _picture()
    burned = _with_caption(clean, (50, 80, 150, 100), (255, 255, 255), (0, 0, 0))
    check = legibility.check_frame(burned, clean, (10, 10, 190, 110), at_ms=500)
    assert check is not None and check.box == (50, 80, 150, 100)
    assert check.inside and check.contrast > 15 and check.ok


def test_a_faint_or_misplaced_caption_fails_the_check():
    clean = _picture()
    faint = _with_caption(clean, (50, 80, 150, 100), (150, 150, 150), (90, 90, 90))
    check = legibility.check_frame(faint, clean, (10, 10, 190, 110), 0)
    assert check is not None and check.contrast < 4.5 and not check.ok
    low = _with_caption(clean, (50, 100, 150, 120), (255, 255, 255), (0, 0, 0))
    check = legibility.check_frame(low, clean, (10, 10, 190, 110), 0)
    assert check is not None and not check.inside and not check.ok
    assert legibility.check_frame(clean, clean, (0, 0, 200, 120), 0) is None


def test_contrast_is_the_wcag_ratio():
    white, black = legibility.relative_luminance(np.array([[255, 255, 255], [0, 0, 0]]))
    assert legibility.contrast_ratio(white, black) == pytest.approx(21.0)
    grey = legibility.relative_luminance(np.array([118, 118, 118]))
    assert legibility.contrast_ratio(float(grey), white) == pytest.approx(4.54, abs=0.02)


# -- the status record round-trips -------------------------------------------------------------------

_checks = st.builds(
    Check,
    st.integers(0, 10**7),
    st.tuples(*(st.integers(0, 4000) for _ in range(4))),
    st.floats(1, 21),
    st.booleans(),
)
_outputs = st.builds(
    Output,
    st.sampled_from(list(FORMATS)),
    st.sampled_from(STATES),
    st.text(max_size=40),
    st.lists(st.text(min_size=1, max_size=20), max_size=3).map(tuple),
    st.text(max_size=60),
    st.integers(0, 9),
    st.lists(_checks, max_size=3).map(tuple),
    st.floats(0, 1e4),
    st.text(max_size=30),
)


@given(st.text(min_size=1, max_size=20), st.text(max_size=40), st.lists(_outputs, max_size=4))
def test_the_status_record_round_trips(slug, version, outputs):
    status = SocialStatus(slug, version, tuple(outputs))
    assert SocialStatus.from_dict(json.loads(json.dumps(status.to_dict()))) == status


@given(
    st.lists(st.sampled_from(list(FORMATS)), min_size=1, unique=True).map(tuple),
    st.dictionaries(st.sampled_from(list(FORMATS)), st.sampled_from(["", *PROFILES])),
    st.sampled_from(social.REFRAMES),
    st.booleans(),
)
def test_social_settings_round_trip(formats, profiles, how, highlight):
    settings = SocialSettings(formats, tuple(sorted(profiles.items())), how, highlight=highlight)
    assert SocialSettings.from_dict(json.loads(json.dumps(settings.to_dict()))) == settings


# -- real renders ------------------------------------------------------------------------------------

PICTURES = os.environ.get("VIDEOKIT_SOCIAL_PICTURES")


def _clip(path: Path, seconds: float = 3.0) -> Path:
    """A busy moving picture (the worst case for finding text) with a red 'speaker' in the middle
    of the 16:9 frame, so a crop that loses the middle shows."""
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", "testsrc2=s=320x180:r=25",
         "-f", "lavfi", "-i", "sine=frequency=440",
         "-vf", "drawbox=x=150:y=40:w=20:h=100:color=red:t=fill",
         "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
         "-c:a", "aac", str(path)],
        check=True,
    )  # fmt: skip
    return path


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Every format of a published 3-second video, made as after an approval."""
    root = tmp_path_factory.mktemp("social")
    layout = Layout(root / "build", root / "review")
    site = layout.video_dir(SLUG)
    site.mkdir(parents=True)
    video = _clip(site / f"{SLUG}.mp4")
    transcript = spoken("Byrådet holder møde i aften på rådhuset. Alle er velkomne.", 100, 40)
    site_norms = PROFILES["web"]
    cues = cues_from_transcript(transcript, site_norms)
    record = VideoRecord(SLUG, "Møde", "", 3000, "m.mp4", "ab" * 32, "2026-01-01", len(cues))
    folder = layout.social / SLUG
    social_files.stage(folder, folder, record, transcript, cues, video=video)
    layout.quality.mkdir(parents=True)
    (layout.quality / f"{SLUG}.json").write_text("{}", encoding="utf-8")
    settings = SocialSettings(short_side=360 if PICTURES else 180)
    published = social_files.Published(record, transcript, tuple(cues))
    status = social_files.render(layout, published, settings, site_norms, hold=nullcontext)
    return layout, status, settings


@pytest.mark.slow
@pytest.mark.parametrize("name", list(FORMATS))
def test_each_format_is_rendered_clean_and_burned_in_at_its_size(rendered, name):
    layout, status, settings = rendered
    out = status.output(name)
    assert out is not None and out.state == READY, out
    folder = layout.social / SLUG
    tag = FORMATS[name].tag
    for file in (f"{SLUG}-{tag}.mp4", f"{SLUG}-{tag}-captions.mp4"):
        info = media.probe(folder / file)
        assert (info.width, info.height) == FORMATS[name].size(settings.short_side)
        assert abs(info.width / info.height - ASPECTS[name]) < 0.01
        assert 2500 <= info.duration_ms <= 3500
    srt = folder / f"{SLUG}-{tag}.da_DK.srt"
    assert srt.is_file() == FORMATS[name].caption_file, (
        "a caption file where the platform takes one"
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", list(FORMATS))
def test_burned_in_text_is_found_inside_the_safe_area_with_contrast(rendered, name):
    layout, status, _ = rendered
    folder = layout.social / SLUG
    tag = FORMATS[name].tag
    burned, clean = folder / f"{SLUG}-{tag}-captions.mp4", folder / f"{SLUG}-{tag}.mp4"
    out = status.output(name)
    assert out is not None and out.checks, "every burned-in file is checked"
    for at in (c.at_ms for c in out.checks):
        frame, plain = media.read_frame(burned, at), media.read_frame(clean, at)
        height, width = frame.shape[:2]
        check = legibility.check_frame(frame, plain, FORMATS[name].safe_box(width, height), at)
        assert check is not None, f"no caption found at {at} ms"
        assert check.inside and check.contrast >= 4.5, check
        left, top, right, bottom = check.box
        assert (right - left) * (bottom - top) < 0.3 * width * height, "found the text, not noise"
    report = json.loads((layout.quality / f"{SLUG}.json").read_text(encoding="utf-8"))
    assert report["social"][name]["frames"][0]["contrast"] >= 4.5, "measured, in the report"
    if PICTURES:
        Path(PICTURES).mkdir(parents=True, exist_ok=True)
        media.save_frame(burned, out.checks[0].at_ms, Path(PICTURES) / f"{tag}.png")


@pytest.mark.slow
def test_the_crop_keeps_the_speaker_in_the_middle(rendered):
    layout, _, _ = rendered
    frame = media.read_frame(layout.social / SLUG / f"{SLUG}-9x16.mp4", 1000)
    red = (frame[..., 0] > 180) & (frame[..., 1] < 80) & (frame[..., 2] < 80)
    cols = np.flatnonzero(red.any(axis=0))
    assert cols.size and abs((cols[0] + cols[-1]) / 2 - frame.shape[1] / 2) < 6


@pytest.mark.slow
def test_each_narrow_format_s_caption_file_meets_its_profile(rendered):
    from videokit.edits import parse_srt

    layout, _, _ = rendered
    for name in ("1:1", "4:5"):
        srt = layout.social / SLUG / f"{SLUG}-{FORMATS[name].tag}.da_DK.srt"
        cues = parse_srt(srt.read_text(encoding="utf-8"))
        assert cues and check_cues(cues, profile_norms("vertical")) == []  # short words only


@pytest.mark.slow
def test_a_second_render_keeps_what_is_ready_and_says_which_files_are(rendered, monkeypatch):
    layout, _, settings = rendered
    record = VideoRecord(SLUG, "Møde", "", 3000, "m.mp4", "ab" * 32, "2026-01-01", 1)

    def refuse(*_a, **_k):
        raise AssertionError("rendered again")

    monkeypatch.setattr(social_files.media, "render_social", refuse)
    transcript = spoken("Byrådet holder møde i aften på rådhuset. Alle er velkomne.", 100, 40)
    cues = cues_from_transcript(transcript, PROFILES["web"])
    published = social_files.Published(record, transcript, tuple(cues))
    again = social_files.render(layout, published, settings, PROFILES["web"], hold=nullcontext)
    assert again is not None and [o.state for o in again.outputs] == [READY] * 4
    ready = social_files.ready_files(layout, SLUG)
    assert set(ready) == set(FORMATS) and f"{SLUG}-9x16-captions.mp4" in ready["9:16"]["files"]
    assert social.summary(again, settings) == "16:9 ready, 1:1 ready, 4:5 ready, 9:16 ready"


def test_the_run_summary_has_a_line_per_video_for_its_social_files():
    from videokit.report import VideoResult, format_table, from_dict, to_dict

    result = VideoResult("m.mp4", "m", True, status="approved", social="9:16 ready, 1:1 failed")
    assert from_dict(json.loads(json.dumps(to_dict(result)))) == result
    table = format_table([result])
    assert "social media files" in table and "m.mp4: 9:16 ready, 1:1 failed" in table


@pytest.mark.slow
def test_word_by_word_highlight_stays_legible_on_the_frame(tmp_path):
    video = _clip(tmp_path / "v.mp4", seconds=2.0)
    f = FORMATS["9:16"]
    settings = SocialSettings(short_side=180, highlight=True)
    plan = reframe(f, 320, 180, settings)
    words = [Word(" Byrådet", 100, 700), Word(" holder", 800, 1200), Word(" møde.", 1300, 1900)]
    cues = [Cue(100, 1900, ("Byrådet holder møde.",))]
    style = caption_style(f, plan.width, plan.height, 24)
    clean, burned = tmp_path / "c.mp4", tmp_path / "b.mp4"
    media.render_social(
        video, width=plan.width, height=plan.height, crop=plan.crop, pad=plan.pad,
        clean=clean, burned=burned, captions_ass=to_ass(cues, plan.width, plan.height, style, words),
    )  # fmt: skip
    checks = social_files.check_legibility(burned, clean, f, cues)
    frame = media.read_frame(burned, 1000)
    left, top, right, bottom = checks[0].box
    region = frame[top:bottom, left:right].reshape(-1, 3).astype(int)
    yellow = (region[:, 0] > 200) & (region[:, 1] > 170) & (region[:, 2] < 120)
    assert yellow.sum() > 5, "the spoken words are lit"
    assert all(c.ok for c in checks)


@pytest.mark.slow
def test_a_motion_crop_keeps_a_speaker_who_stands_to_one_side(tmp_path):
    layout = Layout(tmp_path / "build", tmp_path / "review")
    site = layout.video_dir(SLUG)
    site.mkdir(parents=True)
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", "color=c=navy:s=320x180:r=25",
         "-f", "lavfi", "-i", "sine=frequency=440",
         "-f", "lavfi", "-i", "color=c=red:s=30x100:r=25",
         "-filter_complex", "[0][2]overlay=x=40+15*sin(t*5):y=40:shortest=1[v]",
         "-map", "[v]", "-map", "1:a",
         "-t", "2", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
         "-c:a", "aac", str(site / f"{SLUG}.mp4")],
        check=True,
    )  # fmt: skip
    transcript = spoken("Byrådet holder møde.", 200, 60)
    cues = cues_from_transcript(transcript, PROFILES["web"])
    record = VideoRecord(SLUG, "Møde", "", 2000, "m.mp4", "ab" * 32, "2026-01-01", len(cues))
    folder = layout.social / SLUG
    social_files.stage(folder, folder, record, transcript, cues, video=site / f"{SLUG}.mp4")
    settings = SocialSettings(formats=("9:16",), short_side=180, reframe="motion")
    published = social_files.Published(record, transcript, tuple(cues))
    status = social_files.render(layout, published, settings, PROFILES["web"], hold=nullcontext)
    assert status is not None and status.output("9:16").state == READY
    frame = media.read_frame(folder / f"{SLUG}-9x16.mp4", 1000)
    red = (frame[..., 0] > 150) & (frame[..., 1] < 90) & (frame[..., 2] < 90)
    assert red.sum() > 200, "the speaker on the left is in the 9:16 picture"
