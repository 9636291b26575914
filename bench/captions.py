"""The caption engine on the sample videos: norm violations, reading speed, and its time.

For each video in media/ this takes the machine draft the flow wrote
(``build/preview/<slug>/transcript.json``), or one this benchmark cached earlier, or else transcribes
the video now with the real Whisper base and times that. It then times the caption step the flow runs
(:func:`videokit.draft.captions`: hallucination guard + glossary + layout) and the layout alone
(:func:`videokit.segment.cues_from_transcript`), each as the median of ``--runs`` runs, and holds the
cues to the norms with :func:`videokit.norms.check_cues`. The caption engine must cost next to
nothing beside transcription; the last column says how much.

Each video with a manuscript (``media/<stem>.manuscript.txt``) gets a row for the manuscript
aligned to the audio, as the flow publishes it (cached in ``build/bench/aligned``).

Two more rows per run, without audio: each manuscript with its sentences' true times from
``media/<stem>.timing.json`` and words spread evenly inside each sentence (a naive alignment), and a
synthetic 10-minute word stream as a stress number for the engine.

A second table measures the craft a subtitler would check, on the same rows and on a test set built
from the norms' own examples (:data:`CRAFT_SCRIPT`: the cases of NORMS.md and of the comparison
with broadcast subtitles):

- ``<1.5 s``: share of cues on screen for less than the comfortable minimum; ``avoidable`` leaves out
  cues that are a whole stretch of speech on their own (a pause over 1.5 s or a change of speaker
  on both sides), which no layout can lengthen;
- ``orphans``: one or two words of a sentence in another cue than the rest of it, where the two
  cues could have been joined: a cue of its own ("om aftenen.") or the head of the next
  sentence's cue ("om aftenen. Tænk derfor over, …"); ``alone`` counts the first kind only;
- ``abbrev splits``: cue or line breaks right after an abbreviation that does not end its sentence
  ("frk. | Jensen", "kl. | 10");
- ``phrase splits``: cue or line breaks inside a fixed expression or name pattern
  (:func:`videokit.phrases.bound`);
- ``in norms``: share of cues with no violation of :func:`videokit.norms.check_cues`.

A third table holds every norm profile (:data:`videokit.norms.PROFILES`) to the sample manuscripts
and to a fast spoken exchange (``bench/fast-speech.txt``, read by espeak-ng at about 20 characters
a second, with the fillers and restarts of unscripted speech), each sentence at the time espeak-ng
takes to read it and words spread by length inside it: the share of cues within the profile
before the engine uses the pauses (each cue on screen only while its words are spoken), after it,
and were every condensing proposal (:mod:`videokit.condense`) accepted; cues under 2 s; and how many
quick exchanges (two turns that each fit a line, within a second) became one dash cue.
``--profiles-only`` prints only this table (no Whisper needed).

Run from the repository root: ``.venv/bin/python bench/captions.py`` (``make bench``).
Fast when drafts exist; the first run without them transcribes each video (tens of seconds on CPU).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from videokit import draft, media, models, samples
from videokit.align import align_text
from videokit.asr import DecodeOptions
from videokit.asr_whisper import WhisperASR
from videokit.condense import apply, proposals, within_share
from videokit.files import sha256_file
from videokit.guard import Energy
from videokit.norms import DEFAULT_NORMS, PROFILES, CaptionNorms, check_cues
from videokit.phrases import bound
from videokit.segment import cues_from_transcript
from videokit.sentences import abbreviation, ends_sentence, split_sentences
from videokit.timing import spoken_only
from videokit.transcript import Cue, Segment, Transcript, Word, spread_words
from videokit.workspace import VideoJob, find_videos, read_glossary

SYNTHETIC_MS = 10 * 60 * 1000
COMFORTABLE_MS = DEFAULT_NORMS.comfortable_ms  # the target: 1.5 s
HARD_PAUSE_MS = 1500  # the engine never joins words across a longer pause
CLOSING_PUNCT = set(".,;:!?…»”\"')]–—-")

# (speaker, text, ms per character, pause after in ms): the norms' examples as a scripted video.
CRAFT_SCRIPT: tuple[tuple[str, str, int, int], ...] = (
    (
        "Anne",
        "Som lokalpolitiker skal du tænke over, hvad du deler på de sociale medier om aftenen.",
        66,
        500,
    ),
    (
        "Anne",
        "De kan slet ikke tænke Dem, hvor glad jeg er for at se Dem igen, Lauritz Jensen.",
        60,
        700,
    ),
    (
        "Anne",
        "Vi mødes hos frk. Jensen kl. 10 i morgen tidlig, og Chr. Hansen kommer også.",
        66,
        400,
    ),
    ("Anne", "Billetten koster 100 kr. Det er ikke dyrt.", 65, 300),
    ("Anne", "Toget kører kl. 7.15. Det er tidligt for de fleste.", 65, 300),
    ("Anne", "Vi skal have papir, blyanter, viskelædere osv. Det ved alle.", 62, 400),
    (
        "Anne",
        "Tag f.eks. Det Kongelige Teater, der spiller for fulde huse hver eneste aften.",
        60,
        600,
    ),
    (
        "Anne",
        "Så vil jeg bare sige held og lykke med eksamen til alle jer, der skal op i morgen.",
        64,
        800,
    ),
    (
        "Anne",
        "Kommunalbestyrelsen har besluttet at bruge flere penge på ældreplejen i år.",
        98,
        900,
    ),
    ("Boldt", "Dav, Boldt.", 70, 250),
    ("Larsen", "Dav, Larsen.", 70, 300),
    ("Boldt", "Hvordan går det?", 65, 250),
    ("Larsen", "Godt, tak.", 70, 900),
    ("Anne", "Hurra, hurra, hurra!", 70, 900),
    ("Anne", "I dag skal vi tale om den nye lov, og borgmester Anne Hansen giver op.", 62, 500),
    ("Anne", "Udgifterne er steget med 10 procent, så vi må spare 5 mio. kr. om året.", 60, 500),
    ("Anne", "Det er godt. Tak for i dag.", 70, 900),
)


@dataclass(frozen=True)
class Row:
    name: str
    transcript: Transcript  # what the layout saw: the draft after guard and glossary
    audio_s: float
    words: int
    cues: tuple[Cue, ...]
    engine_ms: float  # guard + glossary + layout, median
    layout_ms: float  # layout alone, median
    transcribe_s: float | None
    note: str  # why there is no transcription time


def median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm-up: word lists are read and cached on first use, which is not the engine's cost
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


class Drafts:
    """Machine drafts: the flow's, else this benchmark's cache, else transcribed now (and cached)."""

    def __init__(self, out: Path, model: str, fresh: bool) -> None:
        self.out = out
        self.model = model
        self.fresh = fresh
        self._asr: WhisperASR | None = None

    def get(self, job: VideoJob) -> tuple[Transcript, float | None, str]:
        sha = sha256_file(job.path)
        if not self.fresh:
            for path, where in (
                (self.out / "preview" / job.slug / "transcript.json", "flow's draft"),
                (self._cache(job), "bench cache"),
            ):
                if path.is_file():
                    t = Transcript.from_json(path.read_text(encoding="utf-8"))
                    # A draft of an older cut of the video is stale: transcribe again.
                    if t.source_sha256 in ("", sha):
                        return t, None, f"n/a ({where})"
        asr = self._load()
        samples = media.load_audio(job.path)
        t0 = time.perf_counter()
        t = asr.transcribe(samples, DecodeOptions(), source_sha256=sha)
        took = time.perf_counter() - t0
        self._cache(job).parent.mkdir(parents=True, exist_ok=True)
        self._cache(job).write_text(t.to_json(), encoding="utf-8")
        return t, took, ""

    def aligned(self, job: VideoJob, machine: Transcript, manuscript: Path) -> Transcript:
        """The manuscript timed against the audio, as the flow publishes it (cached)."""
        cache = self.out / "bench" / "aligned" / f"{job.slug}.{self.model}.transcript.json"
        if cache.is_file() and not self.fresh:
            t = Transcript.from_json(cache.read_text(encoding="utf-8"))
            if t.source_sha256 == machine.source_sha256:
                return t
        text = manuscript.read_text(encoding="utf-8")
        t = align_text(machine, text, media.load_audio(job.path), self._load().align)
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(t.to_json(), encoding="utf-8")
        return t

    def _cache(self, job: VideoJob) -> Path:
        return self.out / "bench" / "drafts" / f"{job.slug}.{self.model}.transcript.json"

    def _load(self) -> WhisperASR:
        if self._asr is None:
            t0 = time.perf_counter()
            self._asr = WhisperASR(models.resolve(self.model))
            # Loading is paid once per run, not per video; reported apart so it skews no row.
            print(f"loaded Whisper {self.model} in {time.perf_counter() - t0:.1f} s", flush=True)
        return self._asr


def measure(
    name: str,
    transcript: Transcript,
    energy: Energy | None,
    glossary: Sequence[str],
    runs: int,
    transcribe_s: float | None,
    note: str,
) -> Row:
    result = draft.captions(transcript, energy, glossary)
    engine = median_ms(lambda: draft.captions(transcript, energy, glossary), runs)
    layout = median_ms(lambda: cues_from_transcript(transcript), runs)
    words = sum(len(s.words) or len(s.text.split()) for s in transcript.segments)
    return Row(
        name,
        result.transcript,
        transcript.duration_ms / 1000,
        words,
        result.cues,
        engine,
        layout,
        transcribe_s,
        note,
    )


def manuscript_transcript(timing: Path) -> Transcript:
    """Sentences at their true times, no word times: the engine spreads words by length."""
    data = json.loads(timing.read_text(encoding="utf-8"))
    segments = tuple(
        Segment(s["start_ms"], s["end_ms"], " " + s["text"]) for s in data["sentences"]
    )
    return Transcript("da", max((s.end_ms for s in segments), default=0) + 1000, segments)


def synthetic_transcript(sentences: Sequence[str], length_ms: int = SYNTHETIC_MS) -> Transcript:
    """Sentences read again and again at ~14 cps, with breaths and, every fifth, a 1.8 s pause."""
    segments: list[Segment] = []
    t = 500
    k = 0
    while t < length_ms:
        text = sentences[k % len(sentences)]
        words: list[Word] = []
        for w in text.split():
            d = max(120, 65 * len(w))
            words.append(Word(" " + w, t, t + d, 0.9))
            t += d + 20
        segments.append(Segment(words[0].start_ms, words[-1].end_ms, " " + text, tuple(words)))
        k += 1
        t += 1800 if k % 5 == 0 else 350
    return Transcript("da", t + 1000, tuple(segments))


def craft_transcript(script: Sequence[tuple[str, str, int, int]] = CRAFT_SCRIPT) -> Transcript:
    """The test set as one transcript: words timed at each line's rate, one segment per line."""
    segments: list[Segment] = []
    t = 400
    for speaker, text, ms_per_char, pause in script:
        words: list[Word] = []
        for w in text.split():
            d = max(110, ms_per_char * len(w))
            words.append(Word(" " + w, t, t + d, 0.9))
            t += d + 25
        segments.append(
            Segment(words[0].start_ms, words[-1].end_ms, " " + text, tuple(words), speaker=speaker)
        )
        t += pause
    return Transcript("da", t + 1000, tuple(segments))


