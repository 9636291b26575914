"""The speech-model part of the command line: ``videokit models pull``, ``list`` and
``recommend``."""

from __future__ import annotations

import argparse
import time
from typing import Any


def add_models_parser(sub: Any) -> None:
    """``videokit models …`` among the command line's subcommands ``sub``."""
    m = sub.add_parser("models", help="manage speech models").add_subparsers(
        dest="models_command", required=True, metavar="ACTION"
    )
    pull = m.add_parser(
        "pull",
        help="download or build a model into the model cache",
        description="Provision a model: an official name, hf:<org>/<name>[@revision] (a Hugging "
        "Face Whisper in transformers or CTranslate2 layout, converted for openai-whisper; "
        "pulled again, it looks for a newer revision), or a folder in either layout.",
    )
    pull.add_argument(
        "name", help="base, large-v3, hf:CoRal-project/roest-v3-whisper-1.5b, ./my-finetune/, …"
    )
    pull.set_defaults(func=_pull)
    ls = m.add_parser("list", help="list models in the cache")
    ls.add_argument(
        "--known", action="store_true", help="models worth using for Danish, with pull commands"
    )
    ls.set_defaults(func=_list)
    rec = m.add_parser(
        "recommend",
        help="the best model this machine runs in real time",
        description="Name the Danish model with the lowest published error rate that this "
        "machine's CPU cores run at real time or faster on the fastest engine (faster-whisper "
        "int8), from bench/models.py's measurements, and the command that pulls it.",
    )
    rec.set_defaults(func=_recommend)


def _pull(args: argparse.Namespace) -> int:
    from . import models

    started = time.monotonic()
    spec = models.pull(args.name, log=print)
    print(
        f"{spec.name}: {spec.path} (sha256 {spec.sha256[:16]}…, {spec.source}) "
        f"ready in {time.monotonic() - started:.1f} s; use it with --model {spec.name}"
    )
    return 0


def _list(args: argparse.Namespace) -> int:
    from . import models
    from .modelcache import list_cached

    if args.known:
        from . import speeds

        print("Models worth using for Danish (word error rate on the CoRal read-aloud test set,")
        print("as published on the model cards; lower is better), and at most how long a 10-minute")
        print("video takes on 2 CPU cores (bench/models.py), with faster-whisper int8 ('fast') and")
        print("with openai-whisper, batched ('torch'):\n")
        print(f"  {'WER':>7}  {'params':>6}  {'fast':>8}  {'torch':>8}  pull command / about")
        for k in models.KNOWN_MODELS:
            fast = speeds.ten_minutes(k.arch) if k.arch else "–"
            torch = speeds.ten_minutes(k.arch, speeds.TORCH) if k.arch else "–"
            print(
                f"  {k.coral_wer:>7}  {k.params:>6}  {fast:>8}  {torch:>8}  "
                f"videokit models pull {k.ref}"
            )
            print(f"  {'':>7}  {'':>6}  {'':>8}  {'':>8}    {k.about}")
            if k.fast_ref:
                print(f"  {'':>7}  {'':>6}  {'':>8}  {'':>8}    faster-whisper: pull {k.fast_ref}")
        print("\n'videokit models recommend' picks the best one this machine runs in real time.")
        return 0
    print(f"model cache: {models.cache_dir()}  (set VIDEOKIT_MODEL_DIR to move it)")
    cached = list_cached()
    for m in cached:
        params = f"{m.params / 1e6:.0f}M params" if m.params else "size by name"
        print(f"  {m.name}")
        print(f"      {m.bytes / 1e6:.0f} MB, {params}; from {m.source}")
        print(f"      languages: {m.languages}; alignment heads: {m.heads}")
        print(f"      engines: {', '.join(m.engines)}")
    if not cached:
        print("  (empty: run 'videokit models pull base')")
    print(
        "\n'videokit models list --known' shows models worth using for Danish and how to get them;"
    )
    print("--model also takes hf:<org>/<name>[@revision], a model folder, or a .pt file")
    return 0


def _recommend(args: argparse.Namespace) -> int:
    import os

    from . import models, speeds

    cores = len(os.sched_getaffinity(0))
    memory_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1 << 20)
    print(f"this machine: {cores} CPU cores, {memory_mb / 1024:.0f} GB memory (no GPU counted)")
    found = models.recommend(cores, memory_mb)
    if found is None:
        print("no measured model runs in real time here; use base and expect it to be slow")
        return 1
    known, pick = found
    rated = models.ranking_wer(known)
    wer = f"about {rated[0]:.0f} % (estimated)" if rated and rated[1] else known.coral_wer
    print(
        f"best model at real time or faster: {known.ref} ({wer} WER on CoRal read-aloud), "
        f"about {pick.rtf:.2f}x real time with {speeds.SETTING_NAMES[speeds.FASTEST]}, "
        f"{pick.peak_mb} MB"
    )
    print(f"  videokit models pull {known.fast}")
    print('  and in videokit.toml: [asr] engine = "faster-whisper"')
    up = models.one_step_up(cores, memory_mb, known)
    if up is not None:
        better, rtf = up
        print(
            f"better drafts, slower than real time: {better.ref}, about {rtf:.2f}x real time "
            f"(a 10-minute video {speeds.ten_minutes(better.arch, cores=cores)}): "
            f"videokit models pull {better.fast}"
        )
    return 0
