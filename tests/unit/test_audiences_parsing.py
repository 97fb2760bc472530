"""R-LST-1 / R-LST-2 / R-LST-4: reading recipients' lists."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook

from jarchi.audiences.numbers import NumberType
from jarchi.audiences.parsing import (
    MAX_REPORTED_INVALID,
    ListFormat,
    check_recipient_limit,
    parse_contact_file,
    parse_inline,
)
from jarchi.errors import BadRequest, PayloadTooLarge


def mobile(i: int) -> str:
    return f"0912{i:07d}"


def e164(i: int) -> str:
    return f"+98912{i:07d}"


def csv_bytes(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\n".join(lines) + "\n").encode(encoding)


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_r_lst_2_seed_example_1000_in_956_kept() -> None:
    # GIVEN 1,000 lines of which 44 repeat earlier numbers (one of them 23 times, as in the seed)
    numbers = [mobile(i) for i in range(956)]
    repeats = [mobile(7)] * 22 + [mobile(i) for i in range(100, 122)]
    result = parse_contact_file(csv_bytes("phone", *numbers, *repeats), "IR")
    assert (result.read, result.invalid, result.duplicate, result.kept) == (1000, 0, 44, 956)
    assert result.recipients[0].number == e164(0)


def test_r_lst_2_csv_with_variables_and_invalid_lines() -> None:
    data = csv_bytes(
        "name,phone,discount",  # line 1
        "Ali,09121234567,10",
        "",  # a blank line is skipped but keeps its number
        "Sara,0912,20",  # line 4: invalid
        "Reza,+98 912 123 4567,30",  # duplicate of line 2
        "Maryam,۰۹۳۵۱۲۳۴۵۶۷,40",
        "Olena,,50",  # line 7: no number
    )
    result = parse_contact_file(data, "IR")
    assert result.format is ListFormat.TEXT
    assert result.columns == ("name", "discount")
    assert (result.read, result.invalid, result.duplicate, result.kept) == (5, 2, 1, 2)
    assert [(x.line, x.value, x.reason) for x in result.invalid_lines] == [
        (4, "0912", "invalid_for_region"),
        (7, "", "missing_number"),
    ]
    first, second = result.recipients
    assert first.number == "+989121234567" and first.type is NumberType.MOBILE
    assert result.variables(first) == {"name": "Ali", "discount": "10"}  # the first occurrence wins
    assert result.variables(second) == {"name": "Maryam", "discount": "40"}
    assert result.summary() == {
        "read": 5,
        "invalid": 2,
        "duplicate": 1,
        "kept": 2,
        "not_allowed": 0,
        "invalid_lines": [
            {"line": 4, "value": "0912", "reason": "invalid_for_region"},
            {"line": 7, "value": "", "reason": "missing_number"},
        ],
        "invalid_lines_truncated": False,
    }


@pytest.mark.parametrize(
    "header",
    ["Phone", "MOBILE", "msisdn", "tel", "Phone Number", "شماره", "شماره موبایل", "موبایل", "Телефон", "номер"],
)
def test_r_lst_1_phone_column_found_by_name(header: str) -> None:
    result = parse_contact_file(csv_bytes(f"{header};name", "09121234567;Ali"), "IR")
    assert result.kept == 1
    assert result.columns == ("name",)


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_r_lst_1_delimiter_is_sniffed(delimiter: str) -> None:
    data = csv_bytes(f"phone{delimiter}name", f"09121234567{delimiter}Ali", f"09351234567{delimiter}Sara")
    result = parse_contact_file(data, "IR")
    assert result.kept == 2
    assert result.variables(result.recipients[1]) == {"name": "Sara"}


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "cp1256"])
def test_r_lst_1_utf8_bom_utf16_and_windows_1256(encoding: str) -> None:
    name = "علي"  # Arabic yeh: Windows-1256 has no Persian yeh
    data = csv_bytes("نام,شماره", f"{name},09121234567", encoding=encoding)
    result = parse_contact_file(data, "IR")
    assert result.kept == 1
    assert result.columns == ("نام",)
    assert result.variables(result.recipients[0]) == {"نام": name}


def test_r_lst_1_plain_text_one_number_per_line() -> None:
    data = csv_bytes("09121234567", "0912 765 4321", "", "not a number", "+98 935 123 4567")
    result = parse_contact_file(data, "IR")
    assert (result.read, result.invalid, result.kept) == (4, 1, 3)
    assert result.columns == ()
    assert result.invalid_lines[0].line == 4  # no header: the first line is line 1


def test_r_lst_1_csv_without_header_names_variables_by_position() -> None:
    result = parse_contact_file(csv_bytes("Ali,09121234567,10", "Sara,09351234567,20"), "IR")
    assert result.kept == 2
    assert result.columns == ("column_1", "column_3")
    assert result.variables(result.recipients[0]) == {"column_1": "Ali", "column_3": "10"}


def test_r_lst_2_line_numbers_follow_quoted_multiline_fields() -> None:
    data = csv_bytes("phone,note", '09121234567,"two', 'lines"', "bad,x")
    result = parse_contact_file(data, "IR")
    assert result.invalid_lines[0].line == 4


def test_r_lst_1_xlsx_with_numeric_cells() -> None:
    # GIVEN Excel dropped the leading zero (int) or stored the number as a float
    data = xlsx_bytes(
        [
            ["name", "mobile"],
            ["Ali", 9121234567],
            ["Sara", 9351234567.0],
            ["Reza", "0912 765 4321"],
            ["Dup", 989121234567],
            ["Bad", 123],
        ]
    )
    result = parse_contact_file(data, "IR")
    assert result.format is ListFormat.XLSX
    assert [r.number for r in result.recipients] == ["+989121234567", "+989351234567", "+989127654321"]
    assert (result.read, result.invalid, result.duplicate) == (5, 1, 1)
    assert result.invalid_lines[0].line == 6  # the Excel row number
    assert result.variables(result.recipients[1]) == {"name": "Sara"}


def test_r_lst_1_xlsx_without_header_and_with_blank_rows() -> None:
    data = xlsx_bytes([[9121234567], [None], [9351234567]])
    result = parse_contact_file(data, "IR")
    assert result.kept == 2 and result.read == 2


def test_r_lst_1_broken_xlsx_is_unreadable() -> None:
    data = xlsx_bytes([["phone"], ["09121234567"]])
    with pytest.raises(BadRequest) as caught:
        parse_contact_file(data[: len(data) // 2], "IR")
    assert caught.value.code == "list_unreadable"


def test_r_lst_1_xlsx_with_a_corrupt_workbook_part_is_unreadable() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("xl/workbook.xml", "<not xml")
    with pytest.raises(BadRequest) as caught:
        parse_contact_file(out.getvalue(), "IR")
    assert caught.value.code == "list_unreadable"


@pytest.mark.parametrize(
    "data",
    [
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,  # legacy .xls
        b"%PDF-1.7\n\x00\x01\x02",
        b"\x89PNG\r\n\x1a\n\x00\x00",
    ],
)
def test_r_lst_1_other_binary_is_unsupported(data: bytes) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_contact_file(data, "IR")
    assert caught.value.code == "list_format_unsupported"


def test_r_lst_1_zip_that_is_not_xlsx_is_unsupported() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    with pytest.raises(BadRequest) as caught:
        parse_contact_file(out.getvalue(), "IR")
    assert caught.value.code == "list_format_unsupported"


@pytest.mark.parametrize("data", [b"", b"   \n\n", b"phone\n", b"phone,name\n\n"])
def test_r_lst_1_empty_list(data: bytes) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_contact_file(data, "IR")
    assert caught.value.code == "list_empty"


def test_r_lst_1_no_phone_column() -> None:
    with pytest.raises(BadRequest) as caught:
        parse_contact_file(csv_bytes("name,city", "Ali,Tehran"), "IR")
    assert caught.value.code == "list_no_phone_column"
    assert caught.value.details["header"] == ["name", "city"]


def test_r_lst_1_too_large_before_parsing() -> None:
    data = csv_bytes("phone", *[mobile(i) for i in range(100)])
    with pytest.raises(PayloadTooLarge) as caught:
        parse_contact_file(data, "IR", max_bytes=len(data) - 1)
    assert caught.value.code == "list_too_large"
    assert parse_contact_file(data, "IR", max_bytes=len(data)).kept == 100


def test_r_lst_4_recipient_limit_boundary_and_split_hint() -> None:
    data = csv_bytes("phone", *[mobile(i) for i in range(10)])
    assert parse_contact_file(data, "IR", recipient_limit=10).kept == 10
    with pytest.raises(BadRequest) as caught:
        parse_contact_file(data, "IR", recipient_limit=4)
    assert caught.value.code == "too_many_recipients"
    assert caught.value.details["split_into"] == 3
    assert "3 lists" in caught.value.message


def test_r_lst_4_default_limit_is_60000() -> None:
    check_recipient_limit(60_000)
    with pytest.raises(BadRequest) as caught:
        check_recipient_limit(60_001)
    assert caught.value.details["split_into"] == 2


def test_r_lst_4_duplicates_do_not_count_towards_the_limit() -> None:
    data = csv_bytes("phone", *[mobile(1)] * 5)
    assert parse_contact_file(data, "IR", recipient_limit=1).kept == 1


def test_r_lst_1_inline_numbers() -> None:
    result = parse_inline(["09121234567", "+989121234567", "bad", "۰۹۳۵۱۲۳۴۵۶۷", ""], "IR")
    assert result.format is ListFormat.INLINE
    assert (result.read, result.invalid, result.duplicate, result.kept) == (5, 2, 1, 2)
    assert [(x.line, x.reason) for x in result.invalid_lines] == [(3, "not_a_number"), (5, "missing_number")]
    with pytest.raises(BadRequest) as caught:
        parse_inline([], "IR")
    assert caught.value.code == "list_empty"


def test_r_lst_2_invalid_lines_are_capped_but_all_counted() -> None:
    data = csv_bytes("phone", *["bad"] * (MAX_REPORTED_INVALID + 5), mobile(1))
    result = parse_contact_file(data, "IR")
    assert result.invalid == MAX_REPORTED_INVALID + 5
    assert len(result.invalid_lines) == MAX_REPORTED_INVALID
    assert result.summary()["invalid_lines_truncated"] is True
