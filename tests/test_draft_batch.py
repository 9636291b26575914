"""Drafts of several videos in one call (what a flow uses to batch across videos)."""

from __future__ import annotations

import pytest

from clips import silent_video, speech_video
from videokit.asr import DecodeOptions
from videokit.draft import ModelHandle, probe
from videokit.errors import MediaError
from videokit.workspace import find_videos

pytestmark = [pytest.mark.slow, pytest.mark.model]


def test_drafts_of_several_videos_come_back_in_order(base_model, tmp_path):
    speech_video(tmp_path / "a.mp4")
    speech_video(tmp_path / "b.mp4", text="Kommunen bygger en ny skole ved havnen.")
    jobs, problems = find_videos([tmp_path])
    assert not problems
    sources = [probe(j) for j in sorted(jobs, key=lambda j: j.name)]
    handle = ModelHandle("base")
    greedy = DecodeOptions(beam_size=None, temperature=(0.0,))
    seen: list[float] = []
    drafts = handle.transcribe_many(sources, [greedy, greedy], progress=seen.append)
    assert [d.source_sha256 for d in drafts] == [s.sha256 for s in sources]
    assert all(len(d.words) >= 3 for d in drafts) and drafts[0].text != drafts[1].text
    assert seen[-1] == pytest.approx(1.0)
    silent_video(tmp_path / "c.mp4")
    (silent,) = [probe(j) for j in find_videos([tmp_path / "c.mp4"])[0]]
    with pytest.raises(MediaError, match="silent"):
        handle.transcribe_many([sources[0], silent], [greedy, greedy])
