from __future__ import annotations

import pytest

from videokit.config import load_settings
from videokit.errors import VideokitError
from videokit.norms import CaptionNorms
from videokit.segment import cues_from_transcript
from videokit.transcript import Segment, Transcript, Word


def test_missing_file_means_defaults(tmp_path):
    settings = load_settings(tmp_path / "videokit.toml")
    assert settings.norms == CaptionNorms() and settings.decoding == {}


def test_norms_and_decoding_are_read(tmp_path):
    path = tmp_path / "videokit.toml"
    path.write_text(
        "[captions]\nmax_line_chars = 20\nmax_cps = 15\n"
        "[decoding]\nbeam_size = 5\ntemperature = [0.0, 0.4]\n"
    )
    settings = load_settings(path)
    assert settings.norms.max_line_chars == 20 and settings.norms.max_cps == 15
    assert settings.decoding == {"beam_size": 5, "temperature": (0.0, 0.4)}
    # The configured norm reaches the caption engine.
    words = tuple(
        Word(" " + w, i * 400, i * 400 + 350)
        for i, w in enumerate("Byrådet holder et langt møde om budgettet i aften".split())
    )
    t = Transcript("da", 6000, (Segment(0, 4000, "".join(w.text for w in words), words),))
    assert all(len(line) <= 20 for c in cues_from_transcript(t, settings.norms) for line in c.lines)


@pytest.mark.parametrize(
    "text,words",
    [
        ("[captions]\nmax_cpz = 15\n", "max_cpz"),
        ("[captions]\nmax_cps = -1\n", "max_cps"),
        ("[decoding]\nlanguage = 'en'\n", "language"),
        ("[caption]\n", "caption"),
        ("max_cps = ", "TOML"),
        ("captions = 3\n", "must be a table"),
        ("[decoding]\nbeam_size = 'fem'\n", "beam_size"),
        ("[decoding]\nbeam_size = true\n", "beam_size"),
        ("[decoding]\ntemperature = 'varm'\n", "temperature"),
        ("[decoding]\ntemperature = [0.0, 7]\n", "temperature"),
        ("[decoding]\ncondition_on_previous_text = 1\n", "true or false"),
        ("[decoding]\nno_speech_threshold = 'lav'\n", "a number"),
        # Round two: values TOML accepts that would switch a rule off or crash a run later.
        ("[captions]\nmax_cps = nan\n", "max_cps must be from 0 to 60"),
        ("[captions]\nmax_cps = inf\n", "max_cps"),
        ("[captions]\nmax_line_chars = 42.5\n", "max_line_chars must be a whole number"),
        ("[captions]\nmax_line_chars = '42'\n", "max_line_chars must be a whole number"),
        ("[captions]\nmin_gap_ms = 1e9\n", "min_gap_ms"),
        ("[captions]\nmax_lines = true\n", "max_lines"),
        ("[decoding]\nno_speech_threshold = nan\n", "no_speech_threshold"),
        ("[decoding]\nhallucination_silence_threshold = -inf\n", "from 0 to 30"),
        ("[asr]\nbatch_size = true\n", "batch_size"),
    ],
)
def test_mistakes_name_the_file_and_the_key(tmp_path, text, words):
    path = tmp_path / "videokit.toml"
    path.write_text(text)
    with pytest.raises(VideokitError, match=words) as err:
        load_settings(path)
    assert err.value.path == path


def test_a_named_profile_with_changes_on_top(tmp_path):
    path = tmp_path / "videokit.toml"
    path.write_text('[captions]\nprofile = "danish-professional"\nmax_cps = 14\n')
    norms = load_settings(path).norms
    assert norms.profile == "danish-professional" and norms.dialogue_dash == "- "
    assert (norms.max_line_chars, norms.min_duration_ms, norms.min_gap_ms) == (40, 2000, 120)
    assert norms.max_cps == 14
    # The report can say what the cues were held to.
    assert norms.describe() == "danish-professional (changed: max_cps = 14)"


def test_an_unknown_profile_names_the_file_and_the_choices(tmp_path):
    path = tmp_path / "videokit.toml"
    path.write_text('[captions]\nprofile = "netflix"\n')
    with pytest.raises(VideokitError) as err:
        load_settings(path)
    text = str(err.value)
    assert "videokit.toml" in text and "netflix" in text and '"danish-professional"' in text
