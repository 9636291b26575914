"""WebVTT as a browser reads it: the file parsing and cue text parsing rules of the W3C spec.

https://www.w3.org/TR/webvtt1/#file-parsing and #cue-text-parsing-rules. This module is the
browser's view only: which blocks are cues, their times, settings and text, and what the cue text
shows. videokit's own rules (no overlaps, no cue a player would skip, no empty cue) are applied on
top of it in :mod:`videokit.edits`, so that every refusal of a valid file is a named rule, never a
disagreement about what the file says.

What videokit keeps of cue text (:func:`cue_text`): ``<i>``, ``<b>`` and ``<u>`` as formatting,
``<v Name>`` as the speaker, text with character references decoded exactly once. Classes, ``<c>``,
``<lang>``, karaoke time stamps and ruby markup are dropped as formatting; their text stays. A ruby
annotation (``<rt>``) is kept in parentheses after its base text, as HTML's ``<rp>`` fallback shows
it where ruby cannot be drawn: it is text the author wrote (a reading, a translation), and no
caption format videokit writes can place it above the line.

Pure functions over text.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

_SIGNATURE = re.compile(r"WEBVTT(?:[ \t\n]|$)")
_ASCII_SPACE = " \t\n\f\r"


@dataclass(frozen=True)
class VttCue:
    """A cue as the spec's parser makes it; ``line`` is the 1-based line of its timing line."""

    identifier: str
    start_ms: int
    end_ms: int
    settings: str
    text: str
    line: int


@dataclass(frozen=True)
class Skipped:
    """A block the spec's parser drops, with why: text a player never shows. ``line`` and
    ``first_line`` are the timing line that failed, or else the block's first line.

    ``why`` is ``"timing"`` (a timing line that does not parse), ``"no timing"`` (no timing line)
    or ``"meta"`` (a NOTE, STYLE or REGION block, which carries no cue by design).
    """

    line: int
    why: str
    first_line: str


@dataclass(frozen=True)
class VttFile:
    """The cues a browser gives, and what else the file held.

    ``run_on`` holds the line of every timing line that ended the cue above it without an empty
    line between them (the spec starts a new cue there; the line above it may have been meant as
    the new cue's id, and is the old cue's text instead).
    """

    cues: tuple[VttCue, ...]
    skipped: tuple[Skipped, ...] = ()
    run_on: tuple[int, ...] = ()


class NotWebVTT(ValueError):
    """The file fails the spec's signature check: a browser shows none of it."""


# --- file parsing ---------------------------------------------------------------------------------


def preprocess(text: str) -> str:
    """The spec's input stream: NULs replaced, every line end a line feed, a leading BOM dropped."""
    text = text.removeprefix("\ufeff")
    return text.replace("\x00", "\ufffd").replace("\r\n", "\n").replace("\r", "\n")


def parse_file(text: str) -> VttFile:
    """Cues exactly as the spec's parser gives them; :class:`NotWebVTT` when the signature fails.

    Follows the spec's steps by line rather than by character; the two are the same because
    every step of the spec consumes whole lines.
    """
    lines = preprocess(text).split("\n")
    if not _SIGNATURE.match(lines[0]):
        raise NotWebVTT(lines[0][:40])
    parser = _Parser(lines)
    parser.pos = 1
    if parser.pos < len(lines) and lines[parser.pos] != "":
        parser.block(in_header=True)
    else:
        parser.pos += 1
    while parser.more():
        parser.skip_blank()
        if parser.more():
            parser.block(in_header=False)
    return VttFile(tuple(parser.cues), tuple(parser.skipped), tuple(parser.run_on))


