"""Real ffmpeg on small generated files: each kind of bad input gets a clear, named error."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import clips
from videokit import draft, media
from videokit.errors import MediaError
from videokit.speech import peak_dbfs
from videokit.streams import web_plan
from videokit.workspace import VideoJob

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    return clips.speech_video(tmp_path_factory.mktemp("m") / "tale.mp4", text="Hej og velkommen.")


def test_probe_reads_duration_and_streams(speech):
    info = media.probe(speech)
    assert info.duration_ms > 0 and (info.width, info.height) == (320, 180)
    assert 1500 < info.duration_ms < 5000


def test_text_renamed_mp4(tmp_path):
    fake = tmp_path / "referat.mp4"
    fake.write_text("Dette er et referat, ikke en video.\n")
    with pytest.raises(MediaError, match="not a video ffmpeg can read") as err:
        media.probe(fake)
    assert err.value.path == fake and err.value.stage == "probe" and "export" in err.value.hint


def test_empty_file(tmp_path):
    empty = tmp_path / "tom.mp4"
    empty.touch()
    with pytest.raises(MediaError, match="empty") as err:
        media.probe(empty)
    assert "copy the video again" in err.value.hint


def test_video_without_audio(tmp_path):
    with pytest.raises(MediaError, match="no audio stream") as err:
        media.probe(clips.video_without_audio(tmp_path / "stum.mp4"))
    assert "sound track" in err.value.hint


def test_unreadable_file(tmp_path, monkeypatch, speech):
    # Tests may run as root, who can read anything; ask the permission check to say no.
    real = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode, **k: str(p) != str(speech) and real(p, mode, **k)
    )
    with pytest.raises(MediaError, match="permission denied") as err:
        media.probe(speech)
    assert "chmod" in err.value.hint


def test_silent_sound_track_is_refused_before_whisper(tmp_path):
    video = clips.silent_video(tmp_path / "stille.mp4")
    samples = media.load_audio(video)
    assert peak_dbfs(samples) == float("-inf")
    with pytest.raises(MediaError, match="silent") as err:
        draft.silence_check(samples, video)
    assert err.value.path == video


def test_load_audio_is_16k_mono(speech):
    samples = media.load_audio(speech)
    assert samples.dtype.name == "float32" and samples.ndim == 1
    assert abs(len(samples) / 16 - media.probe(speech).duration_ms) < 100
    assert peak_dbfs(samples) > -20


def top_level_boxes(data: bytes) -> list[str]:
    """The MP4 file's top-level box types in order (ISO BMFF: 32-bit size, 4-byte type)."""
    boxes, at = [], 0
    while at + 8 <= len(data):
        size = int.from_bytes(data[at : at + 4], "big")
        kind = data[at + 4 : at + 8].decode("latin-1")
        if size == 1:  # 64-bit size follows the type
            size = int.from_bytes(data[at + 8 : at + 16], "big")
        boxes.append(kind)
        if size < 8:
            break
        at += size
    return boxes


def moov_first(path) -> bool:
    boxes = top_level_boxes(path.read_bytes())
    return "moov" in boxes and "mdat" in boxes and boxes.index("moov") < boxes.index("mdat")


def test_moov_check_fails_on_a_file_written_without_faststart(tmp_path, speech):
    import subprocess

    plain = tmp_path / "plain.mp4"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-i", str(speech), "-c", "copy", str(plain)], check=True
    )
    assert not moov_first(plain), "without +faststart ffmpeg writes moov after mdat"


def test_web_encode_and_poster(tmp_path, speech):
    mp4, jpg = tmp_path / "out" / "v.mp4", tmp_path / "out" / "poster.jpg"
    media.encode_web_mp4(speech, mp4)
    media.extract_poster(speech, jpg, at_ms=500)
    assert moov_first(mp4), "a web player must find the index before the data"
    assert jpg.read_bytes()[:2] == b"\xff\xd8"
    assert media.probe(mp4).duration_ms > 0  # probe refuses a file without sound
    assert sorted(p.name for p in mp4.parent.iterdir()) == ["poster.jpg", "v.mp4"]


def _video_bits(path) -> bytes:
    import subprocess

    cmd = ["ffmpeg", "-loglevel", "error", "-i", str(path), "-map", "0:v:0", "-c", "copy"]
    return subprocess.run([*cmd, "-f", "h264", "-"], check=True, capture_output=True).stdout


def test_a_source_fit_for_the_web_is_copied_not_encoded_again(tmp_path, speech):
    mp4 = tmp_path / "v.mp4"
    plan = media.encode_web_mp4(speech, mp4)
    assert plan.copy_video and plan.copy_audio
    assert _video_bits(mp4) == _video_bits(speech)  # the very same pictures: no generation loss
    assert moov_first(mp4)


