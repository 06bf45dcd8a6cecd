r"""Untrusted text on a terminal: control characters shown, never obeyed.

Labels, definitions and messages come from RDF files anyone can write. Printed
raw, a label holding ``ESC ] 0 ; ... BEL`` retitles the terminal window,
``ESC [ 2 J`` clears the screen, and a right-to-left override (U+202E,
"Trojan Source") makes text read differently from what it is. :func:`visible`
rewrites such characters as escapes that read as what they are:

>>> visible("evil\x1b]0;pwned\x07\x1b[2J \u202eright")
'evil\\x1b]0;pwned\\x07\\x1b[2J \\u202eright'

Rewritten: the C0 controls (U+0000-U+001F) except those named in ``keep``
(line feed and tab by default, which layouts need), DEL (U+007F), the C1
controls (U+0080-U+009F, which some terminals obey like their ESC forms),
the bidirectional embeddings, overrides and isolates (U+202A-U+202E,
U+2066-U+2069), and lone surrogates (from undecodable bytes, which could not
be printed at all). Everything else, non-Latin scripts and emoji included, is
left alone; a backslash stays a backslash.

:func:`json_text` is ``json.dumps`` whose output is also safe on a terminal:
the same characters appear as ``\uXXXX`` escapes, so a JSON parser still reads
the exact strings back.
"""

from __future__ import annotations

import re
from typing import Any

# C0 controls are listed one by one so that ``keep`` can take some out
_C0 = "".join(chr(c) for c in range(0x20))
_OTHERS = "\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_PATTERNS: dict[str, re.Pattern[str]] = {}


def _pattern(keep: str) -> re.Pattern[str]:
    """The character class of what :func:`visible` rewrites, without ``keep`` (cached)."""
    pattern = _PATTERNS.get(keep)
    if pattern is None:
        c0 = "".join(re.escape(c) for c in _C0 if c not in keep)
        pattern = _PATTERNS[keep] = re.compile(f"[{c0}{_OTHERS}]")
    return pattern


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, keep: str = "\n\t") -> str:
    r"""``text`` with control and bidi-override characters written as ``\x1b``/``\u202e``.

    ``keep`` names the C0 characters to leave as they are: line feed and tab
    by default; ``keep=""`` puts everything on one line (for error messages).

    >>> visible("a\tb\nc\rd")
    'a\tb\nc\\x0dd'
    >>> visible("a\nb", keep="")
    'a\\x0ab'
    """
    if text.isprintable():  # fast path: every character visible() rewrites is unprintable
        return text
    return _pattern(keep).sub(_escape, text)


def one_line(text: str) -> str:
    r"""``text`` on one line: runs of white space become one space, controls are shown.

    >>> one_line("  mutual\n trust\x1b[2J ")
    'mutual trust\\x1b[2J'
    """
    flat = " ".join(text.split())
    return flat if flat.isprintable() else visible(flat, keep="")


# what json.dumps(ensure_ascii=False) leaves raw but a terminal may obey or hide
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]")


def json_text(data: Any, **options: Any) -> str:
    r"""``json.dumps(data, ensure_ascii=False, **options)`` made safe to print on a terminal.

    ``json.dumps`` already escapes C0 controls; DEL, the C1 controls, the bidi
    overrides, U+2028/U+2029 and lone surrogates are escaped too. They can only occur inside
    JSON strings, so the document stays valid and parses to the same data.

    >>> json_text({"label": "a\x1b\u202eb\x9b"})
    '{"label": "a\\u001b\\u202eb\\u009b"}'
    """
    import json  # here: the CLI imports this module at start-up

    text = json.dumps(data, ensure_ascii=False, **options)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)