@dataclass(frozen=True)
class Tok:
    text: str
    start: int
    end: int
    speaker: str | None


def read_tokens(transcript: Transcript) -> list[Tok]:
    """The words a viewer reads, as the engine counts them: punctuation alone joins the word before.

    A segment without word times has its words spread over it by length, as the engine does.
    """
    out: list[Tok] = []
    for seg in transcript.segments:
        words = seg.words
        if not words:
            parts = seg.text.split()
            total = sum(len(p) + 1 for p in parts) or 1
            done, spread = 0, []
            for p in parts:
                a = seg.start_ms + (seg.end_ms - seg.start_ms) * done // total
                done += len(p) + 1
                b = seg.start_ms + (seg.end_ms - seg.start_ms) * done // total
                spread.append(Word(" " + p, a, b))
            words = tuple(spread)
        for w in words:
            text = w.text.strip()
            if not text:
                continue
            if out and all(c in CLOSING_PUNCT for c in text):
                last = out[-1]
                out[-1] = Tok(last.text + text, last.start, max(last.end, w.end_ms), last.speaker)
                continue
            out.append(Tok(text, w.start_ms, w.end_ms, seg.speaker))
    return out


@dataclass(frozen=True)
class Craft:
    cues: int
    short: int
    short_avoidable: int
    orphans: int
    alone: int
    abbrev_splits: int
    phrase_splits: int
    in_norms: int
    mapped: bool  # cue words matched the transcript's, so the word-level columns are exact


