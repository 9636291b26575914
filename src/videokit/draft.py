"""From a video file to its machine draft and captions: the steps the flow runs for each video.

Each function is one step with plain inputs and outputs, so the flow can wrap it in a task (retries,
caching, logging) without knowing how the step works.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from . import engines, media, reread, speech, vad
from .asr import AudioJob, DecodeOptions
from .asr_whisper import WhisperASR
from .audio import SAMPLE_RATE
from .cache import TranscriptCache
from .engines import DEFAULT_ASR, AsrSettings, Engine
from .errors import MediaError
from .files import sha256_file
from .glossary import Fix, apply_glossary
from .guard import Energy, Removal, guard_transcript
from .models import ModelSpec, resolve
from .norms import DEFAULT_NORMS, CaptionNorms
from .segment import cues_from_transcript
from .speech import GUARD, SILENT_TRACK, SpeechPolicy
from .transcript import SCHEMA_VERSION, Cue, Transcript
from .workspace import VideoJob


@dataclass(frozen=True)
class Source:
    """A probed input video: enough to key its draft and describe it in the summary."""

    job: VideoJob
    sha256: str
    info: media.MediaInfo

    @property
    def audio_id(self) -> str:
        """What the audio a draft hears is made from: the bytes, and for a file whose sound
        starts late, that delay (drafts made before it was kept are then made again)."""
        lead = self.info.audio_lead_ms
        return f"{self.sha256}+lead{lead}" if lead else self.sha256


def probe(job: VideoJob) -> Source:
    info = media.probe(job.path)
    return Source(job, sha256_file(job.path), info)


class ModelHandle:
    """Resolves and loads a model at most once, and only if some video actually needs transcribing.

    A run whose drafts all come from the cache never pays the model's load time. ``settings``
    (the ``[asr]`` table) choose the engine that makes drafts; alignment of corrected text always
    uses openai-whisper (:attr:`asr`), which for that engine is the same loaded model.
    """

    def __init__(
        self,
        ref: str,
        log: Callable[[str], None] = lambda _m: None,
        settings: AsrSettings = DEFAULT_ASR,
    ) -> None:
        self.ref = ref
        self.settings = settings
        self._log = log
        self._spec: ModelSpec | None = None
        self._asr: WhisperASR | None = None
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    @property
    def spec(self) -> ModelSpec:
        with self._lock:
            if self._spec is None:
                self._spec = resolve(self.ref, log=self._log)
            return self._spec

    @property
    def asr(self) -> WhisperASR:
        spec = self.spec
        with self._lock:
            if self._asr is None:
                self._log(f"loading Whisper model {spec.name} ...")
                s = self.settings
                self._asr = WhisperASR(
                    spec,
                    None if s.device == "auto" else s.device,
                    batched=s.batched,
                    batch_size=s.batch_size or None,
                )
            return self._asr

    @property
    def engine(self) -> Engine:
        """The recogniser that makes drafts: :attr:`asr` unless ``[asr] engine`` says otherwise."""
        if self.settings.engine == "openai-whisper":
            return self.asr
        spec = self.spec
        with self._lock:
            if self._engine is None:
                self._log(f"loading {spec.name} into {self.settings.engine} ...")
                self._engine = engines.load(spec, self.settings, log=self._log)
            return self._engine

    def transcribe_many(
        self,
        sources: Sequence[Source],
        options: Sequence[DecodeOptions],
        progress: Callable[[float], None] | None = None,
    ) -> list[Transcript]:
        """Drafts of several videos in one call, their windows batched together.

        What :func:`transcribe` does for one video; a flow that knows which videos miss their
        cached draft can hand them all over at once (on a GPU, one batch holds many videos).
        """
        jobs = [audio_job(source, opts) for source, opts in zip(sources, options, strict=True)]
        drafts = self.engine.transcribe_many(jobs, progress=progress)
        return [with_gaps_read(self.engine, job, d) for job, d in zip(jobs, drafts, strict=True)]


def with_gaps_read(engine: Engine, job: AudioJob, draft: Transcript) -> Transcript:
    """``draft`` with the speech it left out read again, and what is still left out recorded
    (:func:`videokit.reread.fill_gaps`)."""
    probabilities = vad.speech_probabilities(job.audio)
    return reread.fill_gaps(engine, job, draft, probabilities, vad.FRAME_MS)


def silence_check(samples: np.ndarray, path: Path, policy: SpeechPolicy = SILENT_TRACK) -> None:
    if speech.silent(samples, policy):
        peak = speech.peak_dbfs(samples)
        raise MediaError(
            f"the sound track is silent (peak {peak:.0f} dBFS)",
            path=path,
            stage="audio",
            hint="check that the export kept the microphone track, then replace the file",
        )


def load_samples(source: Source) -> np.ndarray:
    """The video's sound as Whisper hears it; decode once per step and pass the array on.

    A file cut off in copying still has its full length in the header; the sound then ends early,
    and captions made from it would end early too.
    """
    samples = media.load_audio(source.job.path)
    heard_ms = len(samples) * 1000 // SAMPLE_RATE
    expected_ms = source.info.duration_ms
    if expected_ms - heard_ms > max(2000, expected_ms // 10):
        raise MediaError(
            f"the sound stops at {heard_ms / 1000:.1f} s of {expected_ms / 1000:.1f} s: "
            "the file looks cut off",
            path=source.job.path,
            stage="audio",
            hint="copy or export the file again",
        )
    return samples


def audio_job(source: Source, options: DecodeOptions) -> AudioJob:
    """The video's sound, checked, and how to read it: what an engine transcribes."""
    samples = load_samples(source)
    silence_check(samples, source.job.path)
    return AudioJob(samples, options, source.sha256, source.job.path)


