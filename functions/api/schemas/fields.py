"""Field types shared by request bodies: names people read, ids that reach the store, bounded lists.

Names refuse characters that hide or rewrite what is shown: control characters (NUL included), the
bidirectional overrides, embeddings and isolates (U+202A..U+202E, U+2066..U+2069), zero-width spaces and
joiners of words (U+200B, U+2060, U+FEFF), private-use, surrogate and unassigned code points. The zero-width
non-joiner and joiner (U+200C, U+200D) stay: Persian writing needs them."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Final

from pydantic import AfterValidator, Field

from jarchi import limits

HIDDEN: Final = frozenset(
    {chr(c) for c in range(0x202A, 0x202F)} | {chr(c) for c in range(0x2066, 0x206A)} | {"\u200b", "\u2060", "\ufeff"}
)
REFUSED_CATEGORIES: Final = frozenset({"Cc", "Co", "Cs", "Cn"})


def _visible_text(value: str) -> str:
    for position, char in enumerate(value):
        if char in HIDDEN or unicodedata.category(char) in REFUSED_CATEGORIES:
            raise ValueError(f"character U+{ord(char):04X} at position {position} is not allowed in a name")
    if not value.strip():
        raise ValueError("a name needs a visible character")
    return value


Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_visible_text)]
ShortName = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_visible_text)]
FileName = Annotated[str, Field(min_length=1, max_length=255), AfterValidator(_visible_text)]
# An id that reaches the store as a key: never empty (DynamoDB refuses an empty key attribute), never long.
Id = Annotated[str, Field(min_length=1, max_length=limits.MAX_ID_CHARS)]
# Inline numbers in one request; bigger lists are files or uploads.
Numbers = Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=limits.MAX_INLINE_NUMBERS)]
# Message text (SMS, text-to-speech): bounded well below a stored item's 400 KB.
Text = Annotated[str, Field(min_length=1, max_length=limits.MAX_TEXT_CHARS)]