def craft(transcript: Transcript, cues: Sequence[Cue]) -> Craft:
    toks = read_tokens(transcript)
    lines = [[len(line.split()) for line in c.lines] for c in cues]
    in_norms = len(cues) - len({v.cue_index for v in check_cues(cues)})
    short = [c.duration_ms < COMFORTABLE_MS for c in cues]
    if sum(map(sum, lines)) != len(toks):
        # The guard or the glossary changed the words: only the cue-level columns can be had.
        return Craft(len(cues), sum(short), sum(short), 0, 0, 0, 0, in_norms, False)
    n = len(toks)
    texts = [t.text for t in toks]
    ends = [ends_sentence(w, texts[k + 1] if k + 1 < n else None) for k, w in enumerate(texts)]
    joined = [  # joined[k]: tokens k and k + 1 are in one stretch of speech
        k + 1 < n
        and toks[k].speaker == toks[k + 1].speaker
        and toks[k + 1].start - toks[k].end <= HARD_PAUSE_MS
        for k in range(n)
    ]
    units = bound(texts, ends)
    avoidable = orphans = alone = abbrev = phrase = 0
    a = 0
    for counts, is_short in zip(lines, short, strict=True):
        b = a + sum(counts)
        open_before = a > 0 and joined[a - 1]
        open_after = joined[b - 1]
        avoidable += is_short and (open_before or open_after)
        tail = head = 0  # words here of a sentence that began before / goes on after this cue
        if open_before and not ends[a - 1]:
            tail = next((k - a + 1 for k in range(a, b) if ends[k]), b - a)
        if open_after and not ends[b - 1]:
            head = next((b - 1 - m for m in range(b - 2, a - 1, -1) if ends[m]), b - a)
        alone += b - a <= 2 and (tail or head) > 0
        orphans += 0 < tail <= 2 or (0 < head <= 2 and tail != b - a)
        line_ends = [a - 1 + sum(counts[: x + 1]) for x in range(len(counts))]
        for k in line_ends:
            if k + 1 >= n or not joined[k]:
                continue
            abbrev += abbreviation(texts[k]) in ("title", "inline") and not ends[k]
            phrase += units[k]
        a = b
    return Craft(len(cues), sum(short), avoidable, orphans, alone, abbrev, phrase, in_norms, True)


