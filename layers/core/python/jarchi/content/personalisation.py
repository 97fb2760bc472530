"""Personalised SMS text (R-SMS-4).

A placeholder is ``#column#``: a name of letters, digits or underscores (any script, so ``#نام#``
works) between two ``#``. It names a column of the recipients' list, compared without regard to case,
surrounding spaces, or spaces/hyphens inside the name (a column headed ``Abonent name`` fills
``#abonent_name#``). Every placeholder must name a column when the campaign is created
(``unknown_placeholder``, 422: the text is fine alone but does not fit the chosen list). A recipient
whose cell is empty gets an empty string.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from jarchi.content.sms import measure_sms
from jarchi.errors import Unprocessable

PLACEHOLDER = re.compile(r"#(\w+)#")
_SEPARATORS = re.compile(r"[\s\-]+")


def column_key(name: str) -> str:
    """The form in which column names and placeholders are compared."""
    return _SEPARATORS.sub("_", name.strip()).casefold()


def placeholders(text: str) -> tuple[str, ...]:
    """Distinct placeholder names in order of first appearance."""
    return tuple(dict.fromkeys(PLACEHOLDER.findall(text)))


@dataclass(frozen=True, slots=True)
class PersonalisedText:
    """A text compiled against the columns of a list: ``fill(values)`` takes a recipient's row."""

    pieces: tuple[str, ...]  # literal text around the placeholders: len(pieces) == len(slots) + 1
    slots: tuple[int, ...]  # column index of each placeholder

    @property
    def is_personalised(self) -> bool:
        return bool(self.slots)

    def fill(self, values: Sequence[str]) -> str:
        if not self.slots:
            return self.pieces[0]
        out = [self.pieces[0]]
        for slot, piece in zip(self.slots, self.pieces[1:], strict=True):
            out.append(values[slot] if slot < len(values) else "")
            out.append(piece)
        return "".join(out)


def compile_text(text: str, columns: Sequence[str]) -> PersonalisedText:
    """Check that every placeholder names a column and prepare per-recipient filling."""
    index = {column_key(column): i for i, column in reversed(list(enumerate(columns)))}
    pieces: list[str] = []
    slots: list[int] = []
    position = 0
    for match in PLACEHOLDER.finditer(text):
        name = match.group(1)
        slot = index.get(column_key(name))
        if slot is None:
            raise Unprocessable(
                "unknown_placeholder",
                f"placeholder #{name}# does not name a column of the recipients' list",
                placeholder=name,
                columns=list(columns),
            )
        pieces.append(text[position : match.start()])
        slots.append(slot)
        position = match.end()
    pieces.append(text[position:])
    return PersonalisedText(tuple(pieces), tuple(slots))


def validate_placeholders(text: str, columns: Sequence[str]) -> None:
    compile_text(text, columns)


def fill(text: str, variables: Mapping[str, str]) -> str:
    """Fill one recipient from a mapping of column name → value."""
    columns = list(variables)
    return compile_text(text, columns).fill([variables[c] for c in columns])


def segments_per_recipient(text: str, columns: Sequence[str], rows: Iterable[Sequence[str]]) -> Iterable[int]:
    """SMS parts of each recipient's filled text (R-SMS-4: cost is computed after filling)."""
    compiled = compile_text(text, columns)
    if not compiled.is_personalised:
        segments = measure_sms(text).segments
        return (segments for _ in rows)
    return (measure_sms(compiled.fill(row)).segments for row in rows)
