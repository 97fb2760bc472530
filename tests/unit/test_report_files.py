"""R-REP-3: export files: CSV injection neutralised in both formats, a BOM in front of CSV, Persian text kept."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from jarchi.reports.files import FileFormat, neutralise, write_table

HEADER = ("name", "amount")
ROWS = [
    ('=HYPERLINK("http://evil","x")', 1),
    ("+cmd|' /C calc'!A0", -5),
    ("-2+3", 0),
    ("@SUM(A1:A2)", 2),
    ("\t=1+1", 3),
    ("علی رضایی", 4),
    ("+989121234567", 5),
    ("-12", 6),
]


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+A1", "'+A1"),
        ("-A1", "'-A1"),
        ("@A1", "'@A1"),
        ("\rA", "'\rA"),
        ("+989121234567", "+989121234567"),  # a plain number stays a number
        ("-12.5", "-12.5"),
        ("a=b", "a=b"),
        (-5, -5),
        (None, None),
    ],
)
def test_r_rep_3_csv_injection_formulas_are_neutralised(cell: str | int | None, written: str | int | None) -> None:
    assert neutralise(cell) == written


def test_r_rep_3_csv_starts_with_a_bom_and_no_cell_can_run_a_formula() -> None:
    out = io.BytesIO()
    assert write_table(FileFormat.CSV, HEADER, ROWS, out, title="t") == len(ROWS)
    data = out.getvalue()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    names = [row[0] for row in rows[1:]]
    assert all(not n.startswith(("=", "+", "-", "@", "\t")) or n in ("+989121234567", "-12") for n in names)
    assert names[0] == '\'=HYPERLINK("http://evil","x")' and names[5] == "علی رضایی"


def test_r_rep_3_excel_cells_are_text_never_formulas() -> None:
    out = io.BytesIO()
    write_table(FileFormat.XLSX, HEADER, ROWS, out, title="t")
    out.seek(0)
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None
    cells = list(sheet.iter_rows(min_row=2))
    assert all(row[0].data_type == "s" for row in cells)  # 'f' would be a formula
    assert cells[0][0].value == '\'=HYPERLINK("http://evil","x")' and cells[1][1].value == -5