@dataclass
class _Parser:
    lines: list[str]
    pos: int = 0
    seen_cue: bool = False
    cues: list[VttCue] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    run_on: list[int] = field(default_factory=list)

    def more(self) -> bool:
        # "split" leaves one empty string after a final line feed: that is the end of input.
        return self.pos < len(self.lines) and not (
            self.pos == len(self.lines) - 1 and self.lines[self.pos] == ""
        )

    def skip_blank(self) -> None:
        while self.more() and self.lines[self.pos] == "":
            self.pos += 1

    def block(self, *, in_header: bool) -> None:
        """The spec's "collect a WebVTT block"."""
        first = self.pos
        buffer: list[str] = []
        cue: tuple[int, int, str, int] | None = None
        identifier = ""
        failed = (first + 1, self.lines[first])  # the timing line that did not parse
        seen_arrow = False
        count = 0
        while self.pos < len(self.lines):
            line = self.lines[self.pos]
            count += 1
            self.pos += 1
            if "-->" in line:
                if not in_header and (count == 1 or (count == 2 and not seen_arrow)):
                    seen_arrow = True
                    timing = parse_timing(line)
                    if timing is None:
                        cue = None
                        failed = (self.pos, line)
                    else:
                        cue = (*timing, self.pos)
                        identifier = "\n".join(buffer)
                        buffer = []
                        self.seen_cue = True
                    continue
                self.pos -= 1  # the arrow line starts the next block
                if not in_header and cue is not None:
                    self.run_on.append(self.pos + 1)
                break
            if line == "":
                break
            buffer.append(line)
        if cue is not None:
            start, end, settings, line_no = cue
            self.cues.append(VttCue(identifier, start, end, settings, "\n".join(buffer), line_no))
        elif not in_header:
            head = self.lines[first]
            word = re.split(r"[ \t]", head, maxsplit=1)[0]
            why = "meta" if word in _META else "timing" if seen_arrow else "no timing"
            line_no, shown = failed if why == "timing" else (first + 1, head)
            self.skipped.append(Skipped(line_no, why, shown))


_META = frozenset({"NOTE", "STYLE", "REGION"})


def parse_timing(line: str) -> tuple[int, int, str] | None:
    """``(start_ms, end_ms, settings)`` from a timing line, or ``None`` where the spec fails it.

    The spec asks nothing of the two times' order; that is videokit's rule, not the parser's.
    """
    rest = line.lstrip(_ASCII_SPACE)
    start, rest = _timestamp(rest)
    if start is None:
        return None
    rest = rest.lstrip(_ASCII_SPACE)
    if not rest.startswith("-->"):
        return None
    rest = rest[3:].lstrip(_ASCII_SPACE)
    end, rest = _timestamp(rest)
    if end is None:
        return None
    # Whatever follows the end time is settings; the spec ignores settings it does not know.
    return start, end, rest.strip(_ASCII_SPACE)


# ASCII digits only: the spec's "ASCII digits", where Python's \d would take any script's.
_TIMESTAMP = re.compile(r"([0-9]+):([0-9]+)(?::([0-9]+))?\.([0-9]+)")