def test_a_source_too_tall_for_the_web_is_scaled_down(tmp_path, speech):
    mp4 = tmp_path / "v.mp4"
    plan = media.encode_web_mp4(speech, mp4, max_height=90)
    assert not plan.copy_video and plan.copy_audio
    assert media.probe(mp4).height == 90 and moov_first(mp4)


def test_a_copy_that_ffmpeg_refuses_is_encoded_instead(tmp_path, speech, monkeypatch):
    real = media._write_web_mp4
    tried: list[bool] = []

    def refuses_copies(src, dst, max_height, plan):
        tried.append(plan.copy_video)
        if plan.copy_video:  # as for an AVI whose packets carry no timestamps
            raise MediaError("ffmpeg failed (unknown timestamp)", path=src, stage="encode")
        real(src, dst, max_height, plan)

    monkeypatch.setattr(media, "_write_web_mp4", refuses_copies)
    mp4 = tmp_path / "v.mp4"
    plan = media.encode_web_mp4(speech, mp4)
    assert tried == [True, False] and not plan.copy_video and not plan.copy_audio
    assert moov_first(mp4) and media.probe(mp4).duration_ms > 0


WEB_READY = {
    "streams": [
        {"index": 0, "codec_type": "video", "codec_name": "h264", "pix_fmt": "yuv420p",
         "height": 720, "bit_rate": "2500000"},
        {"index": 1, "codec_type": "audio", "codec_name": "aac", "profile": "LC", "channels": 2},
    ],
    "format": {"bit_rate": "2700000"},
}  # fmt: skip


@pytest.mark.parametrize(
    ("change", "copy_video", "copy_audio"),
    [
        ({}, True, True),
        ({"v": {"pix_fmt": "yuv420p10le"}}, False, True),  # 10-bit: many browsers cannot play it
        ({"v": {"codec_name": "hevc"}}, False, True),
        ({"v": {"height": 1080}}, False, True),
        ({"v": {"bit_rate": "40000000"}}, False, True),  # a camera original: too heavy to stream
        ({"v": {"bit_rate": None}}, True, True),  # the container's rate stands in
        ({"v": {"side_data_list": [{"rotation": -90}]}}, False, True),  # a phone held upright
        ({"a": {"profile": "HE-AAC"}}, True, False),
        ({"a": {"codec_name": "pcm_s16le"}}, True, False),
        ({"a": {"channels": 6}}, True, False),
    ],
)
def test_web_plan_copies_only_what_browsers_play_well(change, copy_video, copy_audio):
    import copy

    info = copy.deepcopy(WEB_READY)
    info["streams"][0].update(change.get("v", {}))
    info["streams"][1].update(change.get("a", {}))
    plan = web_plan(info)
    assert (plan.copy_video, plan.copy_audio) == (copy_video, copy_audio)
    assert (plan.video_index, plan.audio_index) == (0, 1)


def test_web_plan_skips_cover_art():
    cover = {"index": 0, "codec_type": "video", "codec_name": "mjpeg",
             "disposition": {"attached_pic": 1}}  # fmt: skip
    streams = [cover] + [{**s, "index": s["index"] + 1} for s in WEB_READY["streams"]]
    plan = web_plan({**WEB_READY, "streams": streams})
    assert (plan.video_index, plan.audio_index, plan.copy_video) == (1, 2, True)


def test_failed_encode_keeps_the_old_file_and_leaves_no_partial(tmp_path):
    target = tmp_path / "v.mp4"
    target.write_bytes(b"the good old file")
    bad = tmp_path / "bad.mp4"
    bad.write_text("not video")
    with pytest.raises(MediaError):
        media.encode_web_mp4(bad, target)
    assert target.read_bytes() == b"the good old file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.mp4", "v.mp4"]


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker in (entry / "cmdline").read_bytes().decode():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux")
def test_an_ffmpeg_ends_with_the_videokit_that_started_it(tmp_path):
    """A killed run used to leave its encodes running (7 of 10 kills)."""
    marker = f"videokit-test-{os.getpid()}-{time.monotonic_ns()}"
    script = (
        "import sys\n"
        "from videokit import media\n"
        "print('started', flush=True)\n"
        # -re: at the speed of playback, so it is still running when its parent is killed.
        "media._execute(['ffmpeg', '-nostdin', '-loglevel', 'error', '-re', '-f', 'lavfi',\n"
        f"    '-i', 'anullsrc', '-t', '600', '-metadata', 'title={marker}', '-f', 'null', '-'])\n"
    )
    run = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert run.stdout.readline().strip() == "started"
    deadline = time.monotonic() + 20
    while not _processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_with(marker), "ffmpeg started"
    run.send_signal(signal.SIGKILL)
    run.wait()
    deadline = time.monotonic() + 10
    while _processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = _processes_with(marker)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, "ffmpeg outlived the process that started it"


