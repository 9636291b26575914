"""whisper's decoding task, fixed and made to share work across beams, windows and temperatures.

The subclasses are built on first use (whisper and torch are imported only then). They depend on
whisper's private methods as they are in the version pinned in ``pyproject.toml``.
"""

from __future__ import annotations

from typing import Any


def encode(model: Any, mels: Any, fp16: bool) -> tuple[Any, dict[Any, Any]]:
    """Windows' encoder output and cross-attention inputs, which no decoding temperature changes."""
    features = model.encoder(mels.half() if fp16 else mels)
    return features, cross_attention_inputs(model, features)


def cross_attention_inputs(model: Any, features: Any) -> dict[Any, Any]:
    """Each decoder layer's cross-attention keys and values, one row per window (not per beam)."""
    return {
        p: p(features)
        for block in model.decoder.blocks
        for p in (block.cross_attn.key, block.cross_attn.value)
    }


def _prompt_logits(decoder: Any, tokens: Any, audio: Any, kv_cache: Any, sot: int) -> Any:
    """whisper's first decoder pass, with logits only where they are read: at ``sot`` and the end.

    The pass runs over the whole prompt (up to 223 tokens of the text before); projecting every
    position onto the 51,865-token vocabulary was wasted on all but two. Measured on the
    10-minute clip (base, CPU, lanes with context): 246 s and 3.3 GB peak before, 206 s and 2.5 GB
    after.
    """
    x = decoder.token_embedding(tokens) + decoder.positional_embedding[: tokens.shape[-1]]
    x = x.to(audio.dtype)
    for block in decoder.blocks:
        x = block(x, audio, mask=decoder.mask, kv_cache=kv_cache)
    x = decoder.ln(x[:, [sot, tokens.shape[-1] - 1]])
    return (x @ decoder.token_embedding.weight.to(x.dtype).t()).float()


_TASK_CLASS: list[Any] = []


