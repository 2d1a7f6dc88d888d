"""Bytes -> text for HTML pages: BOM, HTTP header, ``<meta>``, UTF-8, then detection.

``decode_html`` never raises and never returns NUL characters. It prefers what the page
declares, but refuses a declaration that would produce mojibake: a page declared as a
Latin single-byte charset whose bytes are valid multi-byte UTF-8 is read as UTF-8, and a
page declared UTF-8 is read as another charset only when its invalid byte sequences
outnumber its valid multi-byte characters (a few damaged bytes just become U+FFFD).
"""

from __future__ import annotations

import codecs
import re

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# <meta charset="x">, <meta http-equiv="Content-Type" content="text/html; charset=x">
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""",
    re.IGNORECASE,
)
_SNIFF_BYTES = 4096  # where browsers look for a <meta> declaration (they use 1024; pages lie)
_DETECT_BYTES = 65536  # enough text for detection; the whole page is then decoded with it

# Labels browsers treat as another, larger encoding (WHATWG Encoding Standard).
_ALIASES: dict[str, str] = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "ascii": "cp1252",
    "us-ascii": "cp1252",
    "windows-1252": "cp1252",
    "iso-8859-9": "cp1254",
    "latin5": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "windows-31j": "cp932",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "big5": "big5hkscs",
    # A page cannot really be UTF-16 if its <meta> was readable as ASCII.
    "utf-16": "utf-8",
    "utf-16le": "utf-8",
    "utf-16be": "utf-8",
    "unicode": "utf-8",
    "utf8": "utf-8",
    "x-user-defined": "cp1252",
}
_SINGLE_BYTE_LATIN = frozenset({"cp1252", "cp1254", "cp1250", "iso8859-15", "iso8859-2"})


def normalize_charset(label: str | None) -> str | None:
    """Map a declared charset label to a Python codec name, or None if unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if not label:
        return None
    label = _ALIASES.get(label, label)
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    if name == "latin-1":
        return "cp1252"
    if name.startswith("utf-16") or name.startswith("utf-32"):
        return "utf-8"
    return name


def sniff_meta_charset(head: bytes) -> str | None:
    """Return the charset declared by a ``<meta>`` tag in ``head`` (raw bytes), if any."""
    match = _META_CHARSET.search(head)
    if match:
        return match.group(1).decode("ascii", "replace")
    return None


def _is_multibyte_utf8(body: bytes) -> bool:
    """True when ``body`` is valid UTF-8 and has at least one non-ASCII sequence."""
    if body.isascii():
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _decodes(body: bytes, codec: str) -> bool:
    """Whether ``body`` decodes in ``codec`` without an error."""
    try:
        body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _detect(body: bytes) -> str | None:
    """Guess an encoding with charset-normalizer (on a prefix, for speed)."""
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - it is a declared dependency
        return None
    try:
        results = list(from_bytes(body[:_DETECT_BYTES]))
    except Exception:  # noqa: BLE001 - detection is best effort
        return None
    if not results:
        return None
    best = results[0]
    # Ties between single-byte code pages are common; Windows-1252 is by far the most
    # used on the web, so it wins a tie (or a near tie) with its neighbours.
    for match in results[1:]:
        if (
            normalize_charset(match.encoding) == "cp1252"
            and match.chaos <= best.chaos + 0.01
            and match.coherence >= best.coherence - 0.05
        ):
            return "cp1252"
    return normalize_charset(best.encoding)


def _decode(body: bytes, codec: str) -> str:
    return body.decode(codec, "replace").replace("\x00", "")


def decode_html(body: bytes, header_charset: str | None = None) -> str:
    """Decode an HTML page to text.

    Order: byte-order mark, the HTTP header's charset, a ``<meta>`` charset in the first
    4 KB, UTF-8 when the bytes decode cleanly, then charset-normalizer detection, then
    Windows-1252. A page declared UTF-8 stays UTF-8 unless its invalid byte sequences
    outnumber its valid multi-byte characters (then detection decides). Undecodable bytes
    become U+FFFD; NUL characters are removed. Never raises.
    """
    if not body:
        return ""
    if isinstance(body, str):  # tolerate callers that already decoded
        return body.replace("\x00", "")
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return _decode(body[len(bom) :], codec)
    declared = normalize_charset(header_charset) or normalize_charset(
        sniff_meta_charset(body[:_SNIFF_BYTES])
    )
    if declared:
        if declared in _SINGLE_BYTE_LATIN and _is_multibyte_utf8(body):
            return _decode(body, "utf-8")  # the declaration is wrong; decoding it would garble
        if declared != "utf-8" and _is_multibyte_utf8(body) and not _decodes(body, declared):
            # A legacy multi-byte declaration (GB2312, Shift_JIS, EUC-KR...) left behind by
            # a move to UTF-8: the bytes are valid UTF-8 and invalid in the declared charset.
            return _decode(body, "utf-8")
        if declared == "utf-8":
            try:
                return body.decode("utf-8").replace("\x00", "")
            except UnicodeDecodeError:
                if _declared_utf8_holds(body):
                    return _decode(body, "utf-8")  # a few damaged bytes: U+FFFD for them
                return _decode(body, _detect(body) or "utf-8")
        return _decode(body, declared)
    try:
        return body.decode("utf-8").replace("\x00", "")
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(body):
        return _decode(body, "utf-8")
    return _decode(body, _detect(body) or "cp1252")


_BAD_RUN = re.compile("\ufffd+")


def _declared_utf8_holds(body: bytes) -> bool:
    """For a page declared UTF-8 that does not decode cleanly: True unless its invalid byte
    sequences outnumber its valid multi-byte characters (then it is really another charset).

    A run of undecodable bytes counts once; the first 64 KB are looked at.
    """
    text = body[:_DETECT_BYTES].decode("utf-8", "replace")
    bad_chars = text.count("\ufffd")
    if not bad_chars:
        return True
    good_multibyte = len(text) - len(text.encode("ascii", "ignore")) - bad_chars
    bad_runs = 0
    for _ in _BAD_RUN.finditer(text):
        bad_runs += 1
        if bad_runs > good_multibyte:
            return False
    return True


def _mostly_utf8(body: bytes) -> bool:
    """True when only a few bytes break UTF-8 (a damaged UTF-8 page, not another charset)."""
    sample = body[:_DETECT_BYTES]
    text = sample.decode("utf-8", "replace")
    bad = text.count("\ufffd")
    if not bad:
        return True
    good_multibyte = sum(1 for ch in text if ord(ch) > 127 and ch != "\ufffd")
    return good_multibyte >= 4 * bad