def transcribe(
    source: Source,
    model: ModelHandle,
    options: DecodeOptions,
    progress: Callable[[float], None] | None = None,
) -> Transcript:
    job = audio_job(source, options)
    made = model.engine.transcribe(
        job.audio, options, source_sha256=source.sha256, progress=progress, path=source.job.path
    )
    return with_gaps_read(model.engine, job, made)


def draft_key(
    source_sha256: str,
    model: ModelSpec,
    options: DecodeOptions,
    settings: AsrSettings = DEFAULT_ASR,
) -> str:
    """Same video bytes, same model bytes, same options, same engine: the same draft.

    ``source_sha256`` is :attr:`Source.audio_id`: the bytes, and the sound's delay where it has
    one (drafts of such files made before the delay was kept are wrong by it).

    The transcript schema version is part of the key too, so a draft written by an older
    videokit is made again rather than read into newer types; so is the rule that reads again
    what a draft left out (:func:`videokit.reread.rule_digest`). The engine and whether windows are
    batched change the words, so they are in the key; the device and the batch size do not (see
    :meth:`videokit.engines.AsrSettings.key`).
    """
    blob = json.dumps(
        [
            SCHEMA_VERSION,
            source_sha256,
            model.sha256,
            options.to_dict(),
            settings.key(),
            reread.rule_digest(),
        ],
        sort_keys=True,
    )
    return "draft-" + hashlib.sha256(blob.encode()).hexdigest()[:32]


def align_key(source_sha256: str, model: ModelSpec, machine: Transcript, text: str) -> str:
    """Same audio, model, anchoring draft and text, and the same aligner: the same alignment.

    The machine draft anchors the alignment (and is its fallback), so it is part of the key; so
    is the aligner's version, so a better aligner never serves an old alignment.
    """
    from .align import ALIGN_VERSION
    from .edits import parse_review_text, write_review_text

    # Spacing an editor's program changes does not change what is aligned.
    canonical = write_review_text(parse_review_text(text))
    parts = [str(ALIGN_VERSION), source_sha256, model.sha256, machine.to_json(), canonical]
    return "align-" + hashlib.sha256("\0".join(parts).encode()).hexdigest()[:40]


def cached_draft(
    cache: TranscriptCache,
    source: Source,
    model: ModelHandle,
    options: DecodeOptions,
    progress: Callable[[float], None] | None = None,
    slot: Callable[[], AbstractContextManager[Any]] = nullcontext,
    made_ahead: Callable[[str], bool] = lambda _key: False,
) -> tuple[Transcript, bool]:
    """The draft from the cache (``True``) or transcribed now and cached (``False``).

    Transcription runs inside ``slot()`` (a share of the GPU, say), which a cached draft never
    waits for. The cache is asked again once the slot is had: another worker that held it may
    have made this very draft meanwhile. ``made_ahead(key)`` waits for a batch that drafts this
    run's videos together (:class:`videokit.ahead.DraftsAhead`) and says whether it made this one.
    """
    key = draft_key(source.audio_id, model.spec, options, model.settings)
    if made_ahead(key):
        found = cache.get(key)
        if found is not None:
            return found, False  # new in this run, made with the other videos
    found = cache.get(key)
    if found is not None:
        return found, True
    with slot():
        found = cache.get(key)
        if found is not None:
            return found, True
        if progress is not None:
            progress(0.0)  # transcription starts now: say so before the first window is done
        made = transcribe(source, model, options, progress=progress)
        cache.put(key, made)
    return made, False


def cached_draft_or_none(
    cache: TranscriptCache, source: Source, model: ModelHandle, options: DecodeOptions
) -> Transcript | None:
    """The cached draft, if there is one (what another machine made, for example)."""
    return cache.get(draft_key(source.audio_id, model.spec, options, model.settings))


def cached_alignment(
    cache: TranscriptCache,
    source: Source,
    samples: np.ndarray,
    model: ModelHandle,
    machine: Transcript,
    text: str,
) -> Transcript:
    key = align_key(source.sha256, model.spec, machine, text)
    found = cache.get(key)
    if found is not None:
        return found
    made = align_corrected(samples, model, machine, text)
    cache.put(key, made)
    return made


@dataclass(frozen=True)
class Captions:
    transcript: Transcript  # the draft after the hallucination guard
    cues: tuple[Cue, ...]
    removals: tuple[Removal, ...]
    fixes: tuple[Fix, ...] = ()


def audio_energy(samples: np.ndarray, policy: SpeechPolicy = GUARD) -> Energy:
    """The audio's loudness as the hallucination guard reads it."""
    return Energy(policy.frame, tuple(speech.levels(samples, policy).tolist()), policy)


def captions(
    draft: Transcript,
    energy: Energy | None = None,
    glossary: Sequence[str] = (),
    norms: CaptionNorms = DEFAULT_NORMS,
) -> Captions:
    """Guard the draft against hallucinations, restore glossary spellings, lay it out as cues."""
    guarded, removals = guard_transcript(draft, energy)
    cleaned, fixes = apply_glossary(guarded, glossary)
    duration_ms = draft.duration_ms
    cues = [c for c in cues_from_transcript(cleaned, norms) if c.start_ms < duration_ms]
    if cues and cues[-1].end_ms > duration_ms:
        cues[-1] = replace(cues[-1], end_ms=duration_ms)
    return Captions(cleaned, tuple(cues), tuple(removals), tuple(fixes))


def align_corrected(
    samples: np.ndarray, model: ModelHandle, draft: Transcript, text: str
) -> Transcript:
    """Time corrected text against the audio with Whisper, falling back to the draft's times."""
    from .align import align_text

    return align_text(draft, text, samples, model.asr.align)
