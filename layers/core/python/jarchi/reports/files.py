"""Tabular files for people (R-REP-3): CSV with a BOM and Excel written with openpyxl's write-only mode, both
streamed row by row into a binary file, so a 60,000-row export holds one row in memory at a time.

Formulas are neutralised (CSV injection, OWASP): a text cell that begins with `=`, `+`, `-`, `@`, a tab or a
carriage return gets a leading `'`, so a spreadsheet shows it as text instead of evaluating it. A value that
is a plain number (an E.164 number `+98912…`, a negative amount) is left alone: it cannot call anything, and
escaping it would turn every phone number into text with a quote in front."""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import IO, Final

Cell = str | int | None

XLSX_CONTENT_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER: Final = re.compile(r"[+-]?\d+(\.\d+)?")


class FileFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"

    @property
    def content_type(self) -> str:
        if self is FileFormat.CSV:
            return "text/csv; charset=utf-8"
        return XLSX_CONTENT_TYPE


def neutralise(value: Cell) -> Cell:
    """A cell as it is safe to write (see the module's docstring)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def write_csv(header: Sequence[str], rows: Iterable[Sequence[Cell]], out: IO[bytes]) -> int:
    """UTF-8 with a BOM (Excel then reads Persian text right); the number of data rows written."""
    out.write(codecs.BOM_UTF8)
    text = codecs.getwriter("utf-8")(out)
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(header)
    written = 0
    for row in rows:
        writer.writerow(["" if cell is None else neutralise(cell) for cell in row])
        written += 1
    return written


def write_xlsx(header: Sequence[str], rows: Iterable[Sequence[Cell]], out: IO[bytes], *, title: str) -> int:
    """One write-only sheet (rows go to a temporary file as they come, never a whole sheet in memory)."""
    from openpyxl import Workbook  # only Excel exports need it (and numpy with it): not on every cold start

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(list(header))
    written = 0
    for row in rows:
        sheet.append([neutralise(cell) for cell in row])
        written += 1
    workbook.save(out)
    return written


def write_table(
    file_format: FileFormat, header: Sequence[str], rows: Iterable[Sequence[Cell]], out: IO[bytes], *, title: str
) -> int:
    if file_format is FileFormat.CSV:
        return write_csv(header, rows, out)
    return write_xlsx(header, rows, out, title=title)
