"""R-SMS-1 content rules of service SMS."""

from __future__ import annotations

import pytest

from jarchi.content.rules import (
    NO_LINKS,
    NO_PHONE_NUMBERS,
    NO_SOCIAL_HANDLES,
    SENDER_NAME_MISSING,
    check_service_sms,
    require_service_sms_allowed,
)
from jarchi.errors import BadRequest

SENDER = "فروشگاه آوا"


def rules(text: str, sender: str = SENDER) -> list[str]:
    return [v.rule for v in check_service_sms(text, sender)]


def excerpts(text: str, rule: str, sender: str = SENDER) -> list[str]:
    return [v.excerpt for v in check_service_sms(text, sender) if v.rule == rule]


@pytest.mark.parametrize(
    "text",
    [
        "فروشگاه آوا: سفارش شما با کد پیگیری 14020512345 ارسال شد.",
        "فروشگاه آوا: مبلغ ۲,۵۰۰,۰۰۰ ریال از حساب شما کسر شد.",
        "فروشگاه آوا: مبلغ 2500000 ریال پرداخت شد. تخفیف 50% تا تاریخ 1403-05-12",
        "فروشگاه آوا: رمز یکبار مصرف شما 482913 است.",
        "فروشگاه آوا: سال 1402 - 1403 با شما بودیم. سفر به ایتالیا مبارک!",
        "فروشگاه آوا: Hello.It was nice, e.g. 3.5 kg, Mr.Smith",
        "فروشگاه آوا: نوبت شما ساعت 10:30 روز ۱۴۰۳/۰۵/۱۲ است",
        "فروشگاه‌ آوا: کارت 6037-9918-1234-5678",  # a card number (16 digits) is not a phone
    ],
)
def test_r_sms_1_clean_service_texts_pass(text: str) -> None:
    assert check_service_sms(text, SENDER) == []


@pytest.mark.parametrize(
    ("text", "excerpt"),
    [
        ("فروشگاه آوا: https://ava.ir/offer", "https://ava.ir/offer"),
        ("فروشگاه آوا: سایت ما www.ava-shop.com را ببینید", "www.ava-shop.com"),
        ("فروشگاه آوا: example.ir/x", "example.ir/x"),
        ("فروشگاه آوا: AVA.IR", "AVA.IR"),
        ("فروشگاه آوا: bit.ly/3abc", "bit.ly/3abc"),
        ("فروشگاه آوا: ava[.]ir", "ava[.]ir"),
        ("فروشگاه آوا: ava(dot)com", "ava(dot)com"),
        ("فروشگاه آوا: سایت آوا.ایران", "آوا.ایران"),
        ("فروشگاه آوا: ایمیل info@ava.ir", "ava.ir"),
        ("фروشگاه آوا Заходите на shop.ru/sale", "shop.ru/sale"),
    ],
)
def test_r_sms_1_links_are_found(text: str, excerpt: str) -> None:
    assert excerpt in excerpts(text, NO_LINKS)


@pytest.mark.parametrize(
    ("text", "excerpt"),
    [
        ("فروشگاه آوا: تماس 09121234567", "09121234567"),
        ("فروشگاه آوا: تماس ۰۹۱۲ ۱۲۳ ۴۵۶۷", "۰۹۱۲ ۱۲۳ ۴۵۶۷"),
        ("فروشگاه آوا: تماس ٠٩١٢-١٢٣-٤٥٦٧", "٠٩١٢-١٢٣-٤٥٦٧"),
        ("فروشگاه آوا: +98 912 123 4567", "+98 912 123 4567"),
        ("فروشگاه آوا: 00989121234567", "00989121234567"),
        ("فروشگاه آوا: 989121234567", "989121234567"),
        ("فروشگاه آوا: 9121234567", "9121234567"),
        ("فروشگاه آوا: تلفن (021) 8877-6655", "(021) 8877-6655"),
        ("فروشگاه آوا: تلفن ۸۸۷۷۶۶۵۵", "۸۸۷۷۶۶۵۵"),
        ("فروشگاه آوا: تلفن 88 77 66 55", "88 77 66 55"),
        ("فروشگاه آوا: звоните +7 (495) 123-45-67", "+7 (495) 123-45-67"),
        ("فروشگاه آوا: کد 09121234567", "09121234567"),  # a mobile shape is a phone whatever precedes it
    ],
)
def test_r_sms_1_phone_numbers_are_found(text: str, excerpt: str) -> None:
    assert excerpts(text, NO_PHONE_NUMBERS) == [excerpt]


@pytest.mark.parametrize("digits", ["123456", "1234567"])
def test_r_sms_1_phone_threshold_is_seven_digits(digits: str) -> None:
    found = rules(f"فروشگاه آوا: شماره {digits}")
    assert (NO_PHONE_NUMBERS in found) is (len(digits) >= 7)


@pytest.mark.parametrize(
    ("text", "excerpt"),
    [
        ("فروشگاه آوا: ما را دنبال کنید @ava_shop", "@ava_shop"),
        ("فروشگاه آوا: t.me/avashop", "t.me/avashop"),
        ("فروشگاه آوا: instagram.com/ava", "instagram.com/ava"),
        ("فروشگاه آوا: wa.me/989121234567", "wa.me/989121234567"),
        ("فروشگاه آوا: پیج اینستاگراممون", "اینستاگرام"),
        ("فروشگاه آوا: کانال تلگرام", "تلگرام"),
        ("فروشگاه آوا: در واتساپ پیام دهید", "واتساپ"),
        ("فروشگاه آوا: کانال ایتا", "ایتا"),
        ("فروشگاه آوا: follow us on Instagram", "Instagram"),
        ("فروشگاه آوا: пишите в Телеграм", "Телеграм"),
    ],
)
def test_r_sms_1_social_handles_are_found(text: str, excerpt: str) -> None:
    assert excerpt in excerpts(text, NO_SOCIAL_HANDLES)


def test_r_sms_1_an_email_is_not_a_handle() -> None:
    assert NO_SOCIAL_HANDLES not in rules("فروشگاه آوا: info@ava.ir")


def test_r_sms_1_sender_name_must_be_present() -> None:
    assert rules("سفارش شما ارسال شد") == [SENDER_NAME_MISSING]
    # case, Arabic letter forms, ZWNJ and spacing do not matter
    assert rules("AVA SHOP: done", "Ava  Shop") == []
    assert rules("فروشگاه\u200cآوا: ارسال شد") == []
    assert rules("فروشگاه آوا: ارسال شد", "فروشگاه آوا") == []
    assert rules("فروشگاه اوا", SENDER) == [SENDER_NAME_MISSING]
    assert rules("anything", "  ") == [SENDER_NAME_MISSING]


def test_r_sms_1_arabic_letter_forms_match_persian_sender() -> None:
    assert rules("كيك فروشي: ready", "کیک فروشی") == []


def test_r_sms_1_refusal_names_the_rule() -> None:
    with pytest.raises(BadRequest) as caught:
        require_service_sms_allowed("خرید از www.ava.ir یا 09121234567", SENDER)
    error = caught.value
    assert error.code == "content_not_allowed"
    assert error.details["rule"] == NO_LINKS
    assert error.details["rules"] == [NO_LINKS, NO_PHONE_NUMBERS, SENDER_NAME_MISSING]
    assert NO_LINKS in error.message


def test_r_sms_1_allowed_text_passes_the_raising_check() -> None:
    require_service_sms_allowed("فروشگاه آوا: سفارش 1234 ارسال شد", SENDER)