# --- media from the real world (hostile input, round two) -----------------------------------------


def _make(path: Path, *args: str) -> Path:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *args, str(path)], check=True)
    return path


def _first_sound_s(samples) -> float:
    import numpy as np

    return float(np.flatnonzero(np.abs(samples) > 0.01)[0]) / 16_000


def test_sound_that_starts_after_the_picture_keeps_its_delay(tmp_path):
    """Phone and camera files: every cue would otherwise be early by the delay (1.5 s here)."""
    clip = _make(
        tmp_path / "telefon.mp4",
        *("-f", "lavfi", "-i", "color=c=blue:s=320x180:r=25:d=6"),
        *("-itsoffset", "1.5", "-f", "lavfi", "-i", "sine=frequency=440:duration=4"),
        *("-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-c:a", "aac"),
    )
    assert abs(_first_sound_s(media.load_audio(clip)) - 1.5) < 0.05
    source = draft.probe(VideoJob(clip, "telefon"))
    assert 1400 <= source.info.audio_lead_ms <= 1550
    assert source.audio_id != source.sha256, "its draft is not one made before the delay was kept"
    web = tmp_path / "web.mp4"
    media.encode_web_mp4(clip, web)
    assert abs(_first_sound_s(media.load_audio(web)) - 1.5) < 0.05, "the page plays it the same"


def test_surround_sound_is_read_as_one_channel(tmp_path):
    clip = _make(
        tmp_path / "surround.mkv",
        *("-f", "lavfi", "-i", "color=c=blue:s=320x180:r=25:d=3"),
        *("-f", "lavfi", "-i", "sine=frequency=440:duration=3"),
        *("-filter_complex", "[1]pan=5.1|FC=c0[a]", "-map", "0:v", "-map", "[a]"),
        *("-c:v", "libx264", "-c:a", "pcm_s16le"),
    )
    samples = media.load_audio(clip)
    assert samples.ndim == 1 and abs(len(samples) / 16_000 - 3.0) < 0.1
    # A sine at 0.125 in the centre channel (where a 5.1 mix puts speech), at ffmpeg's downmix.
    assert samples.max() > 0.25 * 0.125, "the centre channel is heard"


def test_an_audio_only_file_is_refused_with_what_to_do(tmp_path):
    clip = _make(tmp_path / "lyd.m4a", "-f", "lavfi", "-i", "sine=duration=2", "-c:a", "aac")
    with pytest.raises(MediaError, match="no video stream") as err:
        media.probe(clip)
    assert err.value.path == clip and "video file" in err.value.hint


def test_hevc_10_bit_is_encoded_for_browsers(tmp_path):
    clip = _make(
        tmp_path / "hevc.mkv",
        *("-f", "lavfi", "-i", "testsrc=s=640x360:r=25:d=2"),
        *("-f", "lavfi", "-i", "sine=duration=2"),
        *("-c:v", "libx265", "-pix_fmt", "yuv420p10le", "-x265-params", "log-level=error"),
        *("-c:a", "aac"),
    )
    web = tmp_path / "web.mp4"
    plan = media.encode_web_mp4(clip, web)
    assert plan is None or not plan.copy_video
    info = media._ffprobe(web)
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    assert (video["codec_name"], video["pix_fmt"]) == ("h264", "yuv420p")


def test_a_rotated_variable_rate_phone_video_plays_upright(tmp_path):
    """Held upright, a phone stores landscape frames and a rotation; browsers need it applied."""
    raw = _make(
        tmp_path / "raw.mp4",
        *("-f", "lavfi", "-i", "testsrc=s=320x180:r=30:d=3"),
        *("-f", "lavfi", "-i", "sine=duration=3"),
        *("-vf", "setpts='PTS+0.02*sin(N)/TB'", "-fps_mode", "vfr"),
        *("-c:v", "libx264", "-c:a", "aac"),
    )
    clip = _make(
        tmp_path / "phone.mp4",
        *("-i", str(raw), "-c", "copy", "-metadata:s:v:0", "rotate=90"),
    )
    info = media.probe(clip)
    assert info.duration_ms > 2_500
    web = tmp_path / "web.mp4"
    media.encode_web_mp4(clip, web)
    video = next(s for s in media._ffprobe(web)["streams"] if s["codec_type"] == "video")
    assert (video["width"], video["height"]) == (180, 320), "stored upright, no rotation left"
    rotation = [d for d in video.get("side_data_list", []) if "rotation" in d]
    assert not rotation or rotation[0]["rotation"] in (0, -0)
