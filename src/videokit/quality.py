"""The quality report: what a person should look at before publishing a caption track. Pure logic.

Automatic captions only meet user needs once a person has confirmed them (W3C WAI), so the report
points at the places worth checking: cues that break a norm, words Whisper was unsure of, cues whose
words (or whose timing, for aligned text) are least certain, and text the guard removed. The dict
is JSON-ready; :func:`summary_line` is its one-line form for a run table.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import pairwise
from statistics import fmean
from typing import Any

from .condense import Proposal, apply, undo, within_share
from .guard import Removal
from .norms import DEFAULT_NORMS, CaptionNorms, Violation, check_cues
from .timing import spoken_only, words_per_cue
from .transcript import Cue, Transcript


def quality_report(
    transcript: Transcript,
    cues: Sequence[Cue],
    norms: CaptionNorms = DEFAULT_NORMS,
    removals: Sequence[Removal] = (),
    low_conf_threshold: float = 0.4,
) -> dict[str, Any]:
    """Figures and findings for one caption track, as plain JSON-ready values."""
    violations = check_cues(cues, norms)
    gaps = [b.start_ms - a.end_ms for a, b in pairwise(cues)]
    cps = [c.cps for c in cues]
    low = [
        {
            "text": w.text.strip(),
            "start_ms": w.start_ms,
            "end_ms": w.end_ms,
            "probability": round(w.probability, 3),
        }
        for w in transcript.words
        if w.text.strip() and w.probability < low_conf_threshold
    ]
    confidence = cue_confidence(transcript, cues)
    unsure = sorted(
        (i for i, c in enumerate(confidence) if c < low_conf_threshold),
        key=lambda i: (confidence[i], i),
    )
    return {
        "cues": len(cues),
        "words": sum(1 for w in transcript.words if w.text.strip()),
        "cps_max": round(max(cps), 2) if cps else None,
        "cps_mean": round(fmean(cps), 2) if cps else None,
        "line_chars_max": max((len(line) for c in cues for line in c.lines), default=None),
        "duration_ms_min": min((c.duration_ms for c in cues), default=None),
        "duration_ms_max": max((c.duration_ms for c in cues), default=None),
        "gap_ms_min": min(gaps, default=None),
        "violations": [
            {**v.to_dict(), "reason": violation_reason(v, cues, transcript, norms)}
            for v in violations
        ],
        "violation_counts": dict(sorted(Counter(v.rule for v in violations).items())),
        "low_confidence_threshold": low_conf_threshold,
        "low_confidence": low,
        "cue_confidence": confidence,
        "unsure_cues": [
            {"cue": i, "start_ms": cues[i].start_ms, "confidence": confidence[i]} for i in unsure
        ],
        "unplaced_sentences": unplaced_sentences(transcript, low_conf_threshold),
        "removals": [r.to_dict() for r in removals],
        "removal_counts": dict(sorted(Counter(r.reason for r in removals).items())),
        "norms": norms.to_dict(),
        "profile": norms.describe(),
    }


def within_profile(
    transcript: Transcript,
    cues: Sequence[Cue],
    accepted: Sequence[Proposal] = (),
    pending: Sequence[Proposal] = (),
    norms: CaptionNorms = DEFAULT_NORMS,
) -> dict[str, Any]:
    """Share of cues within the profile at each step of making fast speech readable.

    ``before_timing``: the words as said, each cue on screen only while they are spoken;
    ``after_timing``: the same text with the time the engine gives (linger, lead, balance);
    ``after_condensing``: the cues in force, with the proposals an editor accepted;
    ``if_all_accepted``: were the open proposals accepted too.
    """
    said = undo(cues, accepted)
    return {
        "profile": norms.describe(),
        "before_timing": within_share(spoken_only(said, transcript.words, norms), norms),
        "after_timing": within_share(said, norms),
        "after_condensing": within_share(cues, norms),
        "if_all_accepted": within_share(apply(cues, pending)[0], norms),
        "accepted": len(accepted),
        "open": len(pending),
    }


def unplaced_sentences(transcript: Transcript, threshold: float) -> list[dict[str, Any]]:
    """Sentences of aligned text (a manuscript, a corrected transcript) the alignment could not
    place: every word's time is unsure. They are reported for an editor to time by hand rather
    than silently merged into a neighbour's cue. A machine draft has none."""
    if "alignment" not in transcript.options:
        return []
    return [
        {"text": s.text.strip(), "start_ms": s.start_ms, "end_ms": s.end_ms}
        for s in transcript.segments
        if s.words and max(w.probability for w in s.words) < threshold
    ]