def print_craft(rows: Sequence[tuple[str, Craft]]) -> None:
    head = (
        f"{'rows':<48} {'cues':>5} {'<1.5 s':>7} {'avoidable':>9} {'orphans':>7} {'alone':>5} "
        f"{'abbrev splits':>13} {'phrase splits':>13} {'in norms':>8}"
    )
    print(head)
    print("-" * len(head))
    for name, c in rows:

        def pct(x: int, c: Craft = c) -> str:
            return f"{x / c.cues:.1%}" if c.cues else "n/a"

        def word(x: int, c: Craft = c) -> str:
            return str(x) if c.mapped else "n/a"

        print(
            f"{name:<48} {c.cues:5d} {pct(c.short):>7} {pct(c.short_avoidable):>9} "
            f"{word(c.orphans):>7} {word(c.alone):>5} {word(c.abbrev_splits):>13} "
            f"{word(c.phrase_splits):>13} "
            f"{pct(c.in_norms):>8}"
        )


def violations(cues: Sequence[Cue]) -> str:
    found = check_cues(cues)
    if not found:
        return "0"
    rules = Counter(v.rule for v in found)
    return f"{len(found)} (" + ", ".join(f"{r} {n}" for r, n in rules.most_common()) + ")"


def print_table(rows: Sequence[Row]) -> None:
    head = (
        f"{'video':<48} {'audio s':>7} {'words':>6} {'cues':>5} {'max cps':>7} {'mean cps':>8} "
        f"{'engine ms':>9} {'layout ms':>9} {'transcribe s':>22} {'engine share':>12}  violations"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        cps = [c.cps for c in r.cues]
        if r.transcribe_s is not None:
            took = f"{r.transcribe_s:.1f}"
            share = f"{r.engine_ms / (r.transcribe_s * 1000):.3%}"
        else:
            took, share = r.note, "n/a"
        print(
            f"{r.name:<48} {r.audio_s:7.1f} {r.words:6d} {len(r.cues):5d} "
            f"{max(cps, default=0):7.1f} {statistics.fmean(cps) if cps else 0:8.1f} "
            f"{r.engine_ms:9.2f} {r.layout_ms:9.2f} {took:>22} {share:>12}  {violations(r.cues)}"
        )


# --- profiles: readable at speaking speed --------------------------------------------------------

FAST_SCRIPT = Path(__file__).with_name("fast-speech.txt")
FAST_SPEED = 200  # espeak-ng words a minute: about 20 characters a second, as real read Danish
TURN_GAP_MS = 250
EXCHANGE_GAP_MS = 1000


def read_script(path: Path) -> list[tuple[str | None, str]]:
    """``Name: text`` lines as turns; ``#`` lines are comments."""
    turns: list[tuple[str | None, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, _, text = line.partition(": ")
        turns.append((name.strip(), text.strip()))
    return turns


def read_aloud(
    turns: Sequence[tuple[str | None, str]], speed: int, cache: Path, gap_ms: int = TURN_GAP_MS
) -> Transcript:
    """The turns read by espeak-ng one sentence at a time, at their true times (cached)."""
    store = cache / "read-aloud.json"
    known: dict[str, int] = {}
    if store.is_file():
        known = json.loads(store.read_text(encoding="utf-8"))
    segments: list[Segment] = []
    t = samples.LEAD_IN_MS
    for speaker, text in turns:
        for k, sentence in enumerate(split_sentences(text)):
            if k:
                t += samples.SENTENCE_GAP_MS // 2
            ms = known.get(f"{speed}|{sentence}")
            if ms is None:
                ms = known[f"{speed}|{sentence}"] = samples.spoken_ms(sentence, speed)
            words = spread_words(sentence.split(), t, t + ms)
            segments.append(Segment(t, t + ms, " " + sentence, tuple(words), speaker=speaker))
            t += ms
        t += gap_ms
    cache.mkdir(parents=True, exist_ok=True)
    store.write_text(json.dumps(known, ensure_ascii=False, indent=1), encoding="utf-8")
    return Transcript("da", t + samples.TAIL_MS, tuple(segments))


def exchanges(transcript: Transcript, cues: Sequence[Cue], norms: CaptionNorms) -> tuple[int, int]:
    """(quick exchanges, those shown as one dash cue): two turns by different speakers, each
    fitting one line with its dash, the second within a second of the first."""
    turns: list[tuple[str | None, int, int, str]] = []
    for seg in transcript.segments:
        if turns and turns[-1][0] == seg.speaker:
            who, a, _b, text = turns[-1]
            turns[-1] = (who, a, seg.end_ms, f"{text} {seg.text.strip()}")
        else:
            turns.append((seg.speaker, seg.start_ms, seg.end_ms, seg.text.strip()))
    width = norms.max_line_chars - len(norms.dialogue_dash)
    total = kept = 0
    k = 0
    while k + 1 < len(turns):
        (s1, a1, b1, t1), (s2, a2, _b2, t2) = turns[k], turns[k + 1]
        quick = s1 is not None and s1 != s2 and a2 - b1 <= EXCHANGE_GAP_MS
        if not (quick and len(t1) <= width and len(t2) <= width):
            k += 1
            continue
        total += 1
        kept += any(c.voices and c.start_ms <= a1 and a2 < c.end_ms for c in cues)
        k += 2  # a turn belongs to one exchange: "A B A B" is two, not three
    return total, kept


def profile_rows(media_dir: Path, out: Path) -> list[tuple[str, Transcript]]:
    cache = out / "bench" / "espeak"
    rows = []
    for path in samples.sample_manuscripts(media_dir):
        m = samples.parse_manuscript(path)
        turns: list[tuple[str | None, str]] = [(None, " ".join(p)) for p in m.paragraphs]
        rows.append((m.slug, read_aloud(turns, samples.SPEED, cache, samples.PARAGRAPH_GAP_MS)))
    rows.append(("fast speech (20 cps)", read_aloud(read_script(FAST_SCRIPT), FAST_SPEED, cache)))
    rows.append(("norms' examples", craft_transcript()))
    return rows


def print_profiles(rows: Sequence[tuple[str, Transcript]]) -> None:
    head = (
        f"{'profile':<20} {'rows':<36} {'cues':>5} {'cps':>5} {'before timing':>13} "
        f"{'after timing':>12} {'condensed':>9} {'proposals':>9} {'<2 s':>6} {'exchanges':>9}"
    )
    print(head)
    print("-" * len(head))
    for name, norms in PROFILES.items():
        for row, transcript in rows:
            cues = cues_from_transcript(transcript, norms)
            props = proposals(cues, norms)
            condensed, _stale = apply(cues, props)
            chars = sum(len(s.text.strip()) for s in transcript.segments)
            spoken = sum(s.end_ms - s.start_ms for s in transcript.segments) or 1
            total, kept = exchanges(transcript, cues, norms)

            def pct(x: float | None) -> str:
                return f"{x:.0%}" if x is not None else "n/a"

            short = sum(c.duration_ms < 2000 for c in cues) / (len(cues) or 1)
            print(
                f"{name:<20} {row:<36} {len(cues):5d} {chars * 1000 / spoken:5.1f} "
                f"{pct(within_share(spoken_only(cues, transcript.words, norms), norms)):>13} "
                f"{pct(within_share(cues, norms)):>12} {pct(within_share(condensed, norms)):>9} "
                f"{len(props):9d} {short:6.0%} {f'{kept}/{total}' if total else '-':>9}"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--media", type=Path, default=Path("media"))
    parser.add_argument("--out", type=Path, default=Path("build"), help="the flow's output folder")
    parser.add_argument("--model", default="base")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per measurement (median)")
    parser.add_argument("--fresh", action="store_true", help="transcribe even when a draft exists")
    parser.add_argument(
        "--craft-only", action="store_true", help="only the craft table on the norms' examples"
    )
    parser.add_argument(
        "--profiles-only", action="store_true", help="only the table of norm profiles"
    )
    args = parser.parse_args()
    if args.profiles_only:
        print_profiles(profile_rows(args.media, args.out))
        return 0

    examples = measure("norms' examples", craft_transcript(), None, (), args.runs, None, "n/a")
    if args.craft_only:
        print_craft([(examples.name, craft(examples.transcript, examples.cues))])
        return 0
    jobs, errors = find_videos([args.media])
    for e in errors:
        print(e, file=sys.stderr)
    if not jobs:
        print(
            f"no videos in {args.media}: run '.venv/bin/videokit samples --if-empty'",
            file=sys.stderr,
        )
        return 0  # nothing to measure is not a failure of the engine

    drafts = Drafts(args.out, args.model, args.fresh)
    rows: list[Row] = []
    sentences: list[str] = []
    for job in jobs:
        transcript, took, note = drafts.get(job)
        energy = draft.audio_energy(media.load_audio(job.path))
        rows.append(
            measure(job.slug, transcript, energy, read_glossary(job), args.runs, took, note)
        )
        manuscript_text = job.path.with_name(f"{job.path.stem}.manuscript.txt")
        if manuscript_text.is_file():
            aligned = drafts.aligned(job, transcript, manuscript_text)
            name = f"{job.slug} (aligned)"
            rows.append(measure(name, aligned, energy, (), args.runs, None, "n/a (aligned)"))
        timing = job.path.with_name(f"{job.path.stem}.timing.json")
        if timing.is_file():
            manuscript = manuscript_transcript(timing)
            sentences += [s.text.strip() for s in manuscript.segments]
            name = f"{job.slug} (manuscript)"
            rows.append(measure(name, manuscript, None, (), args.runs, None, "n/a (manuscript)"))
    if sentences:
        synthetic = synthetic_transcript(sentences)
        rows.append(measure("synthetic 10 min", synthetic, None, (), 3, None, "n/a (synthetic)"))

    print()
    print_table(rows)
    print(
        "\nengine = videokit.draft.captions (guard + glossary + layout), layout = "
        f"segment.cues_from_transcript; medians of {args.runs} runs (3 for the synthetic stream)."
    )
    print()
    print_craft([(r.name, craft(r.transcript, r.cues)) for r in [*rows, examples]])
    total = [craft(r.transcript, r.cues) for r in rows if "synthetic" not in r.name]
    short = sum(c.short_avoidable for c in total)
    cues = sum(c.cues for c in total) or 1
    print(
        f"\nsamples (drafts, aligned and manuscripts): {short / cues:.1%} of cues under 1.5 s "
        f"where the speech allows, {sum(c.orphans for c in total)} orphans, "
        f"{sum(c.abbrev_splits for c in total)} abbreviation splits, "
        f"{sum(c.phrase_splits for c in total)} phrase splits; n/a = the words changed on the way."
    )
    print()
    print_profiles(profile_rows(args.media, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