def _timestamp(text: str) -> tuple[int | None, str]:
    """The spec's "collect a WebVTT timestamp": ``mm:ss.ttt`` or ``hh:mm:ss.ttt``."""
    m = _TIMESTAMP.match(text)
    if m is None:
        return None, text
    first, second, third, fraction = m.groups()
    if third is None:
        hours, minutes, seconds = 0, first, second
        if len(first) != 2:
            return None, text
    else:
        hours, minutes, seconds = int(first), second, third
        if len(second) != 2:
            return None, text
    if len(seconds) != 2 or len(fraction) != 3:
        return None, text
    if int(minutes) > 59 or int(seconds) > 59:
        return None, text
    ms = ((int(hours) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + int(fraction)
    return ms, text[m.end() :]


# --- cue text parsing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CueText:
    """What a cue shows, as videokit keeps it: lines with ``<i>``, ``<b>``, ``<u>`` as the only
    markup (every other ``<``, ``>``, ``&`` is the text's own) and the speaker of its first voice."""

    lines: tuple[str, ...]
    voice: str | None


_FORMATTING = frozenset("ibu")
_KEEP_CHILDREN = frozenset({"c", "v", "lang", "ruby"})


@dataclass
class _Node:
    name: str
    parent: _Node | None = None
    children: list[_Node | str] = field(default_factory=list)
    annotation: str = ""
    closed: bool = False


def cue_text(text: str) -> CueText:
    """The cue text parsing rules, rendered as videokit's lines (see :class:`CueText`)."""
    root = _Node("")
    current = root
    voice: str | None = None
    for kind, name, annotation in _tokens(text):
        if kind == "text":
            current.children.append(name)
        elif kind == "start":
            if (
                name in _FORMATTING
                or name in _KEEP_CHILDREN
                or (name == "rt" and current.name == "ruby")
            ):
                node = _Node(name, current, annotation=annotation)
                current.children.append(node)
                current = node
                if name == "v" and voice is None:
                    voice = annotation or None
        elif kind == "end":
            if name == current.name and name in _FORMATTING | _KEEP_CHILDREN | {"rt"}:
                current.closed = True
                current = current.parent or root
            elif name == "ruby" and current.name == "rt" and current.parent is not None:
                current.closed = True
                current.parent.closed = True
                current = current.parent.parent or root
        # Time stamps only time the karaoke colouring: no text of their own.
    return CueText(_lines(_render(root)), voice)


def _lines(rendered: str) -> tuple[str, ...]:
    """Lines that show text; a line of tags only joins the next line, so that formatting opened
    or closed there still applies to the text it was written for."""
    out: list[str] = []
    carry = ""
    for line in rendered.split("\n"):
        if _visible(line):
            out.append(_squeeze(carry + line))
            carry = ""
        else:
            carry += line.strip(" \t\f")
    if carry and out:
        out[-1] = _squeeze(out[-1] + carry)
    return tuple(out)


def _render(node: _Node) -> str:
    out = []
    for child in node.children:
        if isinstance(child, str):
            out.append(child)
            continue
        inner = _render(child)
        if child.name in _FORMATTING:
            # An end tag only where the file closed the span: one left open runs to the cue's end
            # in the file as here.
            out.append(f"<{child.name}>{inner}" + (f"</{child.name}>" if child.closed else ""))
        elif child.name == "rt":
            out.append(f"({inner})" if inner.strip() else "")
        else:
            out.append(inner)
    return "".join(out)


def _squeeze(line: str) -> str:
    # Players collapse white space in a line (CSS pre-line); a no-break space is text, kept.
    return " ".join(re.split(r"[ \t\f]+", line.strip(" \t\f")))


def _visible(line: str) -> bool:
    return bool(re.sub(r"</?[ibu]>", "", line).strip(" \t\f"))


def _tokens(text: str) -> list[tuple[str, str, str]]:
    """The spec's cue text tokenizer: ``("text", data, "")``, ``("start", name, annotation)``,
    ``("end", name, "")`` and ``("stamp", value, "")``; character references decoded once."""
    out: list[tuple[str, str, str]] = []
    i = 0
    while i < len(text):
        if text[i] != "<":
            j = text.find("<", i)
            j = len(text) if j < 0 else j
            out.append(("text", html.unescape(text[i:j]), ""))
            i = j
            continue
        j = text.find(">", i + 1)
        end = len(text) if j < 0 else j
        tag = text[i + 1 : end]
        i = end + 1
        if tag.startswith("/"):
            out.append(("end", tag[1:], ""))  # all of it: "</i >" closes nothing
        elif tag[:1].isdigit():
            out.append(("stamp", tag, ""))
        else:
            m = re.match(r"([^ \t\n\f.]*)(?:\.[^ \t\n\f]*)?(?:[ \t\n\f](.*))?\Z", tag, re.S)
            name, annotation = (m.group(1), m.group(2) or "") if m else ("", "")
            annotation = " ".join(html.unescape(annotation).split())
            out.append(("start", name, annotation))
    return out
