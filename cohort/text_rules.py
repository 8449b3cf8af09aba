"""Invisible characters that no field of the service accepts, and why, in words.

Refused everywhere: C0 and C1 control characters (tab, newline and carriage return are allowed
in multi-line text), DEL, the line and paragraph separators, and Unicode format characters
(category Cf: direction marks and overrides, zero-width spaces, BOMs, soft hyphens, invisible
operators…). Zero-width joiners and non-joiners are allowed only between two visible characters,
where some scripts and emoji sequences need them; tag characters only in a flag emoji sequence.
Single-line text also refuses tabs and line breaks: no one types them in a name, where they would
cut an e-mail subject short.
"""

from __future__ import annotations

import re
import unicodedata

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
CONTROL_MESSAGE = "Please remove the invisible control characters from this field."
FORMAT_MESSAGE = ("Please remove the invisible formatting characters (such as direction marks, "
                  "zero-width spaces or byte-order marks) from this field.")
LINE_BREAKS = re.compile(r"[\t\n\r\x0b\x0c\x85\u2028\u2029]")
ONE_LINE_MESSAGE = "Please keep this on one line, without tabs or line breaks."
JOINERS = "\u200c\u200d"
TAGS = range(0xE0020, 0xE0080)
BLACK_FLAG = "\U0001F3F4"


def _visible(char: str) -> bool:
    return not char.isspace() and unicodedata.category(char) not in ("Cc", "Cf", "Zl", "Zp")


def has_format_characters(text: str) -> bool:
    """True if `text` holds a Unicode format character (Cf) that is not part of a word or emoji."""
    for index, char in enumerate(text):
        if unicodedata.category(char) != "Cf":
            continue
        if char in JOINERS and 0 < index < len(text) - 1 and _visible(text[index - 1]) \
                and _visible(text[index + 1]):
            continue
        if ord(char) in TAGS and BLACK_FLAG in text[:index] and all(
                ord(c) in TAGS for c in text[text.rindex(BLACK_FLAG, 0, index) + 1:index]):
            continue
        return True
    return False


def invisible_character_problem(text: str, *, single_line: bool) -> str:
    """Why `text` cannot be accepted as typed ("" if it can): the message shown beside the field."""
    if CONTROL_CHARACTERS.search(text):
        return CONTROL_MESSAGE
    if has_format_characters(text):
        return FORMAT_MESSAGE
    if single_line and LINE_BREAKS.search(text):
        return ONE_LINE_MESSAGE
    return ""


