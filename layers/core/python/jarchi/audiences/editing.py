"""Contact lists as a user keeps them: rename, add and remove numbers, delete, drop numbers (R-LST; the seed's
SMS "groups and numbers" modules). Routes under `/v1/contact-lists/{id}`.

Decisions where the spec is silent:

- Who may edit: whoever may see the list (its owner, a reseller above it, admin), as for reading it; the
  numbers are read with the **owner's** region, reach (allowed countries, premium ranges) and recipient limit.
- Numbers added go through the very parser of an upload (`jarchi.audiences.parsing`): inline numbers or a file,
  the same normalisation, line report and reach refusals. A number already on the list, or repeated in the
  request, is a `duplicate`. A file's extra columns become list variables: columns the list lacks are added
  (empty for the numbers already on it), columns the file lacks are empty for the numbers it adds.
- Removing reads the numbers the same way (a number the account may not reach cannot be on the list, so no
  reach check there) and answers `removed` and `not_listed`.
- The list's import counts (`read`, `invalid`, `duplicate`, `invalid_lines`) stay those of its creation; `kept`
  is always the number of numbers on the list now.
- Every edit writes the recipients as a new object, then the item over the version it read (optimistic,
  retried a few times against a racing edit, then 409 `contact_list_changed`), then removes the object it
  replaced. A campaign already created from the list keeps its own frozen audience (`put_audience`): neither an
  edit nor a delete reaches it.
- Delete removes the item first (from then on the list is 404), then its objects.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from jarchi import clock
from jarchi.accounts.models import Caller
from jarchi.audiences.parsing import ContactImport, InvalidLine, Recipient, check_recipient_limit, parse_contact_file
from jarchi.audiences.parsing import parse_inline as parse_numbers
from jarchi.audiences.ports import ContactListPorts
from jarchi.audiences.records import ContactList
from jarchi.audiences.service import clean_name, list_owner, parse_file_for, parse_inline_for, visible_list
from jarchi.errors import Conflict, Unprocessable
from jarchi.ids import new_id
from jarchi.settings import get_settings

EDIT_TRIES = 3


@dataclass(frozen=True, slots=True)
class NumbersGiven:
    """Exactly one of inline `numbers` and a file's bytes (`file_name` for the record)."""

    numbers: list[str] | None = None
    data: bytes | None = None

    def check(self) -> None:
        if (self.numbers is None) == (self.data is None):
            raise Unprocessable("numbers_required", "give exactly one of numbers and file")


@dataclass(frozen=True, slots=True)
class NumbersAdded:
    contact_list: ContactList
    read: int
    invalid: int
    duplicate: int  # already on the list, or repeated in the request
    added: int
    not_allowed: int
    invalid_lines: tuple[InvalidLine, ...]
    invalid_lines_truncated: bool


@dataclass(frozen=True, slots=True)
class NumbersRemoved:
    contact_list: ContactList
    read: int
    invalid: int
    removed: int
    not_listed: int
    invalid_lines: tuple[InvalidLine, ...]
    invalid_lines_truncated: bool


@dataclass(frozen=True, slots=True)
class NumbersDropped:
    contact_list: ContactList
    dropped: int
    by_reason: dict[str, int]


# An edit of the recipients: from the list's columns and recipients, the new ones (None: nothing to write).
Edit = Callable[[ContactList, list[Recipient]], tuple[tuple[str, ...], list[Recipient]] | None]


def _versioned_key(base: str, version: int) -> str:
    """A key no racing edit of the same version writes too (the loser removes its own object only)."""
    stem = base.removesuffix(".jsonl")
    return f"{stem}.v{version}.{new_id('e')}.jsonl"


def _edit(ports: ContactListPorts, caller: Caller, list_id: str, edit: Edit) -> ContactList:
    """Apply `edit` over the list as it is now, written only over the version it read (see the module doc)."""
    for _ in range(EDIT_TRIES):
        current = visible_list(caller, list_id, ports, None)
        try:
            recipients = ports.lists.load_recipients(current.recipients_key)
        except LookupError:
            continue  # replaced since the read
        edited = edit(current, recipients)
        if edited is None:
            return current
        columns, new_recipients = edited
        version = current.version + 1
        key = _versioned_key(ports.files.recipients_key(current.account_id, current.id), version)
        ports.lists.put_recipients(key, new_recipients)
        updated = replace(
            current,
            columns=columns,
            kept=len(new_recipients),
            recipients_key=key,
            version=version,
            updated_at=clock.now(),
        )
        if ports.lists.replace(updated, current.version):
            ports.files.delete(current.recipients_key)
            return updated
        ports.files.delete(key)
    raise Conflict("contact_list_changed", f"contact list {list_id!r} is being changed by another request; try again")


def rename_contact_list(
    caller: Caller, list_id: str, name: str, *, ports: ContactListPorts | None = None
) -> ContactList:
    """`PATCH /v1/contact-lists/{id}` `{"name"}`."""
    ports = ports or ContactListPorts.wired()
    new_name = clean_name(name)
    for _ in range(EDIT_TRIES):
        current = visible_list(caller, list_id, ports, None)
        if current.name == new_name:
            return current
        renamed = replace(current, name=new_name, version=current.version + 1, updated_at=clock.now())
        if ports.lists.replace(renamed, current.version):
            return renamed
    raise Conflict("contact_list_changed", f"contact list {list_id!r} is being changed by another request; try again")


