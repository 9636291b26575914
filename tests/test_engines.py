"""Engine settings, the draft key, and the GPU decisions (with a stand-in for torch.cuda)."""

from __future__ import annotations

from pathlib import Path

import pytest

from videokit import hardware
from videokit.asr import DecodeOptions
from videokit.config import load_settings
from videokit.draft import draft_key
from videokit.engines import AsrSettings
from videokit.errors import VideokitError
from videokit.models import ModelSpec

GIB = 1 << 30
BASE = hardware.Dims(1500, 512, 8, 448, 512, 6, 51865)
LARGE_V3 = hardware.Dims(1500, 1280, 20, 448, 1280, 32, 51866)


class FakeCuda:
    def __init__(self, free: int | None) -> None:
        self.free = free
        self.asked = 0

    def is_available(self) -> bool:
        return self.free is not None

    def mem_get_info(self) -> tuple[int, int]:
        self.asked += 1
        assert self.free is not None
        return self.free, 80 * GIB


def test_without_a_gpu_it_runs_as_before_float32_on_cpu():
    for cuda in (None, FakeCuda(None)):
        plan = hardware.plan(cuda, BASE, beams=5)
        assert plan == hardware.DevicePlan("cpu", False, hardware.CPU_BATCH)


def test_a_gpu_gets_fp16_and_a_batch_sized_from_its_free_memory():
    small, big = FakeCuda(6 * GIB), FakeCuda(70 * GIB)
    a = hardware.plan(small, LARGE_V3, beams=5)
    b = hardware.plan(big, LARGE_V3, beams=5)
    assert a.device == b.device == "cuda" and a.fp16 and b.fp16
    assert small.asked == big.asked == 1
    assert 1 <= a.batch_size < b.batch_size <= hardware.MAX_GPU_BATCH
    # The batch fits: what it needs, plus the reserve, is within the free memory.
    need = a.batch_size * hardware.window_bytes(LARGE_V3, 5) + hardware.GPU_RESERVE_BYTES
    assert need <= small.free
    # Greedy decoding keeps one row per window instead of five: more windows fit.
    assert hardware.plan(small, LARGE_V3, beams=1).batch_size > a.batch_size


def test_a_nearly_full_gpu_still_decodes_one_window_at_a_time():
    assert hardware.plan(FakeCuda(1 * GIB), LARGE_V3, beams=5).batch_size == 1


def test_settings_win_over_the_probe():
    cuda = FakeCuda(70 * GIB)
    assert hardware.plan(cuda, BASE, 5, device="cpu") == hardware.DevicePlan(
        "cpu", False, hardware.CPU_BATCH
    )
    assert hardware.plan(cuda, BASE, 5, batch_size=3).batch_size == 3 and cuda.asked == 0
    # Asking for a GPU where there is none runs on the CPU rather than failing the run.
    assert hardware.plan(FakeCuda(None), BASE, 5, device="cuda").device == "cpu"


def test_asr_table_is_read_and_checked(tmp_path):
    path = tmp_path / "videokit.toml"
    path.write_text('[asr]\nengine = "faster-whisper"\nbatched = false\nbatch_size = 8\n')
    assert load_settings(path).asr == AsrSettings("faster-whisper", False, 8)
    assert load_settings(tmp_path / "missing.toml").asr == AsrSettings()
    for text, word in [
        ('[asr]\nengine = "whisperx"\n', "engine"),
        ("[asr]\nbatch_size = -1\n", "batch_size"),
        ('[asr]\nbatched = "yes"\n', "batched"),
        ('[asr]\ndevice = "tpu"\n', "device"),
        ("[asr]\nbeams = 5\n", "beams"),
    ]:
        path.write_text(text)
        with pytest.raises(VideokitError, match=word) as err:
            load_settings(path)
        assert err.value.path == path


def test_engine_and_batching_are_in_the_draft_key_device_and_batch_size_are_not():
    spec = ModelSpec("base", Path("base.pt"), "ab" * 32, "registry")
    options = DecodeOptions()

    def key(**kw: object) -> str:
        return draft_key("f" * 64, spec, options, AsrSettings(**kw))  # type: ignore[arg-type]

    assert key() == draft_key("f" * 64, spec, options)
    assert len({key(), key(engine="faster-whisper"), key(batched=True)}) == 3
    assert key(engine="faster-whisper") != key(engine="faster-whisper", compute_type="float32")
    assert key() == key(batch_size=16) == key(device="cpu")


def test_a_second_video_runs_beside_the_draft_only_with_cores_to_spare():
    assert [hardware.videos_at_once(n) for n in (1, 2, 3, 4, 16)] == [1, 1, 1, 2, 2]
