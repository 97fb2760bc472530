"""R-SMS-4 personalisation."""

from __future__ import annotations

import pytest

from jarchi.content.personalisation import (
    compile_text,
    fill,
    placeholders,
    segments_per_recipient,
    validate_placeholders,
)
from jarchi.errors import Unprocessable


def test_r_sms_4_placeholders_in_order_without_repeats() -> None:
    text = "Hello #abonent_name#, your discount is #discount#%. Bye #abonent_name#! #نام#"
    assert placeholders(text) == ("abonent_name", "discount", "نام")


def test_r_sms_4_text_without_placeholders() -> None:
    assert placeholders("Just # a hash and ## nothing") == ()
    assert not compile_text("plain", []).is_personalised


def test_r_sms_4_seed_example_fills_per_recipient() -> None:
    compiled = compile_text("Dear #abonent_name#, see you at #time#", ["phone_note", "Abonent Name", "TIME"])
    assert compiled.fill(["x", "Olena", "10:00"]) == "Dear Olena, see you at 10:00"
    assert compiled.fill(["x", "Ivan"]) == "Dear Ivan, see you at "  # a missing cell is empty


def test_r_sms_4_persian_column_names() -> None:
    assert fill("#نام# عزیز، سفارش شما آماده است", {"نام": "مریم"}) == "مریم عزیز، سفارش شما آماده است"


def test_r_sms_4_unknown_placeholder_is_refused_at_create_time() -> None:
    with pytest.raises(Unprocessable) as caught:
        validate_placeholders("Hi #name#, code #code#", ["name"])
    assert caught.value.code == "unknown_placeholder"
    assert caught.value.details["placeholder"] == "code"
    assert "#code#" in caught.value.message


def test_r_sms_4_inline_recipients_have_no_columns() -> None:
    with pytest.raises(Unprocessable):
        validate_placeholders("Hi #name#", [])


def test_r_sms_4_segments_are_computed_after_filling() -> None:
    text = "Hi #name#, " + "x" * 140  # 145 + the name
    rows = [["Al"], ["A" * 20], ["Мария"]]
    # 147 septets → 1 part; 165 → 2 parts; a Cyrillic name makes it UCS-2: 150 units → 3 parts
    assert list(segments_per_recipient(text, ["name"], rows)) == [1, 2, 3]


def test_r_sms_4_unpersonalised_text_has_the_same_segments_for_everyone() -> None:
    assert list(segments_per_recipient("a" * 161, [], [[], [], []])) == [2, 2, 2]
