"""Which encoding a person's text file is in: declared by a byte-order mark, or found, or refused.

Editors' tools and side files (glossary, manuscript, title file) come in UTF-8 with or without a
byte-order mark, UTF-16, UTF-32, Windows-1252 and ISO-8859-15. The rule for every one of them:
a file is read only when its encoding is certain, or when exactly one reading is plausible Danish
text; otherwise it is refused with the encoding it seems to be in. Never a silent substitution:
a ``€`` read as ``¤``, or every ``å`` read as ``Ã¥``, is worse than a refusal, because nobody
notices it until it is on the site.

The order of the checks matters and is part of the contract:

1. a byte-order mark declares the encoding (UTF-32 marks before UTF-16: ``FF FE 00 00`` starts
   with the UTF-16 LE mark);
2. strict UTF-8 (plain ASCII included);
3. NUL bytes without a mark: UTF-16 or UTF-32 without a byte-order mark, refused by name;
4. well-formed UTF-8 letters beside bytes that are not UTF-8: a file in two encodings, refused at
   the first line that is not UTF-8;
5. the single-byte Western encodings, told apart by their bytes (see :func:`_western_encoding`);
6. anything else, named with ``charset-normalizer``'s help and refused.

Pure functions over bytes; :func:`videokit.files.read_text_file` reads side files with them.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from pathlib import Path

from .errors import TranscriptError

SAVE_AS_UTF8 = "save the file as UTF-8 (Subtitle Edit: File → Save as, encoding UTF-8)"

# Longest first: the UTF-32 LE mark begins with the UTF-16 LE mark.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)

# Bytes that Windows-1252 and ISO-8859-15 read differently (0x80-0x9F aside), and whether each
# reading is plausible in Danish text. ``¤ ¦ ¨ ¸`` are not: a file holding them was written as
# ISO-8859-15. ``´ ¼ ½ ¾`` are (``1½ time``), and so are their ISO-8859-15 readings in names.
_LATIN9_ONLY = frozenset(b"\xa4\xa6\xa8\xb8")  # € Š š ž in ISO-8859-15
_EITHER = frozenset(b"\xb4\xbc\xbd\xbe")  # ´ ¼ ½ ¾ in Windows-1252, Ž Œ œ Ÿ in ISO-8859-15
_C1 = re.compile(rb"[\x80-\x9f]")  # printable in Windows-1252, control codes in ISO-8859-15

# Plausible non-ASCII characters of Western European text: Latin-1 letters and signs, Latin
# Extended-A letters in names (Š, Ž, Œ), typographic quotes, dashes, the euro and degree signs.
_WESTERN = re.compile(r"[\u00a0-\u017f\u2013\u2014\u2018-\u201e\u2020-\u2026\u20ac\u2122]")
# Signs that a file in a DOS or Mac code page was read as Windows-1252: ``h‘vn``, ``p†``, ``f›r``.
# (Mac Roman: ``hj¾lp``, ``B¿rn``, ``pŒ``.) Danish inner quotes ``›…‹`` may touch one letter.
_MISREAD = re.compile(r"[^\W\d_][‘†‡‰ˆ˜¾¿¼½Œ]|[†‡‰ˆ˜¾¿¼½®¯][^\W\d_]|[^\W\d_][‹›][^\W\d_]")

_DANISH_WORDS = frozenset(
    {"og", "i", "er", "det", "at", "en", "på", "til", "ikke", "med", "som", "har", "for", "den"}
    | {"af", "jeg", "vi", "de", "kan", "vil", "var", "skal"}
)

# charset-normalizer's codec names, by the family a person knows them as.
_FAMILIES = (
    (r"gb|hz|big5|cp950|cp936", "Chinese (GB2312/GB18030 or Big5)"),
    (r"shift_jis|cp932|euc_j|iso2022_jp", "Japanese (Shift-JIS or EUC-JP)"),
    (r"cp949|euc_kr|johab|iso2022_kr", "Korean (EUC-KR)"),
    (r"koi8|cp1251|iso8859_5|cp866|mac_cyrillic|cp855", "Cyrillic (Windows-1251 or KOI8-R)"),
    (r"cp1253|iso8859_7|mac_greek|cp737", "Greek (Windows-1253)"),
    (r"cp1255|iso8859_8|cp862", "Hebrew (Windows-1255)"),
    (r"cp1256|iso8859_6|cp864", "Arabic (Windows-1256)"),
    (r"cp874|tis|iso8859_11", "Thai (TIS-620)"),
)
_CJK = frozenset(family for _p, family in _FAMILIES[:3])


def decode_text(data: bytes, path: Path | None = None, *, stage: str = "review") -> str:
    """The text of a file, with line ends made ``\\n``; or a :class:`TranscriptError` that names
    the encoding the file seems to be in, and the line where that shows."""
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            return normalise_newlines(_declared(data[len(bom) :], codec, name, path, stage))
    try:
        return normalise_newlines(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    if b"\x00" in data:
        raise _unreadable(path, _without_bom(data), stage=stage)
    if _utf8_letters_beside_other_bytes(data):
        _strict_utf8(data, path, stage)  # raises, naming the first line that is not UTF-8
    encoding = _western_encoding(data, path, stage)
    if encoding is not None:
        text = data.decode(encoding)
        if _plausible_western(text):
            return normalise_newlines(text)
    raise _unreadable(path, _foreign(data), _first_odd_line(data), stage=stage)


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _unreadable(
    path: Path | None, why: str, line: int | None = None, *, stage: str = "review"
) -> TranscriptError:
    return TranscriptError(
        f"unreadable encoding ({why})", path=path, line=line, stage=stage, hint=SAVE_AS_UTF8
    )


def _line_of(data: bytes, offset: int) -> int:
    return data[:offset].count(b"\n") + 1


def _declared(data: bytes, codec: str, name: str, path: Path | None, stage: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as err:
        # Lines are counted in the file's own units: a line end is one code unit of its width.
        width = {"UTF-32": 4, "UTF-16": 2}.get(name, 1)
        newline = "\n".encode(codec)
        line = data[: err.start - err.start % width].count(newline) + 1
        why = f"marked as {name}, but this line is not {name}"
        raise _unreadable(path, why, line, stage=stage) from None


def _without_bom(data: bytes) -> str:
    """What a file with NUL bytes and no byte-order mark most likely is, by where the NULs are."""
    for width, name in ((4, "UTF-32"), (2, "UTF-16")):
        lanes = [data[i::width] for i in range(width)]
        zero = [lane.count(0) / max(len(lane), 1) for lane in lanes]
        # Mostly-ASCII text leaves the high bytes of every code unit zero.
        if sum(z > 0.8 for z in zero) == width - 1 and len(data) % width == 0:
            order = "little-endian" if zero[0] < 0.8 else "big-endian"
            return f"{name} ({order}) without a byte-order mark"
    return "binary data, not text"


def _strict_utf8(data: bytes, path: Path | None, stage: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        why = "mixed: this line is not UTF-8, the rest of the file is"
        raise _unreadable(path, why, _line_of(data, err.start), stage=stage) from None


def _utf8_letters_beside_other_bytes(data: bytes) -> bool:
    """True when the file is UTF-8 with Windows-1252 mixed in: both parts read as Western text
    (``å`` as ``C3 A5`` here, as ``E5`` there). Double-byte encodings (GB2312, Big5) form valid
    UTF-8 pairs by chance, but the file read that way is not Western text."""
    text = data.decode("utf-8", errors="surrogateescape")
    if not any(ord(ch) > 127 and not 0xDC80 <= ord(ch) <= 0xDCFF for ch in text):
        return False  # no UTF-8 beyond ASCII: nothing is mixed, it is one legacy encoding
    pieces = re.split(r"([\udc80-\udcff]+)", text)
    try:
        mixed = "".join(
            p.encode("utf-8", errors="surrogateescape").decode("cp1252") if i % 2 else p
            for i, p in enumerate(pieces)
        )
    except UnicodeDecodeError:
        return False
    return _plausible_western(mixed)


def _western_encoding(data: bytes, path: Path | None, stage: str) -> str | None:
    """``cp1252`` or ``iso-8859-15`` when the bytes decide it; ``None`` when neither can read them.

    Bytes 0x80-0x9F are text only in Windows-1252. Without them, a ``¤ ¦ ¨ ¸`` reading means the
    file is ISO-8859-15 (``€ Š š ž``). A file holding those bytes *and* one that both encodings read
    plausibly (``½`` or ``œ``?) is refused: a guess would be wrong about one of them.
    """
    if _C1.search(data):
        try:
            data.decode("cp1252")
        except UnicodeDecodeError:
            return None
        return "cp1252"
    present = set(data)
    if not present & _LATIN9_ONLY:
        return "cp1252"  # the same as ISO-8859-1 and -15 for every byte the file holds
    both = sorted(present & _EITHER)
    if both:
        first = data.index(bytes([both[0]]))
        one = bytes([both[0]]).decode("iso-8859-15")
        other = bytes([both[0]]).decode("cp1252")
        why = (
            f"ISO-8859-15 or Windows-1252: a '€' says ISO-8859-15, but byte 0x{both[0]:02X} "
            f"reads as '{one}' in one and '{other}' in the other"
        )
        raise _unreadable(path, why, _line_of(data, first), stage=stage)
    return "iso-8859-15"


def _plausible_western(text: str) -> bool:
    foreign = any(ord(ch) > 127 and not _WESTERN.match(ch) for ch in text)
    # Double-byte encodings read as Windows-1252 come out as runs of accented capitals and signs.
    # Danish has at most two such letters in a row ("blåøjet"); typography adds a third ("“…”").
    runs = re.findall(r"[^\x00-\x7f]{3,}", text)
    long_run = any(len(run) > 3 for run in runs)
    return not foreign and len(runs) <= 1 and not long_run and _MISREAD.search(text) is None


def plausible_danish(text: str) -> bool:
    """Danish running text: common Danish words and, if it has letters beyond ASCII, æ/ø/å among
    them; no control codes and no replacement characters."""
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r" for ch in text):
        return False
    if "\ufffd" in text:
        return False
    words = re.findall(r"[^\W\d_]+", text.casefold())
    if not words or sum(w in _DANISH_WORDS for w in words) < max(1, len(words) // 20):
        return False
    non_ascii = {ch for w in words for ch in w if ord(ch) > 127}
    return not non_ascii or bool(non_ascii & set("æøå"))


def _foreign(data: bytes) -> str:
    """Why a file that no Western encoding reads is refused, naming what it seems to be."""
    from charset_normalizer import from_bytes

    # Danish text from a DOS or Mac editor: name the code page, whose reading is Danish.
    for codec, name in (("cp865", "DOS Nordic (code page 865)"), ("mac_roman", "Mac Roman")):
        try:
            if plausible_danish(data.decode(codec)) and re.search("[æøåÆØÅ]", data.decode(codec)):
                return f"not UTF-8 or Windows-1252: Danish text in {name}"
        except UnicodeDecodeError:
            continue
    guesses = [match.encoding for match in from_bytes(data)][:5]
    families = list(dict.fromkeys(f for g in guesses for p, f in _FAMILIES if re.match(p, g)))
    why = "not UTF-8, and not Western European text either"
    # Short samples make charset-normalizer's guesses unsure: say only what they agree on.
    if len(families) == 1:
        return f"{why}: it looks like {families[0]}"
    if families and all(f in _CJK for f in families):
        return f"{why}: it looks like Chinese, Japanese or Korean text"
    if families:
        return f"{why}: it may be {' or '.join(families[:3])}"
    return why


def _first_odd_line(data: bytes) -> int | None:
    """The first line holding a byte above ASCII: where the editor can see the problem."""
    m = re.search(rb"[\x80-\xff]", data)
    return _line_of(data, m.start()) if m else None