def _merged_columns(ours: tuple[str, ...], theirs: tuple[str, ...]) -> tuple[str, ...]:
    return ours + tuple(c for c in theirs if c not in ours)


def _aligned(recipient: Recipient, columns: tuple[str, ...], to: tuple[str, ...]) -> Recipient:
    if columns == to:
        return recipient
    values = dict(zip(columns, recipient.values, strict=False))
    return recipient._replace(values=tuple(values.get(c, "") for c in to))


def _parse_given(caller: Caller, contact_list: ContactList, given: NumbersGiven, *, reach: bool) -> ContactImport:
    """The request's numbers read like an upload of the owner (with its reach when adding), no limit yet."""
    given.check()
    owner = list_owner(caller, contact_list, None)
    if reach:
        if given.data is not None:
            return parse_file_for(owner, given.data, limited=False)
        return parse_inline_for(owner, given.numbers or [], limited=False)
    if given.data is not None:
        max_bytes = get_settings().contact_file_max_bytes
        return parse_contact_file(given.data, owner.default_region, max_bytes=max_bytes, recipient_limit=None)
    return parse_numbers(given.numbers or [], owner.default_region, recipient_limit=None)


def add_numbers(
    caller: Caller, list_id: str, given: NumbersGiven, *, ports: ContactListPorts | None = None
) -> NumbersAdded:
    """`POST /v1/contact-lists/{id}/numbers`: numbers or a file onto the list, de-duplicated against it."""
    ports = ports or ContactListPorts.wired()
    contact_list = visible_list(caller, list_id, ports, None)
    parsed = _parse_given(caller, contact_list, given, reach=True)
    limit = list_owner(caller, contact_list, None).recipient_limit
    counts = {"added": 0, "duplicate": parsed.duplicate}

    def edit(current: ContactList, recipients: list[Recipient]) -> tuple[tuple[str, ...], list[Recipient]] | None:
        on_list = {r.number for r in recipients}
        new = [r for r in parsed.recipients if r.number not in on_list]
        counts["added"], counts["duplicate"] = len(new), parsed.duplicate + parsed.kept - len(new)
        if not new:
            return None
        check_recipient_limit(len(recipients) + len(new), limit)
        columns = _merged_columns(current.columns, parsed.columns)
        merged = [_aligned(r, current.columns, columns) for r in recipients]
        merged += [_aligned(r, parsed.columns, columns) for r in new]
        return columns, merged

    updated = _edit(ports, caller, list_id, edit)
    return NumbersAdded(
        updated,
        read=parsed.read,
        invalid=parsed.invalid,
        duplicate=counts["duplicate"],
        added=counts["added"],
        not_allowed=parsed.not_allowed,
        invalid_lines=tuple(parsed.invalid_lines),
        invalid_lines_truncated=parsed.invalid_lines_truncated,
    )


def remove_numbers(
    caller: Caller, list_id: str, given: NumbersGiven, *, ports: ContactListPorts | None = None
) -> NumbersRemoved:
    """`DELETE /v1/contact-lists/{id}/numbers`: take numbers off the list."""
    ports = ports or ContactListPorts.wired()
    contact_list = visible_list(caller, list_id, ports, None)
    parsed = _parse_given(caller, contact_list, given, reach=False)
    leaving = {r.number for r in parsed.recipients}
    counts = {"removed": 0}

    def edit(current: ContactList, recipients: list[Recipient]) -> tuple[tuple[str, ...], list[Recipient]] | None:
        staying = [r for r in recipients if r.number not in leaving]
        counts["removed"] = len(recipients) - len(staying)
        return (current.columns, staying) if counts["removed"] else None

    updated = _edit(ports, caller, list_id, edit)
    return NumbersRemoved(
        updated,
        read=parsed.read,
        invalid=parsed.invalid,
        removed=counts["removed"],
        not_listed=len(leaving) - counts["removed"],
        invalid_lines=tuple(parsed.invalid_lines),
        invalid_lines_truncated=parsed.invalid_lines_truncated,
    )


def drop_numbers(
    caller: Caller, list_id: str, reasons: Mapping[str, str], *, ports: ContactListPorts | None = None
) -> NumbersDropped:
    """Take off the list every number `reasons` names, answering how many went for which reason (the clean)."""
    ports = ports or ContactListPorts.wired()
    by_reason: Counter[str] = Counter()

    def edit(current: ContactList, recipients: list[Recipient]) -> tuple[tuple[str, ...], list[Recipient]] | None:
        by_reason.clear()
        by_reason.update(reasons[r.number] for r in recipients if r.number in reasons)
        if not by_reason:
            return None
        return current.columns, [r for r in recipients if r.number not in reasons]

    updated = _edit(ports, caller, list_id, edit)
    return NumbersDropped(updated, dropped=sum(by_reason.values()), by_reason=dict(sorted(by_reason.items())))


def delete_contact_list(caller: Caller, list_id: str, *, ports: ContactListPorts | None = None) -> None:
    """`DELETE /v1/contact-lists/{id}`: campaigns created from it keep their own frozen audience."""
    ports = ports or ContactListPorts.wired()
    contact_list = visible_list(caller, list_id, ports, None)
    ports.lists.delete(contact_list.id)
    keys: Sequence[str | None] = (contact_list.recipients_key, contact_list.original_key)
    for key in keys:
        if key:
            ports.files.delete(key)
