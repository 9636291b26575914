"""The hallucination guard with the real base model on the clips Whisper is known to misread."""

from __future__ import annotations

import subprocess

import pytest

import clips
from videokit import draft, media, speech
from videokit.asr import DecodeOptions
from videokit.guard import find_loops
from videokit.speech import GUARD, SILENT_TRACK

pytestmark = [pytest.mark.slow, pytest.mark.model]


def _captions(asr, path, options=DecodeOptions()):
    samples = media.load_audio(path)
    transcript = asr.transcribe(samples, options)
    return draft.captions(transcript, draft.audio_energy(samples))


def test_music_like_tones_give_no_captions(whisper_base, tmp_path):
    caps = _captions(whisper_base, clips.tone_video(tmp_path / "tone.mp4", seconds=8))
    assert caps.cues == () or all(r.reason for r in caps.removals)
    assert not caps.cues


def test_speech_then_long_silence_has_no_captions_in_the_silence(whisper_base, tmp_path):
    speech = clips.speech_video(tmp_path / "tale.mp4", lead_in_s=0.5)
    padded = tmp_path / "tale-stilhed.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-i",
            str(speech),
            "-filter_complex",
            "[0:a]apad=pad_dur=25[a]",
            "-map",
            "0:v",
            "-map",
            "[a]",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            str(padded),
        ],
        check=True,
    )
    speech_end = media.probe(speech).duration_ms
    caps = _captions(whisper_base, padded)
    assert caps.cues, "the speech itself must be captioned"
    # Nothing may start in the silence, and no cue may linger far into it.
    assert all(c.start_ms < speech_end for c in caps.cues)
    assert caps.cues[-1].end_ms <= speech_end + 1500


def test_greedy_decoding_without_fallback_leaves_no_repeated_runs(whisper_base, tmp_path):
    # Temperature 0 without fallback is the setting that loops; whatever it writes, the captions
    # must not repeat a phrase more than three times in a row. Three is what the speaker says
    # ("Ja, ja, ja."), which the guard keeps where the audio and Whisper's confidence back it.
    clip = clips.speech_video(tmp_path / "gentag.mp4", text="Ja. Ja. Ja. Nej. Ja, ja, ja. Måske.")
    caps = _captions(
        whisper_base, clip, DecodeOptions(temperature=(0.0,), condition_on_previous_text=True)
    )
    words = [w.strip(".,").casefold() for c in caps.cues for line in c.lines for w in line.split()]
    assert find_loops(words, min_repeats=4) == []


def test_speech_recorded_too_quietly_is_still_captioned(whisper_base, tmp_path):
    """A voice peaking at -48 dBFS: not a silent track (-50), so it is read, and then the guard
    must not remove every word as lying over silence (its bar for normal levels is -45)."""
    speech_clip = clips.speech_video(tmp_path / "tale.mp4", lead_in_s=0.5)
    gain_db = -48.0 - speech.peak_dbfs(media.load_audio(speech_clip))
    quiet = tmp_path / "stille.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(speech_clip), "-c:v", "copy"]
        + ["-af", f"volume={gain_db:.2f}dB", str(quiet)],
        check=True,
    )
    samples = media.load_audio(quiet)
    assert SILENT_TRACK.floor_dbfs <= speech.peak_dbfs(samples) < GUARD.floor_dbfs
    caps = _captions(whisper_base, quiet)
    assert caps.cues, [r.reason for r in caps.removals]
    assert not [r for r in caps.removals if r.reason == "no_speech"]