def batch_task(model: Any, options: Any, cross: dict[Any, Any], prompts: Any = None) -> Any:
    """whisper's DecodingTask, fixed for beam search over more than one window.

    whisper 20250625 gives each window's audio features once to its ``beam_size`` token rows,
    which only broadcasts for a single window; here every row gets its own copy. ``cross`` holds
    the cross-attention keys and values of each window (once per window, not per beam, see
    :func:`group_cross_attention`); the run reads ``mel`` as encoded audio. ``prompts`` (a
    tensor, one row per window, as long as ``options.prompt``) replaces the prompt of each
    window's rows, so windows that follow different text share a batch. Beam bookkeeping
    reads the scores once per step instead of once per candidate (the same choices; on a GPU the
    per-candidate reads were one device sync each).
    """
    if not _TASK_CLASS:
        import torch
        import torch.nn.functional as F
        from whisper.decoding import BeamSearchDecoder, DecodingTask, PyTorchInference

        class _Inference(PyTorchInference):  # type: ignore[misc]
            cross: dict[Any, Any]  # set by _Task
            sot_index: int
            group: int  # token rows per window

            def logits(self, tokens: Any, audio_features: Any) -> Any:
                if not self.kv_cache:  # type: ignore[has-type]
                    # The cross-attention keys and values of each window, projected once for all
                    # its beams and all fallback temperatures (see cross_attention_inputs). The
                    # decoder reads its position from the first cache entry, so the (still
                    # empty) self-attention entries go first. The rows of a window are alike
                    # until the first token is chosen: the prompt is read once per window, then
                    # each row gets its copy of the cache.
                    group = self.group
                    blocks = self.model.decoder.blocks
                    state = self.model.dims.n_text_state
                    empty = audio_features.new_zeros((tokens.shape[0] // group, 0, state))
                    cache = {p: empty for b in blocks for p in (b.attn.key, b.attn.value)}
                    cache.update(self.cross)
                    self.kv_cache, self.hooks = self.model.install_kv_cache_hooks(cache)
                    logits = _prompt_logits(
                        self.model.decoder,
                        tokens[::group],
                        audio_features[::group],
                        self.kv_cache,
                        self.sot_index,
                    )
                    for module in self.kv_modules:
                        self.kv_cache[module] = self.kv_cache[module].repeat_interleave(group, 0)
                    return logits.repeat_interleave(group, 0)
                return super().logits(tokens, audio_features)

            def keep(self, rows: list[int], windows: list[int]) -> None:
                """Only these token rows, and these windows' audio, go on decoding."""
                for module in self.kv_modules:
                    self.kv_cache[module] = self.kv_cache[module][rows]
                for module in self.cross:
                    self.kv_cache[module] = self.kv_cache[module][windows]

        class _Beams(BeamSearchDecoder):  # type: ignore[misc]
            live: list[int]  # set by _Task._main_loop: the windows of the rows, in order

            def windows_done(self) -> list[int]:
                """Positions (in ``live``) of the windows that have all their candidates."""
                kept = self.finished_sequences  # type: ignore[has-type]
                return [p for p, w in enumerate(self.live) if len(kept[w]) >= self.max_candidates]

            def update(self, tokens: Any, logits: Any, sum_logprobs: Any) -> tuple[Any, bool]:
                beams = self.beam_size
                n_audio = tokens.shape[0] // beams
                kept: list[dict[tuple[int, ...], float]] | None = self.finished_sequences  # type: ignore[has-type]
                if kept is None:
                    kept = [{} for _ in range(n_audio)]
                    self.finished_sequences = kept
                top_lp, top_ids = F.log_softmax(logits.float(), dim=-1).topk(beams + 1)
                scores_all = (sum_logprobs.unsqueeze(1) + top_lp).tolist()
                top_tok, prefixes = top_ids.tolist(), tokens.tolist()
                next_tokens, sources, new_sums, finished_now = [], [], [], []
                for i in range(n_audio):
                    scores: dict[tuple[int, ...], float] = {}
                    origin: dict[tuple[int, ...], int] = {}
                    for idx in range(i * beams, (i + 1) * beams):
                        for lp, tok in zip(scores_all[idx], top_tok[idx]):
                            seq = (*prefixes[idx], tok)
                            scores[seq], origin[seq] = lp, idx
                    finished, saved = {}, 0
                    for seq in sorted(scores, key=scores.__getitem__, reverse=True):
                        if seq[-1] == self.eot:
                            finished[seq] = scores[seq]
                        else:
                            new_sums.append(scores[seq])
                            next_tokens.append(seq)
                            sources.append(origin[seq])
                            saved += 1
                            if saved == beams:
                                break
                    finished_now.append(finished)
                sum_logprobs[: len(new_sums)] = torch.tensor(new_sums, device=sum_logprobs.device)
                tokens = torch.tensor(next_tokens, device=tokens.device)
                self.inference.rearrange_kv_cache(sources)
                for window, new in zip(self.live, finished_now):
                    before = kept[window]
                    for seq in sorted(new, key=new.__getitem__, reverse=True):
                        if len(before) >= self.max_candidates:
                            break
                        before[seq] = new[seq]
                done = all(len(s) >= self.max_candidates for s in kept)
                return tokens, done

        class _Task(DecodingTask):  # type: ignore[misc]
            def __init__(
                self, model: Any, options: Any, cross: dict[Any, Any], prompts: Any
            ) -> None:
                super().__init__(model, options)
                self.inference = _Inference(model, len(self.initial_tokens))
                self.inference.cross = cross
                self.inference.sot_index = self.sot_index
                self.inference.group = self.n_group
                self.prompts = prompts
                if options.beam_size is not None:
                    self.decoder = _Beams(
                        options.beam_size, self.tokenizer.eot, self.inference, options.patience
                    )

            def _get_audio_features(self, mel: Any) -> Any:
                return super()._get_audio_features(mel).repeat_interleave(self.n_group, dim=0)

            def _main_loop(self, audio_features: Any, tokens: Any) -> tuple[Any, Any, list[float]]:
                """whisper's loop, but a window whose decoding is over leaves the batch.

                Its rows would otherwise be decoded to the end of the longest window (measured
                on the samples: 29 % of a CPU batch's work at four windows, 40 % at eight).
                The rows come back at the end, in place, as whisper's ``run`` expects them.
                """
                group, eot = self.n_group, self.tokenizer.eot
                rows = tokens.shape[0]
                if self.prompts is not None and self.prompts.shape[1]:
                    # After <|startofprev|>: each window's own text before it.
                    width = self.prompts.shape[1]
                    tokens[:, 1 : 1 + width] = self.prompts.repeat_interleave(group, 0)
                live = list(range(rows // group))
                if isinstance(self.decoder, _Beams):
                    self.decoder.live = live
                sums = torch.zeros(rows, device=audio_features.device)
                left: dict[int, tuple[list[int], float]] = {}  # row: its tokens and score
                no_speech: list[float] = [float("nan")] * rows
                try:
                    for i in range(self.sample_len):
                        logits = self.inference.logits(tokens, audio_features)
                        if i == 0 and self.tokenizer.no_speech is not None:
                            # The first pass gives logits at <|startoftranscript|> and the end.
                            at_sot = logits[:, 0].float().softmax(dim=-1)
                            no_speech = at_sot[:, self.tokenizer.no_speech].tolist()
                        logits = logits[:, -1]
                        for logit_filter in self.logit_filters:
                            logit_filter.apply(logits, tokens)
                        tokens, completed = self.decoder.update(tokens, logits, sums)
                        if completed or tokens.shape[-1] > self.n_ctx:
                            break
                        if isinstance(self.decoder, _Beams):
                            done = self.decoder.windows_done()
                        else:
                            ended = (tokens[:, -1] == eot).view(len(live), group).all(dim=1)
                            done = ended.nonzero().flatten().tolist()
                        if not done:
                            continue
                        gone = set(done)
                        stay = [p for p in range(len(live)) if p not in gone]
                        stay_rows = [p * group + g for p in stay for g in range(group)]
                        for p in done:
                            for g in range(group):
                                row = p * group + g
                                left[live[p] * group + g] = (tokens[row].tolist(), float(sums[row]))
                        tokens, sums = tokens[stay_rows], sums[stay_rows]
                        self.inference.keep(stay_rows, stay)
                        live[:] = [live[p] for p in stay]
                finally:
                    self.inference.cleanup_caching()
                for k, row in enumerate(tokens.tolist()):
                    left[live[k // group] * group + k % group] = (row, float(sums[k]))
                width = max(len(t) for t, _ in left.values())
                full = [left[r][0] + [eot] * (width - len(left[r][0])) for r in range(rows)]
                return (
                    torch.tensor(full, device=audio_features.device),
                    torch.tensor([left[r][1] for r in range(rows)], device=audio_features.device),
                    no_speech,
                )

            def _detect_language(self, audio_features: Any, tokens: Any) -> tuple[list[str], None]:
                return [self.options.language] * tokens.shape[0], None

        _TASK_CLASS.append(_Task)
    return _TASK_CLASS[0](model, options, cross, prompts)
