"""Batched decoding for the openai-whisper adapter: many windows of many recordings at once.

Windows are cut at pauses and read side by side in lanes, each after the text of the one before as
``transcribe()`` does, with whisper's temperature fallback per window and word timestamps from one
decoder pass per batch. :class:`BatchedDecoding` is a part of
:class:`videokit.asr_whisper.WhisperASR`; it reads the model, precision and batch plan from it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .asr import AudioJob, DecodeOptions, Progress, reading_plan, transcript_of
from .asr_tasks import batch_task, encode
from .audio import SAMPLE_RATE
from .transcript import Transcript
from .windows import lanes

HOP_SECONDS = 0.01  # whisper's mel hop (160 samples at 16 kHz); one audio token is two hops
PROMPT_TOKENS = 223  # whisper keeps the last n_text_ctx // 2 - 1 tokens of the text before


class BatchedDecoding:
    """The batched path of :class:`videokit.asr_whisper.WhisperASR` (``model``, ``fp16``,
    ``spec`` and ``plan`` are the adapter's)."""

    model: Any
    fp16: bool
    spec: Any

    def plan(self, options: DecodeOptions) -> Any:  # pragma: no cover - the adapter's
        raise NotImplementedError

    def _transcribe_batched(
        self, jobs: Sequence[AudioJob], progress: Progress | None
    ) -> list[Transcript]:
        import torch

        plans = [reading_plan(job.audio) for job in jobs]
        cuts = [cut for cut, _ in plans]
        size = self.plan(jobs[0].options).batch_size if jobs else 1
        shares = lanes(
            [len(c) for c in cuts], [j.options.condition_on_previous_text for j in jobs], size
        )
        # Each lane: its windows in order, and the text read so far (whisper's prompt).
        queue: list[list[_Piece]] = []
        for j, (windows_of_job, counts) in enumerate(zip(cuts, shares)):
            rest = [_Piece(j, start, end) for start, end in windows_of_job]
            for n in counts:
                queue.append(rest[:n])
                rest = rest[n:]
        opening = [self._opening(jobs[lane[0].job].options) for lane in queue]
        history = [list(tokens) for tokens in opening]
        found: dict[int, list[dict[str, Any]]] = {j: [] for j in range(len(jobs))}
        total, done = sum(map(len, queue)), 0
        with torch.no_grad():
            for step in itertools.count():
                ready = [k for k, lane in enumerate(queue) if step < len(lane)]
                if not ready:
                    break
                for options, chunk in _batches(ready, queue, jobs, history, size):
                    pieces = [queue[k][step] for k in chunk]
                    audios = [jobs[p.job].audio[p.start : p.end] for p in pieces]
                    width = min(len(history[k]) for k in chunk)
                    prompts = [history[k][len(history[k]) - width :] for k in chunk]
                    decoded = self._decode_windows(audios, options, prompts)
                    for k, piece, (segments, temperature) in zip(chunk, pieces, decoded):
                        offset = piece.start / SAMPLE_RATE
                        found[piece.job].extend(_shift(seg, offset) for seg in segments)
                        if not options.condition_on_previous_text or temperature > 0.5:
                            # As transcribe() does: text read at a high temperature is no
                            # context to trust; the glossary prompt stays.
                            history[k] = list(opening[k])
                        else:
                            read = [t for seg in segments for t in seg["tokens"]]
                            history[k] = (history[k] + read)[-PROMPT_TOKENS:]
                    done += len(chunk)
                    if progress is not None:
                        progress(done / total)
        if progress is not None and not total:
            progress(1.0)
        return [
            transcript_of(
                job,
                sorted(found[j], key=lambda seg: float(seg["start"])),
                self.spec.cache_id,
                plans[j][1],
            )
            for j, job in enumerate(jobs)
        ]

    def _opening(self, options: DecodeOptions) -> list[int]:
        """The glossary prompt's tokens, which every window of the recording is given."""
        if not options.initial_prompt:
            return []
        tokens: list[int] = self._tokenizer(options.language).encode(
            " " + options.initial_prompt.strip()
        )
        return tokens[-PROMPT_TOKENS:]

    def _decode_windows(
        self, audios: Sequence[np.ndarray], options: DecodeOptions, prompts: Sequence[list[int]]
    ) -> list[tuple[list[dict[str, Any]], float]]:
        """Decode windows (each at most 30 s) together; segments and words in window time.

        ``prompts`` (one per window, all as long) is the text each window follows. Returns each
        window's segments and the temperature its text was read at.
        """
        import torch
        from whisper.audio import HOP_LENGTH, N_FRAMES, N_SAMPLES, log_mel_spectrogram, pad_or_trim

        n_mels = self.model.dims.n_mels
        # As whisper's transcribe() does: the mel of the window with 30 s of silence after it,
        # cut to the window and padded with zeros in the mel domain.
        mels = torch.stack(
            [
                pad_or_trim(
                    log_mel_spectrogram(torch.from_numpy(a.astype(np.float32)), n_mels, N_SAMPLES)[
                        :, : len(a) // HOP_LENGTH
                    ],
                    N_FRAMES,
                )
                for a in audios
            ]
        ).to(self.model.device)
        tokenizer = self._tokenizer(options.language)
        results = self._decode_with_fallback(mels, options, tokenizer, prompts)
        thresholds = fallback_thresholds()
        segments: list[list[dict[str, Any]]] = []
        for audio, result in zip(audios, results):
            silent = (
                result.no_speech_prob > options.no_speech_threshold
                and result.avg_logprob <= thresholds["logprob_threshold"]
            )
            length_s = len(audio) / SAMPLE_RATE
            segments.append([] if silent else _window_segments(result, tokenizer, length_s))
        rows = [
            [t for seg in segs for t in seg["tokens"] if t < tokenizer.eot] for segs in segments
        ]
        features = torch.stack([r.audio_features for r in results])
        frames = [min(len(a), N_SAMPLES) // HOP_LENGTH for a in audios]
        for segs, timings in zip(segments, self._word_timings(tokenizer, rows, features, frames)):
            _place_words(segs, timings, tokenizer.eot)
        return [(segs, float(r.temperature)) for segs, r in zip(segments, results)]

    def _tokenizer(self, language: str) -> Any:
        from whisper.tokenizer import get_tokenizer

        return get_tokenizer(
            self.model.is_multilingual,
            num_languages=self.model.num_languages,
            language=language,
            task="transcribe",
        )

    def _decode_with_fallback(
        self, mels: Any, options: DecodeOptions, tokenizer: Any, prompts: Sequence[list[int]]
    ) -> list[Any]:
        """whisper's temperature fallback, window by window: only failed windows are decoded again."""
        import torch
        from whisper.decoding import DecodingOptions

        thresholds = fallback_thresholds()
        width = len(prompts[0]) if prompts else 0
        # whisper takes one prompt for the whole batch: give it one of the right length, and the
        # task puts each window's own prompt in its place (see batch_task).
        rows = torch.tensor(prompts, dtype=torch.long).reshape(len(prompts), width)
        results: list[Any] = [None] * len(mels)
        todo = list(range(len(mels)))
        # Encoder output and cross-attention projections do not depend on the temperature: made
        # once here, a window decoded again only pays for the decoder.
        features, cross = encode(self.model, mels, self.fp16)
        for temperature in options.temperature:
            decoding = DecodingOptions(
                task="transcribe",
                language=options.language,
                temperature=temperature,
                # As in transcribe(): beams at temperature 0, one sample above it.
                beam_size=options.beam_size if temperature == 0 else None,
                prompt=list(prompts[0]) if width else None,
                fp16=self.fp16,
            )
            task = batch_task(
                self.model, decoding, {p: t[todo] for p, t in cross.items()}, rows[todo]
            )
            for i, result in zip(todo, task.run(features[todo])):
                results[i] = result
            todo = [i for i in todo if _needs_fallback(results[i], options, thresholds)]
            if not todo:
                break
        return results

    def _word_timings(
        self, tokenizer: Any, rows: Sequence[list[int]], features: Any, frames: Sequence[int]
    ) -> list[list[Any]]:
        """whisper's find_alignment for a batch of windows, on the encoder output already computed.

        One decoder pass over every window's text (padded at the end, which a causal decoder
        cannot see from earlier positions) keeps the cross-attention of the alignment heads; the
        dynamic time warping then runs per window as in ``whisper.timing``.
        """
        import torch
        from whisper.model import disable_sdpa
        from whisper.timing import WordTiming, dtw, median_filter

        out: list[list[Any]] = [[] for _ in rows]
        live = [i for i, row in enumerate(rows) if row]
        if not live:
            return out
        sot = list(tokenizer.sot_sequence)
        seqs = [[*sot, tokenizer.no_timestamps, *rows[i], tokenizer.eot] for i in live]
        width = max(map(len, seqs))
        tokens = torch.tensor([s + [tokenizer.eot] * (width - len(s)) for s in seqs])
        heads = [(int(layer), int(head)) for layer, head in self.model.alignment_heads.indices().T]
        wanted: dict[int, list[int]] = {}
        for layer, head in heads:
            wanted.setdefault(layer, []).append(head)
        kept: dict[int, Any] = {}
        hooks = [
            block.cross_attn.register_forward_hook(
                lambda _m, _i, outs, layer=layer: kept.__setitem__(
                    layer, outs[-1][:, wanted[layer]]
                )
            )
            for layer, block in enumerate(self.model.decoder.blocks)
            if layer in wanted
        ]
        try:
            with disable_sdpa():
                logits = self.model.decoder(tokens.to(features.device), features[live])
        finally:
            for hook in hooks:
                hook.remove()
        weights = torch.stack([kept[layer][:, wanted[layer].index(h)] for layer, h in heads], 1)
        for k, i in enumerate(live):
            row, n = rows[i], len(seqs[k])
            w = weights[k, :, :n, : frames[i] // 2].float().softmax(dim=-1)
            std, mean = torch.std_mean(w, dim=-2, keepdim=True, unbiased=False)
            matrix = median_filter((w - mean) / std, 7).mean(axis=0)[len(sot) : -1]
            text_indices, time_indices = dtw(-matrix)
            probs = logits[k, len(sot) : len(sot) + len(row), : tokenizer.eot].float().softmax(-1)
            token_probs = probs[np.arange(len(row)), row].tolist()
            words, word_tokens = tokenizer.split_to_word_tokens([*row, tokenizer.eot])
            if len(word_tokens) <= 1:
                continue
            bounds = np.pad(np.cumsum([len(t) for t in word_tokens[:-1]]), (1, 0))
            jumps = np.pad(np.diff(text_indices), (1, 0), constant_values=1).astype(bool)
            jump_times = time_indices[jumps] * HOP_SECONDS * 2
            out[i] = [
                WordTiming(word, toks, float(jump_times[a]), float(jump_times[b]), p)
                for word, toks, a, b, p in zip(
                    words,
                    word_tokens,
                    bounds[:-1],
                    bounds[1:],
                    [float(np.mean(token_probs[a:b])) for a, b in itertools.pairwise(bounds)],
                )
            ]
        return out


def _batches(
    ready: Sequence[int],
    queue: Sequence[Sequence[_Piece]],
    jobs: Sequence[AudioJob],
    history: Sequence[Sequence[int]],
    size: int,
) -> Iterator[tuple[DecodeOptions, list[int]]]:
    """The lanes whose next window can share a batch: the same decoding options, and prompts cut
    to one length. Lanes with no text before them go apart (a prompt cut to nothing would lose
    every other lane's context); the rest longest history first, so a cut costs little.
    """
    groups: dict[tuple[DecodeOptions, bool], list[int]] = {}
    for k in ready:
        groups.setdefault((jobs[queue[k][0].job].options, bool(history[k])), []).append(k)
    for (options, _), members in groups.items():
        members.sort(key=lambda k: -len(history[k]))
        for first in range(0, len(members), size):
            yield options, members[first : first + size]


@dataclass(frozen=True)
class _Piece:
    job: int
    start: int  # samples
    end: int


def fallback_thresholds() -> dict[str, float]:
    """whisper's transcribe() defaults for the fallback, read from whisper rather than copied."""
    import importlib
    import inspect

    wt = importlib.import_module("whisper.transcribe")
    params = inspect.signature(wt.transcribe).parameters
    return {
        name: float(params[name].default)
        for name in ("compression_ratio_threshold", "logprob_threshold")
    }


def _needs_fallback(result: Any, options: DecodeOptions, thresholds: dict[str, float]) -> bool:
    """The test of whisper's decode_with_fallback: too repetitive or too unsure, but not silence."""
    low = result.avg_logprob < thresholds["logprob_threshold"]
    if result.no_speech_prob > options.no_speech_threshold and low:
        return False
    return bool(result.compression_ratio > thresholds["compression_ratio_threshold"] or low)


def _window_segments(result: Any, tokenizer: Any, length_s: float) -> list[dict[str, Any]]:
    """Split one window's tokens into segments at whisper's paired timestamps.

    Unlike transcribe(), a window ends at a pause, so text after the last timestamp is kept (up to
    the window's end) instead of being read again in the next window.
    """
    tokens, begin = list(result.tokens), tokenizer.timestamp_begin
    stamp = [t >= begin for t in tokens]
    cuts = [i + 1 for i in range(len(tokens) - 1) if stamp[i] and stamp[i + 1]]
    out: list[dict[str, Any]] = []
    last = 0
    for cut in [*cuts, len(tokens)]:
        piece, last = tokens[last:cut], cut
        text = [t for t in piece if t < tokenizer.eot]
        if not text:
            continue
        start = (piece[0] - begin) * 2 * HOP_SECONDS if stamp[last - len(piece)] else 0.0
        end = (piece[-1] - begin) * 2 * HOP_SECONDS if piece[-1] >= begin else length_s
        start = min(start, length_s)
        out.append(
            {
                "start": start,
                "end": min(max(end, start), length_s),
                "text": tokenizer.decode(text),
                "tokens": piece,
                "avg_logprob": result.avg_logprob,
                "no_speech_prob": result.no_speech_prob,
                "compression_ratio": result.compression_ratio,
            }
        )
    return out


def _place_words(segments: list[dict[str, Any]], alignment: list[Any], eot: int) -> None:
    """Hand aligned words to their segments, as whisper's add_word_timestamps does for a window.

    Including its corrections: a word at a sentence boundary or after a pause is no longer than
    twice the median word, and segment edges follow the words.
    """
    from whisper.timing import merge_punctuations

    if not segments:
        return
    durations = np.array([t.end - t.start for t in alignment])
    durations = durations[durations.nonzero()]
    median = min(0.7, float(np.median(durations))) if len(durations) else 0.0
    longest = median * 2
    if len(durations):
        marks = ".。!！?？"
        for prev, t in itertools.pairwise(alignment):
            if t.end - t.start > longest:
                if t.word in marks:
                    t.end = t.start + longest
                elif prev.word in marks:
                    t.start = t.end - longest
    merge_punctuations(alignment, "\"'“¿([{-", "\"'.。,，!！?？:：”)]}、")
    index, last_speech = 0, 0.0  # a window starts after a pause
    for seg in segments:
        n_text, saved, words = sum(1 for t in seg["tokens"] if t < eot), 0, []
        while index < len(alignment) and saved < n_text:
            t = alignment[index]
            if t.word:
                words.append(
                    {"word": t.word, "start": t.start, "end": t.end, "probability": t.probability}
                )
            saved += len(t.tokens)
            index += 1
        seg["words"] = words
        if not words:
            continue
        first, last = words[0], words[-1]
        if first["end"] - last_speech > median * 4 and (
            first["end"] - first["start"] > longest
            or (len(words) > 1 and words[1]["end"] - first["start"] > longest * 2)
        ):
            if len(words) > 1 and words[1]["end"] - words[1]["start"] > longest:
                boundary = max(words[1]["end"] / 2, words[1]["end"] - longest)
                first["end"] = words[1]["start"] = boundary
            first["start"] = max(0, first["end"] - longest)
        if seg["start"] < first["end"] and seg["start"] - 0.5 > first["start"]:
            first["start"] = max(0, min(first["end"] - median, seg["start"]))
        else:
            seg["start"] = first["start"]
        if seg["end"] > last["start"] and seg["end"] + 0.5 < last["end"]:
            last["end"] = max(last["start"] + median, seg["end"])
        else:
            seg["end"] = last["end"]
        last_speech = seg["end"]


def _shift(segment: dict[str, Any], offset: float) -> dict[str, Any]:
    """A window's segment in recording time."""
    words = [
        {**w, "start": w["start"] + offset, "end": w["end"] + offset} for w in segment["words"]
    ]
    return {
        **segment,
        "start": segment["start"] + offset,
        "end": segment["end"] + offset,
        "words": words,
    }