def cue_confidence(transcript: Transcript, cues: Sequence[Cue]) -> list[float]:
    """Per cue, the probability of its least certain word: how sure the machine is of the cue.

    In a draft a word's probability is the recogniser's; in aligned text a person wrote the words
    and it is the aligner's confidence in the word's time (see :func:`videokit.align.align_text`).
    One bad word makes the cue worth a look, so the lowest counts, not the mean. A cue with no
    word behind it (edited captions) counts as certain.
    """
    return [
        round(min((w.probability for w in spoken), default=1.0), 3)
        for spoken in words_per_cue(cues, transcript.words)
    ]


def summary_line(report: dict[str, Any]) -> str:
    """The report in one line for a run table.

    E.g. ``42 cues, max 18.2 cps, 3 violations (cps 2, gap 1), 5 unsure words, 1 removed
    (credit 1)``.
    """
    parts = [f"{report['cues']} cues"]
    if report.get("cps_max") is not None:
        parts.append(f"max {report['cps_max']:.1f} cps")
    parts.append(_counted("violation", report.get("violation_counts", {})))
    n_low = len(report.get("low_confidence", ()))
    parts.append(f"{n_low} unsure word{'s' if n_low != 1 else ''}")
    removed = report.get("removal_counts", {})
    if removed:
        total = sum(removed.values())
        parts.append(f"{total} removed ({_breakdown(removed)})")
    return ", ".join(parts)


def _counted(noun: str, counts: dict[str, int]) -> str:
    total = sum(counts.values())
    text = f"{total} {noun}{'s' if total != 1 else ''}"
    return f"{text} ({_breakdown(counts)})" if total else text


def _breakdown(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items())


def violation_reason(
    v: Violation, cues: Sequence[Cue], transcript: Transcript, norms: CaptionNorms
) -> str:
    """Why the caption engine left this norm broken, so an editor knows what would fix it.

    The engine only ever moves a cue's end (into the following silence) and its breaks; it never
    shifts a cue away from its words or drops a word. When the words themselves come faster than
    the limit, or the next cue leaves no room, only an editor can help, by shortening the text.
    """
    cue = cues[v.cue_index]
    following = cues[v.cue_index + 1] if v.cue_index + 1 < len(cues) else None
    room = (
        f"the next cue starts {following.start_ms - cue.end_ms} ms later"
        if following is not None
        else "the video ends"
    )
    if v.rule == "cps":
        words = [w for w in transcript.words if cue.start_ms <= w.start_ms < cue.end_ms]
        spoken_ms = (words[-1].end_ms - words[0].start_ms) if words else 0
        if spoken_ms > 0 and cue.chars * 1000 / spoken_ms > norms.max_cps:
            rate = cue.chars * 1000 / spoken_ms
            return (
                f"spoken at {rate:.1f} characters per second, faster than the limit; "
                f"only shorter text can meet it"
            )
        return f"cannot stay longer: {room}, or it would hang after the speech"
    if v.rule == "min_duration":
        return f"cannot stay longer: {room}"
    if v.rule == "line_chars":
        return "a single word longer than a line"
    if v.rule == "gap":
        return "the next cue's first word follows this cue's last word too closely to part them"
    return ""
