"""The faster-whisper engine: the same weights run by CTranslate2 (int8 on CPU, fp16 on a GPU).

The only module that imports faster_whisper and ctranslate2, and only when an engine is loaded.
It reads a model's CTranslate2 folder (:func:`videokit.models.ct2_dir`: the registry's base, or the
twin a pull made beside the openai-whisper checkpoint) as it is, and
returns the same :class:`~videokit.transcript.Transcript` as :mod:`videokit.asr`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .asr import (
    DEFAULT_OPTIONS,
    AudioJob,
    DecodeOptions,
    Progress,
    clip_timestamps,
    reading_plan,
    spoken_plan,
    transcript_of,
)
from .audio import SAMPLE_RATE
from .errors import ModelError, TranscriptionError
from .hardware import CPU_BATCH
from .models import ModelSpec
from .transcript import Transcript, Unread


class FasterWhisperASR:
    engine = "faster-whisper"

    def __init__(
        self,
        spec: ModelSpec,
        folder: Path,
        *,
        device: str | None = None,
        compute_type: str = "auto",
        batched: bool = True,
        batch_size: int | None = None,
    ) -> None:
        import ctranslate2
        from faster_whisper import WhisperModel

        self.spec = spec
        self.device = device or ("cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu")
        if compute_type == "auto":
            compute_type = "float16" if self.device == "cuda" else "int8"
        self.compute_type = compute_type
        self.batched = batched
        self.batch_size = batch_size or CPU_BATCH
        try:
            self.model = WhisperModel(
                str(folder),
                device=self.device,
                compute_type=compute_type,
                # The same threads torch gets, so engines are compared on equal terms.
                cpu_threads=len(os.sched_getaffinity(0)),
                local_files_only=True,
            )
        except (RuntimeError, ValueError, OSError) as err:
            raise ModelError(
                f"faster-whisper could not load the model: {err}",
                path=folder,
                hint="delete the folder; it is assembled again on the next run",
            ) from None
        self._lock = threading.Lock()

    def transcribe(
        self,
        audio: np.ndarray,
        options: DecodeOptions = DEFAULT_OPTIONS,
        *,
        source_sha256: str = "",
        progress: Progress | None = None,
        path: Path | None = None,
    ) -> Transcript:
        job = AudioJob(audio, options, source_sha256, path)
        return self.transcribe_many([job], progress=progress)[0]

    def transcribe_many(
        self, jobs: Sequence[AudioJob], *, progress: Progress | None = None
    ) -> list[Transcript]:
        """One recording after the other; within one, windows are batched when ``batched``."""
        total = sum(len(j.audio) for j in jobs) or 1
        done = 0
        out = []
        with self._lock:
            for job in jobs:

                def report(end_s: float, before: int = done) -> None:
                    if progress is not None:
                        progress(min(1.0, (before + end_s * SAMPLE_RATE) / total))

                try:
                    raw, unread = self._decode(job, report)
                except Exception as err:
                    raise TranscriptionError(
                        f"faster-whisper failed: {err}", path=job.path
                    ) from err
                done += len(job.audio)
                out.append(transcript_of(job, raw, self.spec.cache_id, unread))
        if progress is not None:
            progress(1.0)
        return out

    def _decode(self, job: AudioJob, report: Any) -> tuple[list[dict[str, Any]], list[Unread]]:
        """The recogniser's segments, and the stretches it was not given (no speech in them)."""
        from faster_whisper import BatchedInferencePipeline

        o = job.options
        audio = job.audio.astype(np.float32)
        kwargs: dict[str, Any] = {
            "language": o.language,
            "beam_size": o.beam_size or 1,
            "best_of": 1,  # one sample above temperature 0, as openai-whisper's default
            "temperature": list(o.temperature),
            "no_speech_threshold": o.no_speech_threshold,
            "initial_prompt": o.initial_prompt,
            "word_timestamps": True,
        }
        if self.batched:
            cuts, unread = reading_plan(audio)
            clips = [{"start": a / SAMPLE_RATE, "end": b / SAMPLE_RATE} for a, b in cuts]
            if not clips:
                return [], unread
            segments, _info = BatchedInferencePipeline(self.model).transcribe(
                audio, clip_timestamps=clips, batch_size=self.batch_size, **kwargs
            )
        else:
            unread, spoken = spoken_plan(audio)
            if not spoken:
                return [], unread
            if unread:
                duration_ms = round(len(audio) * 1000 / SAMPLE_RATE)
                kwargs["clip_timestamps"] = clip_timestamps(spoken, duration_ms)
            segments, _info = self.model.transcribe(
                audio,
                condition_on_previous_text=o.condition_on_previous_text,
                hallucination_silence_threshold=o.hallucination_silence_threshold,
                **kwargs,
            )
        raw = []
        for s in segments:  # a generator: decoding happens while this loop runs
            report(s.end)
            raw.append(
                {
                    "start": s.start,
                    "end": s.end,
                    "text": s.text,
                    "avg_logprob": s.avg_logprob,
                    "no_speech_prob": s.no_speech_prob,
                    "compression_ratio": s.compression_ratio,
                    "words": [
                        {
                            "word": w.word,
                            "start": w.start,
                            "end": w.end,
                            "probability": w.probability,
                        }
                        for w in s.words or ()
                    ],
                }
            )
        return sorted(raw, key=lambda seg: float(seg["start"])), unread
