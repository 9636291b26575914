"""Drafts of a run's videos made together, ahead of each video's own pipeline.

A batched engine reads many windows at once, and a run with several new videos has windows
enough to fill its batches only when the videos are read together. So the flow hands them all to
one :class:`DraftsAhead`, which makes every missing draft in as few batches as it can and puts
each into the draft cache, while each video's own pipeline probes and encodes, then waits at
:meth:`DraftsAhead.wait` and reads its draft from the cache as it always does.

Invariants:
- every :meth:`DraftsAhead.wait` returns: :meth:`DraftsAhead.run` releases every video when it
  ends, whether it made the drafts, failed, or never started (the flow calls :meth:`close`);
- a video the batch could not read (a cut-off file, a silent track) is released without a draft,
  and its own pipeline meets the same error and reports it against its own file;
- a draft made here is cached under the very key the video's pipeline looks up, so the video is
  never transcribed twice.

A video's draft can differ a little with the company it is read in (how many windows follow one
another in a lane, see :func:`videokit.windows.lanes`); the cache keeps the one made first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from .asr import AudioJob, DecodeOptions
from .cache import TranscriptCache
from .draft import ModelHandle, Source, audio_job, draft_key
from .errors import VideokitError

# The audio of one batch is held in memory until the batch is done: at most this much (30 min is
# about 115 MB of 16 kHz samples), so the first videos of a long run get their drafts early.
BATCH_AUDIO_MS = 30 * 60_000

Item = tuple[str, Source, DecodeOptions]  # (draft key, video, how it is read)


class DraftsAhead:
    """The drafts of several videos, made in batches by one thread, waited for by many."""

    def __init__(self, cache: TranscriptCache, model: ModelHandle) -> None:
        self._cache = cache
        self._model = model
        self._items: list[Item] = []
        self._known = threading.Event()  # set once the videos are added: their keys are final
        self._settled: dict[str, threading.Event] = {}
        self._made: set[str] = set()
        self._lock = threading.Lock()

    def key(self, source: Source, options: DecodeOptions) -> str:
        return draft_key(source.audio_id, self._model.spec, options, self._model.settings)

    def add(self, videos: Sequence[tuple[Source, DecodeOptions]]) -> None:
        """The videos to draft; called once, before :meth:`run` (a waiter blocks until then)."""
        with self._lock:
            for source, options in videos:
                key = self.key(source, options)
                if key not in self._settled:
                    self._items.append((key, source, options))
                    self._settled[key] = threading.Event()
        self._known.set()

    def wait(self, key: str) -> bool:
        """Block until the draft under ``key`` is settled; True if it was made here."""
        self._known.wait()
        event = self._settled.get(key)
        if event is None:
            return False  # not one of this batch's videos
        event.wait()
        with self._lock:
            return key in self._made

    def close(self) -> None:
        """Release every waiter: what is not made by now is left to the videos' own pipelines."""
        with self._lock:
            events = list(self._settled.values())
        self._known.set()
        for event in events:
            event.set()

    def run(
        self,
        progress: Callable[[float], None] | None = None,
        slot: Callable[[], AbstractContextManager[Any]] = nullcontext,
        starting: Callable[[list[Source]], None] = lambda _s: None,
        skipped: Callable[[Source, VideokitError], None] = lambda _s, _e: None,
    ) -> list[Source]:
        """Make every draft not in the cache, inside ``slot()``; the videos drafted here.

        ``starting`` hears which videos are to be drafted once the slot is had, ``progress`` the
        fraction of their audio done, and ``skipped`` of each video left to its own pipeline and
        why.
        """
        try:
            todo = self._missing(self._items)
            if not todo:
                return []
            with slot():
                todo = self._missing(todo)  # another worker may have made some meanwhile
                if todo:
                    starting([source for _, source, _ in todo])
                return self._draft(todo, progress, skipped)
        finally:
            self.close()

    def _missing(self, items: Sequence[Item]) -> list[Item]:
        out = []
        for item in items:
            if self._cache.get(item[0]) is None:
                out.append(item)
            else:
                self._settled[item[0]].set()  # already cached: the video reads it at once
        return out

    def _draft(
        self,
        todo: list[Item],
        progress: Callable[[float], None] | None,
        skipped: Callable[[Source, VideokitError], None],
    ) -> list[Source]:
        total = sum(max(1, s.info.duration_ms) for _, s, _ in todo)
        done = 0
        made: list[Source] = []
        for batch in batches(todo, BATCH_AUDIO_MS):
            jobs: list[AudioJob] = []
            kept: list[Item] = []
            for key, source, options in batch:
                try:
                    jobs.append(audio_job(source, options))
                except VideokitError as err:
                    skipped(source, err)
                    self._settled[key].set()
                    continue
                kept.append((key, source, options))
            size = sum(max(1, s.info.duration_ms) for _, s, _ in batch)
            scaled = _scaled(progress, done / total, size / total)
            drafts = self._model.engine.transcribe_many(jobs, progress=scaled) if jobs else []
            for (key, source, _), made_now in zip(kept, drafts, strict=True):
                self._cache.put(key, made_now)
                with self._lock:
                    self._made.add(key)
                self._settled[key].set()
                made.append(source)
            done += size
        return made


def batches(items: Sequence[Item], max_audio_ms: int) -> Iterator[list[Item]]:
    """``items`` in order, in runs of at most ``max_audio_ms`` of audio (a longer video alone)."""
    batch: list[Item] = []
    held = 0
    for item in items:
        length = item[1].info.duration_ms
        if batch and held + length > max_audio_ms:
            yield batch
            batch, held = [], 0
        batch.append(item)
        held += length
    if batch:
        yield batch


def _scaled(
    progress: Callable[[float], None] | None, start: float, share: float
) -> Callable[[float], None] | None:
    if progress is None:
        return None
    return lambda fraction: progress(min(1.0, start + share * fraction))
