"""Recipients' lists: inline numbers, CSV, plain text and Excel .xlsx (R-LST-1, R-LST-2, R-LST-4).

What a list may look like:

- **CSV** with a header row; the phone column is found by name (``phone``, ``mobile``, ``msisdn``,
  ``tel``, ``شماره``, ``موبایل``, ``телефон``, ``номер``… see ``PHONE_COLUMN_NAMES``); the other columns
  are personalisation variables (R-SMS-4). Delimiter ``,`` ``;`` or tab, sniffed; UTF-8 (with or without
  BOM), UTF-16 with BOM, or Windows-1256 (Persian Excel exports).
- **Plain text**, one number per line, or a CSV without a header: recognised when the first row already
  holds a number. The phone column is then the first one holding numbers; variables are named
  ``column_1``, ``column_2``… by position.
- **Excel .xlsx** (first sheet), same rules. Numeric cells lose their leading zero (``9121234567``) or
  turn into floats (``9.121234567E9``); both are read back as whole numbers and parse as national
  numbers without the trunk prefix.

The type is told by content, not by name: ``PK`` (a zip holding ``xl/workbook.xml``) is xlsx; any
other binary content (NUL bytes, another zip, PDF, legacy .xls) is ``list_format_unsupported``.

Errors: nothing but blanks → ``list_empty``; no phone column → ``list_no_phone_column``; a broken
xlsx → ``list_unreadable`` (all 400); more than ``max_bytes``, or an xlsx that unpacks to more than
``jarchi.limits.MAX_XLSX_UNCOMPRESSED_BYTES`` → ``list_too_large`` (413); more than
``recipient_limit`` numbers kept → ``too_many_recipients`` (400) with the number of lists to split into.

Counting (the response of ``POST /v1/contact-lists``): ``read`` data rows (blank rows are skipped and
not counted) = ``invalid`` + ``duplicate`` + ``kept``. Line numbers are those a user sees in an editor
or in Excel: the header is line 1. A duplicate is a number already kept (the first occurrence keeps its
variables). At most ``MAX_REPORTED_INVALID`` invalid lines are listed (``invalid`` still counts all).
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import NamedTuple

from jarchi import limits
from jarchi.accounts.reach import Refusal
from jarchi.audiences.numbers import NumberCheck, NumberType, normaliser_for
from jarchi.errors import BadRequest, PayloadTooLarge

DEFAULT_RECIPIENT_LIMIT = 60_000
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
MAX_REPORTED_INVALID = 1_000
MISSING_NUMBER = "missing_number"
REFUSALS = frozenset(r.value for r in Refusal)
_SNIFF_LINES = 20

PHONE_COLUMN_NAMES = frozenset(
    {
        # English
        "phone", "phones", "phonenumber", "phoneno", "number", "numbers", "mobile", "mobilenumber",
        "mobileno", "mobilephone", "msisdn", "tel", "telephone", "cell", "cellphone", "cellular",
        "recipient", "recipients", "to", "gsm",
        # Persian
        "شماره", "شمارهها", "شمارهموبایل", "شمارهتلفن", "شمارهتماس", "شمارههمراه", "موبایل", "تلفن",
        "همراه", "تلفنهمراه", "گیرنده",
        # Russian and Ukrainian
        "телефон", "номер", "номертелефона", "мобильный", "мобильныйтелефон", "мобільний",
        "номертелефону", "тел",
    }
)  # fmt: skip
_NAME_NOISE = str.maketrans(dict.fromkeys(map(ord, " _-.\u200c\u200f\u200e:#"), None))
_DIGITS_ONLY = str.maketrans(
    {
        **{0x06F0 + d: str(d) for d in range(10)},
        **{0x0660 + d: str(d) for d in range(10)},
        **dict.fromkeys(map(ord, " \t\u00a0-./()+\u200c\u200e\u200f"), None),
    }
)
_MIN_NUMBER_DIGITS = 5


class ListFormat(StrEnum):
    INLINE = "inline"
    TEXT = "text"  # CSV or plain text
    XLSX = "xlsx"


class Recipient(NamedTuple):
    number: str  # E.164
    type: NumberType
    values: tuple[str, ...]  # aligned with ContactImport.columns


@dataclass(frozen=True, slots=True)
class InvalidLine:
    line: int
    value: str
    reason: str


@dataclass(frozen=True, slots=True)
class ContactImport:
    format: ListFormat
    columns: tuple[str, ...]  # personalisation variables (every column but the phone column)
    recipients: list[Recipient]
    read: int
    invalid: int
    duplicate: int
    invalid_lines: list[InvalidLine] = field(default_factory=list)
    # Of `invalid`: valid numbers the account may not reach (jarchi.accounts.reach), reported with their reason.
    not_allowed: int = 0

    @property
    def kept(self) -> int:
        return len(self.recipients)

    @property
    def invalid_lines_truncated(self) -> bool:
        return self.invalid > len(self.invalid_lines)

    def variables(self, recipient: Recipient) -> dict[str, str]:
        return dict(zip(self.columns, recipient.values, strict=False))

    def summary(self) -> dict[str, object]:
        """The counts the API answers (R-API: read, invalid, duplicate, kept, invalid_lines)."""
        return {
            "read": self.read,
            "invalid": self.invalid,
            "duplicate": self.duplicate,
            "kept": self.kept,
            "not_allowed": self.not_allowed,
            "invalid_lines": [{"line": x.line, "value": x.value, "reason": x.reason} for x in self.invalid_lines],
            "invalid_lines_truncated": self.invalid_lines_truncated,
        }


# --- limits ----------------------------------------------------------------------------------------


def check_recipient_limit(count: int, limit: int = DEFAULT_RECIPIENT_LIMIT) -> None:
    if count > limit:
        lists = -(-count // limit)
        raise BadRequest(
            "too_many_recipients",
            f"{count} recipients is more than the limit of {limit}; split them into {lists} lists "
            f"of at most {limit} and create one campaign per list",
            recipients=count,
            limit=limit,
            split_into=lists,
        )


def _check_size(data: bytes, max_bytes: int) -> None:
    if len(data) > max_bytes:
        raise PayloadTooLarge(
            "list_too_large",
            f"the list is {len(data)} bytes; at most {max_bytes} are allowed",
            size_bytes=len(data),
            max_bytes=max_bytes,
        )


# --- collecting rows -------------------------------------------------------------------------------

# A row as read: (line number, raw phone value, variable values)
Row = tuple[int, str, tuple[str, ...]]


# Why a valid number may not be kept for this account (`jarchi.accounts.reach`), or None.
Reach = Callable[[str, NumberType], str | None]


def _collect(
    fmt: ListFormat, columns: tuple[str, ...], rows: Iterable[Row], region: str, reach: Reach | None = None
) -> ContactImport:
    check = normaliser_for(region.upper()).check
    verdicts: dict[str, NumberCheck] = {}  # the verdict depends only on the raw text: repeats skip parsing
    kept: set[str] = set()
    recipients: list[Recipient] = []
    invalid_lines: list[InvalidLine] = []
    read = invalid = duplicate = not_allowed = 0
    for line, raw, values in rows:
        read += 1
        verdict = verdicts.get(raw)
        if verdict is None:
            verdict = check(raw) if raw else NumberCheck(None, None, MISSING_NUMBER)
            if verdict.e164 is not None and reach is not None:
                refused = reach(verdict.e164, verdict.type or NumberType.UNKNOWN)
                verdict = NumberCheck(None, None, refused) if refused else verdict
            verdicts[raw] = verdict
        number = verdict.e164
        if number is None:
            invalid += 1
            not_allowed += verdict.reason in REFUSALS
            if len(invalid_lines) < MAX_REPORTED_INVALID:
                invalid_lines.append(InvalidLine(line, raw, verdict.reason or "invalid"))
        elif number in kept:
            duplicate += 1
        else:
            kept.add(number)
            recipients.append(Recipient(number, verdict.type or NumberType.UNKNOWN, values))
    return ContactImport(fmt, columns, recipients, read, invalid, duplicate, invalid_lines, not_allowed)


def _finish(result: ContactImport, recipient_limit: int | None) -> ContactImport:
    if result.read == 0:
        raise BadRequest("list_empty", "the list holds no numbers")
    if recipient_limit is not None:
        check_recipient_limit(result.kept, recipient_limit)
    return result


def parse_inline(
    numbers: Sequence[str],
    region: str,
    *,
    recipient_limit: int | None = DEFAULT_RECIPIENT_LIMIT,
    reach: Reach | None = None,
) -> ContactImport:
    """Numbers given in the request; ``line`` is the 1-based position in the array."""
    rows = ((i, str(raw).strip(), ()) for i, raw in enumerate(numbers, start=1))
    return _finish(_collect(ListFormat.INLINE, (), rows, region, reach), recipient_limit)


# --- tables (CSV, text, xlsx) ----------------------------------------------------------------------


def _column_name_key(name: str) -> str:
    return name.casefold().translate(_NAME_NOISE)


def _looks_like_number(cell: str) -> bool:
    digits = cell.translate(_DIGITS_ONLY)
    return len(digits) >= _MIN_NUMBER_DIGITS and digits.isascii() and digits.isdigit()


@dataclass(frozen=True, slots=True)
class _Layout:
    phone: int
    variables: tuple[int, ...]
    columns: tuple[str, ...]
    has_header: bool


def _layout(first: Sequence[str]) -> _Layout:
    cells = [c.strip() for c in first]
    width = len(cells)
    for i, cell in enumerate(cells):
        if _column_name_key(cell) in PHONE_COLUMN_NAMES:
            variables = tuple(j for j in range(width) if j != i)
            names = tuple(cells[j] or f"column_{j + 1}" for j in variables)
            return _Layout(i, variables, names, has_header=True)
    for i, cell in enumerate(cells):
        if _looks_like_number(cell):
            variables = tuple(j for j in range(width) if j != i)
            return _Layout(i, variables, tuple(f"column_{j + 1}" for j in variables), has_header=False)
    raise BadRequest(
        "list_no_phone_column",
        "no phone column: name one 'phone' (or mobile, msisdn, شماره, телефон…) or start with a number",
        header=cells,
    )


def _table_rows(table: Iterator[tuple[int, list[str]]]) -> tuple[tuple[str, ...], Iterator[Row]] | None:
    """Find the layout on the first non-blank row and yield the data rows."""
    start = next(((n, cells) for n, cells in table if any(c.strip() for c in cells)), None)
    if start is None:
        return None
    line, first = start
    layout = _layout(first)

    def rows() -> Iterator[Row]:
        if not layout.has_header:
            yield from _shape(line, first, layout)
        for number, cells in table:
            yield from _shape(number, cells, layout)

    return layout.columns, rows()


def _shape(line: int, cells: list[str], layout: _Layout) -> Iterator[Row]:
    width = len(cells)
    raw = cells[layout.phone].strip() if layout.phone < width else ""
    if not layout.variables:
        if raw:
            yield line, raw, ()
        return
    values = tuple(cells[j].strip() if j < width else "" for j in layout.variables)
    if raw or any(values):
        yield line, raw, values


# --- text ------------------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    if b"\x00" in data:
        raise BadRequest("list_format_unsupported", "the list must be CSV, plain text or Excel .xlsx (this is binary)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1256", errors="replace")


def _sniff_delimiter(text: str) -> str | None:
    sample = [line for line in text.splitlines()[: _SNIFF_LINES * 2] if line.strip()][:_SNIFF_LINES]
    best: tuple[int, str] | None = None
    for delimiter in (",", ";", "\t"):
        lines_with = sum(1 for line in sample if delimiter in line)
        if lines_with * 2 >= len(sample) and lines_with:
            total = sum(line.count(delimiter) for line in sample)
            if best is None or total > best[0]:
                best = (total, delimiter)
    return best[1] if best else None


def _text_table(text: str) -> Iterator[tuple[int, list[str]]]:
    delimiter = _sniff_delimiter(text)
    if delimiter is None:  # one value per line
        for number, line in enumerate(text.splitlines(), start=1):
            yield number, [line]
        return
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    previous = 0
    for cells in reader:
        yield previous + 1, cells  # the line where the record starts
        previous = reader.line_num


# --- xlsx ------------------------------------------------------------------------------------------


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _xlsx_table(data: bytes) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook  # only xlsx imports need it

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # any failure of the reader on untrusted bytes
        raise BadRequest("list_unreadable", f"the Excel file cannot be read: {error}") from None
    try:
        sheet = workbook.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(v) for v in row]
    except Exception as error:
        raise BadRequest("list_unreadable", f"the Excel file cannot be read: {error}") from None
    finally:
        workbook.close()


def _is_xlsx(data: bytes) -> bool:
    """Whether the zip is a workbook; a zip that would unpack to more than `MAX_XLSX_UNCOMPRESSED_BYTES` is
    refused here by its declared sizes, before any XML is read (zipfile never unpacks past them)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
            if unpacked > limits.MAX_XLSX_UNCOMPRESSED_BYTES:
                raise PayloadTooLarge(
                    "list_too_large",
                    f"the Excel file unpacks to {unpacked} bytes; at most {limits.MAX_XLSX_UNCOMPRESSED_BYTES} "
                    "are allowed (split the list, or send it as CSV)",
                    max_bytes=limits.MAX_XLSX_UNCOMPRESSED_BYTES,
                )
            return "xl/workbook.xml" in archive.namelist()
    except zipfile.BadZipFile:
        raise BadRequest("list_unreadable", "the file starts like an Excel/zip file but is broken") from None


def detect_list_format(data: bytes) -> ListFormat:
    if data.startswith(b"PK"):
        if not _is_xlsx(data):
            raise BadRequest("list_format_unsupported", "the list must be CSV, plain text or Excel .xlsx")
        return ListFormat.XLSX
    return ListFormat.TEXT


def parse_contact_file(
    data: bytes,
    region: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    recipient_limit: int | None = DEFAULT_RECIPIENT_LIMIT,
    reach: Reach | None = None,
) -> ContactImport:
    """Read an uploaded list (CSV, text or xlsx) and normalise, check and de-duplicate its numbers."""
    _check_size(data, max_bytes)
    if not data.strip():
        raise BadRequest("list_empty", "the list holds no numbers")
    fmt = detect_list_format(data)
    table = _xlsx_table(data) if fmt is ListFormat.XLSX else _text_table(_decode(data))
    found = _table_rows(table)
    if found is None:
        raise BadRequest("list_empty", "the list holds no numbers")
    columns, rows = found
    return _finish(_collect(fmt, columns, rows, region, reach), recipient_limit)
