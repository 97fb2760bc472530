"""Benchmark: importing a 60,000-row contact list (R-LST-2) against a bare phonenumbers loop.

The list: Iranian mobile numbers in mixed formats (``0912…``, ``+98…``, ``0098…``, ``98…``, with spaces,
dashes, parentheses, Persian digits), a name column, 5 % invalid rows and 5 % rows that repeat an earlier
row. Timed, best of 3 each, in one run:

- ``jarchi``: ``jarchi.audiences.parsing.parse_contact_file`` on the CSV bytes — decoding, delimiter
  sniffing, header detection, normalisation and validation, de-duplication, invalid-line report;
- ``bare``: ``phonenumbers.parse(raw, "IR")`` + ``format_number(E164)`` over the same raw numbers
  (already split out of the file, no validation, no de-duplication).

Also shown, not gated: the jarchi import with its plain-shape fast path switched off (every number
through ``phonenumbers.parse`` + ``number_type``). Exits 1 when jarchi takes more than 1.3 × the bare
loop. Run: ``.venv/bin/python -m bench.import_contacts``.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable

import phonenumbers

from jarchi.audiences.numbers import normaliser_for
from jarchi.audiences.parsing import parse_contact_file

ROWS = 60_000
INVALID_SHARE = 0.05
DUPLICATE_SHARE = 0.05
MAX_RATIO = 1.3
REPEATS = 3
SEED = 20260302

_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_MOBILE_PREFIXES = ("910", "911", "912", "913", "915", "919", "901", "902", "903", "905", "930", "933",
                    "935", "936", "937", "938", "939", "990", "991", "920", "921", "922")  # fmt: skip
_NAMES = ("Ali", "Sara", "Reza", "Maryam", "علی", "سارا", "رضا", "مریم", "Olena", "Иван")


def _mobile(rng: random.Random) -> str:
    nsn = rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(10**7):07d}"
    shape = rng.randrange(8)
    if shape == 0:
        return "+98" + nsn
    if shape == 1:
        return "0098" + nsn
    if shape == 2:
        return "98" + nsn
    if shape == 3:
        return f"0{nsn[:3]} {nsn[3:6]} {nsn[6:]}"
    if shape == 4:
        return f"0{nsn[:3]}-{nsn[3:6]}-{nsn[6:]}"
    if shape == 5:
        return ("0" + nsn).translate(_PERSIAN)
    if shape == 6:
        return f"+98 ({nsn[:3]}) {nsn[3:6]} {nsn[6:]}"
    return "0" + nsn


def _invalid(rng: random.Random) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        return "0912" + str(rng.randrange(1000))  # too short
    if kind == 1:
        return "0912" + f"{rng.randrange(10**9):09d}"  # too long
    if kind == 2:
        return "not a number"
    return "0" + "00" + f"{rng.randrange(10**8):08d}"  # no such range


def generate_rows(rows: int = ROWS, seed: int = SEED) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out: list[tuple[str, str]] = []
    for _ in range(rows):
        roll = rng.random()
        if roll < INVALID_SHARE:
            out.append((_invalid(rng), rng.choice(_NAMES)))
        elif roll < INVALID_SHARE + DUPLICATE_SHARE and out:
            out.append(rng.choice(out))
        else:
            out.append((_mobile(rng), rng.choice(_NAMES)))
    return out


def to_csv(rows: list[tuple[str, str]]) -> bytes:
    lines = ["phone,name"] + [f"{number},{name}" for number, name in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def bare_loop(numbers: list[str]) -> int:
    e164 = phonenumbers.PhoneNumberFormat.E164
    count = 0
    for raw in numbers:
        try:
            phonenumbers.format_number(phonenumbers.parse(raw, "IR"), e164)
            count += 1
        except phonenumbers.NumberParseException:
            pass
    return count


def best_of(repeats: int, run: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    rows = generate_rows()
    data = to_csv(rows)
    numbers = [number for number, _ in rows]
    result = parse_contact_file(data, "IR")
    jarchi = best_of(REPEATS, lambda: parse_contact_file(data, "IR"))
    bare = best_of(REPEATS, lambda: bare_loop(numbers))
    ratio = jarchi / bare
    # For information only: the same import with the plain-shape fast path switched off.
    normaliser = normaliser_for("IR")
    normaliser._fast = False
    try:
        slow = best_of(REPEATS, lambda: parse_contact_file(data, "IR"))
    finally:
        normaliser._fast = True
    print(f"rows: {len(rows)}  read {result.read}  invalid {result.invalid}  duplicate {result.duplicate}  "
          f"kept {result.kept}")  # fmt: skip
    print(f"jarchi parse_contact_file: {jarchi:.3f} s  {len(rows) / jarchi:,.0f} rows/s")
    print(f"bare parse+format loop:    {bare:.3f} s  {len(rows) / bare:,.0f} rows/s")
    print(f"ratio: {ratio:.2f} (limit {MAX_RATIO})")
    print(f"(without the fast path: {slow:.3f} s  {len(rows) / slow:,.0f} rows/s  ratio {slow / bare:.2f})")
    return 0 if ratio <= MAX_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
