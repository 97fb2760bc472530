"""Managing the suppression lists (R-CPL-3; SPEC §14): the account's own stop list (add, remove, import a
file, list), the telecom blacklist (admin import, streamed: a million numbers in one Lambda's memory and
time), and the platform's ad opt-out list (admin read and remove). Admission reads them with BatchGetItem
(`SuppressionLists.memberships`); this module only writes and pages them.

Decisions where the spec is silent:

- Numbers are normalised like a contact list's (`jarchi.audiences.numbers`, the account's default region;
  the admin's for the blacklist); invalid ones come back as line report entries (the first 100), nothing
  else of the request is refused for them.
- A file is text: one number per line, or CSV/TSV whose first cell is the number (a header line that is
  not a number is reported like any invalid line). It is decoded and read line by line, never split into a
  list, and the numbers go to the store as a generator, 25 per BatchWriteItem.
- Adding a number already on a list writes it again with the new date: the import is idempotent, and the
  report counts what was written (`added`), not what was new (that would need a read per number).
- Removing answers how many were removed and how many were not on the list.
- The ad opt-out list is fed only by vote 11 (its `source` is the campaign); the admin can read an entry
  (with `reason` = how it got there, and `added_at`) and remove it, e.g. on the subscriber's request.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from jarchi import clock
from jarchi.accounts.access import require_admin
from jarchi.accounts.models import Caller
from jarchi.audiences.numbers import normalise_number, normaliser_for
from jarchi.audiences.parsing import InvalidLine
from jarchi.clock import iso
from jarchi.compliance.adcap import SuppressionList
from jarchi.compliance.ports import SuppressionEntry, SuppressionLists
from jarchi.errors import BadRequest, NotFound, Unprocessable
from jarchi.ports import resolve

MAX_REPORTED_INVALID = 100
_CELL_SEPARATORS = (",", ";", "\t")


@dataclass
class ImportReport:
    """What an import read and wrote; `invalid_lines` holds the first ones."""

    read: int = 0
    invalid: int = 0
    added: int = 0
    invalid_lines: list[InvalidLine] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RemovalReport:
    removed: int
    not_listed: int
    invalid: int
    invalid_lines: tuple[InvalidLine, ...]


@dataclass(frozen=True, slots=True)
class NumbersInput:
    """Exactly one of inline `numbers` and a file's bytes."""

    numbers: list[str] | None = None
    data: bytes | None = None

    def lines(self) -> Iterator[str]:
        if (self.numbers is None) == (self.data is None):
            raise Unprocessable("numbers_required", "give exactly one of numbers and file")
        if self.numbers is not None:
            return iter(self.numbers)
        assert self.data is not None
        return file_lines([self.data])


def file_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """The number cell of each line of a text or CSV file given as byte chunks (UTF-8, a BOM allowed),
    decoded incrementally: memory stays one chunk and one line."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
    pending = ""
    for chunk in chunks:
        pending += decoder.decode(chunk)
        *complete, pending = pending.split("\n")
        yield from (number_cell(line) for line in complete)
    pending += decoder.decode(b"", final=True)
    if pending.strip():
        yield number_cell(pending)


def number_cell(line: str) -> str:
    for separator in _CELL_SEPARATORS:
        if separator in line:
            line = line.split(separator, 1)[0]
            break
    return line.strip().strip('"')


def _normalised(lines: Iterable[str], region: str, report: ImportReport) -> Iterator[str]:
    """E.164 of each valid line, counting and reporting the rest; blank lines are skipped."""
    check = normaliser_for(region.upper()).check
    for position, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        report.read += 1
        verdict = check(raw)
        if verdict.e164 is None:
            report.invalid += 1
            if len(report.invalid_lines) < MAX_REPORTED_INVALID:
                report.invalid_lines.append(InvalidLine(position, raw[:100], verdict.reason or "invalid"))
            continue
        yield verdict.e164


def import_numbers(
    lists: SuppressionLists, kind: SuppressionList, lines: Iterable[str], *, region: str, account_id: str, source: str
) -> ImportReport:
    """Stream `lines` onto a list: normalised, batch-written, nothing held but the current batch."""
    report = ImportReport()
    numbers = _normalised(lines, region, report)
    report.added = lists.add_many(kind, numbers, account_id=account_id, added_at=iso(clock.now()), source=source)
    if report.read == 0:
        raise BadRequest("list_empty", "the request holds no numbers")
    return report


def _lists(lists: SuppressionLists | None) -> SuppressionLists:
    return lists or resolve(SuppressionLists)


def add_to_stop_list(caller: Caller, given: NumbersInput, *, lists: SuppressionLists | None = None) -> ImportReport:
    """`POST /v1/stop-list`: the caller's own stop list (every category is refused to these numbers)."""
    account = caller.account
    return import_numbers(
        _lists(lists),
        SuppressionList.ACCOUNT_STOP_LIST,
        given.lines(),
        region=account.default_region,
        account_id=account.id,
        source="api",
    )


def remove_from_stop_list(
    caller: Caller, given: NumbersInput, *, lists: SuppressionLists | None = None
) -> RemovalReport:
    """`DELETE /v1/stop-list`: take numbers off the caller's stop list."""
    store = _lists(lists)
    report = ImportReport()
    removed = not_listed = 0
    for number in _normalised(given.lines(), caller.account.default_region, report):
        if store.remove(SuppressionList.ACCOUNT_STOP_LIST, number, account_id=caller.account_id):
            removed += 1
        else:
            not_listed += 1
    if report.read == 0:
        raise BadRequest("list_empty", "the request holds no numbers")
    return RemovalReport(removed, not_listed, report.invalid, tuple(report.invalid_lines))


def stop_list_page(
    caller: Caller, limit: int, cursor: str | None, *, lists: SuppressionLists | None = None
) -> tuple[list[SuppressionEntry], str | None]:
    return _lists(lists).entries(
        SuppressionList.ACCOUNT_STOP_LIST, account_id=caller.account_id, limit=limit, cursor=cursor
    )


def import_blacklist(caller: Caller, given: NumbersInput, *, lists: SuppressionLists | None = None) -> ImportReport:
    """`POST /v1/blacklist` (admin): the operators' register of numbers refusing promotional messages."""
    require_admin(caller)
    return import_numbers(
        _lists(lists),
        SuppressionList.TELECOM_BLACKLIST,
        given.lines(),
        region=caller.account.default_region,
        account_id="",
        source="import",
    )


def opt_out_entry(caller: Caller, number: str, *, lists: SuppressionLists | None = None) -> SuppressionEntry:
    """`GET /v1/opt-outs/{number}` (admin): when and why the number left advertising."""
    require_admin(caller)
    e164 = normalise_number(number, caller.account.default_region)
    found = _lists(lists).entry(SuppressionList.AD_OPT_OUT, e164)
    if found is None:
        raise NotFound("opt_out_not_found", f"{e164} is not on the ad opt-out list")
    return found


def remove_opt_out(caller: Caller, number: str, *, lists: SuppressionLists | None = None) -> None:
    """`DELETE /v1/opt-outs/{number}` (admin): the number may receive advertising again."""
    require_admin(caller)
    e164 = normalise_number(number, caller.account.default_region)
    if not _lists(lists).remove(SuppressionList.AD_OPT_OUT, e164):
        raise NotFound("opt_out_not_found", f"{e164} is not on the ad opt-out list")
