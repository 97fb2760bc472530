"""Content rules for informational (``service``) SMS (R-SMS-1).

Operators deliver service SMS even to numbers that opted out of ads, so they forbid anything that
turns one into an ad: links, phone numbers, social-media addresses, and anonymous senders.

Detectors, each tuned to Persian, Russian and English text:

``no_links``
    ``http(s)://…``, ``www.…``, and bare domains ``label.tld[/path]`` where the TLD is a common
    generic or country code TLD or ``.ایران`` (so ``e.g.`` or ``3.5`` never match); ``example[.]ir`` and
    ``example(dot)ir`` count too. An e-mail address is a link to its domain.
``no_phone_numbers``
    Digits are read in any script (``۰-۹``, ``٠-٩``), joined across spaces, hyphens, dashes and
    parentheses (not commas, dots or slashes: those write amounts and dates). A run of 7–15 digits is a
    phone number when it looks like one (``+``/``00`` international prefix, a trunk ``0`` with 10–11
    digits, an Iranian mobile ``9xxxxxxxxx``/``98 9xxxxxxxxx``); any other 7–15 digit run is one too,
    unless it is written as a date, follows a currency sign or code word ("کد", "پیگیری", "code",
    "order", "счет"…), or is followed by a currency or unit ("ریال", "تومان", "rial", "%", "руб"…).
    Shorter runs (prices, OTP codes, years) are never flagged.
``no_social_handles``
    ``@handle`` (not part of an e-mail), links to social networks (``t.me/…``, ``instagram.com/…``,
    ``wa.me/…``) and the names of social networks and messengers in Latin, Persian or Cyrillic script
    (``instagram``, ``اینستاگرام``, ``تلگرام``, ``واتساپ``, ``ایتا``, ``روبیکا``, ``телеграм``…).
``sender_name_missing``
    The account's registered sender name must appear in the text (case, Arabic/Persian letter forms,
    zero-width non-joiners and spacing ignored).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jarchi.errors import BadRequest

NO_LINKS = "no_links"
NO_PHONE_NUMBERS = "no_phone_numbers"
NO_SOCIAL_HANDLES = "no_social_handles"
SENDER_NAME_MISSING = "sender_name_missing"

RULE_MESSAGES = {
    NO_LINKS: "service SMS must not contain links",
    NO_PHONE_NUMBERS: "service SMS must not contain phone numbers",
    NO_SOCIAL_HANDLES: "service SMS must not contain social-media handles or addresses",
    SENDER_NAME_MISSING: "service SMS must carry the account's registered sender name",
}


@dataclass(frozen=True, slots=True)
class Violation:
    rule: str
    excerpt: str

    @property
    def message(self) -> str:
        return f"{RULE_MESSAGES[self.rule]}: {self.excerpt!r}" if self.excerpt else RULE_MESSAGES[self.rule]


# Persian (U+06F0..) and Arabic-Indic (U+0660..) digits to ASCII; Arabic letter forms to Persian;
# zero-width characters and NBSP to a space. Every mapping is one character to one, so that spans found
# in the normalised text cut the excerpts from the original.
_NORMALISE = str.maketrans(
    {
        **{chr(0x06F0 + d): str(d) for d in range(10)},
        **{chr(0x0660 + d): str(d) for d in range(10)},
        "\u064a": "\u06cc",  # Arabic yeh → Persian yeh
        "\u0643": "\u06a9",  # Arabic kaf → Persian keheh
        "\u200c": " ",  # zero-width non-joiner
        "\u200d": " ",
        "\u00a0": " ",
        "\u202f": " ",
        "\uff0e": ".",
        "\u3002": ".",
    }
)


def _normalise(text: str) -> str:
    return text.translate(_NORMALISE)


# --- links -----------------------------------------------------------------------------------------

_TLDS = (
    "com|net|org|info|biz|io|co|me|app|dev|link|ly|gl|gd|to|xyz|site|online|shop|store|club|top|"
    "tech|live|pro|news|blog|page|art|fun|space|website|click|tv|cc|ws|us|uk|de|fr|eu|ru|su|ua|by|kz|"
    "ir|tr|ae|af|tj|az|am|ge|in|pk|cn|jp|kr|ca|au|nl|it|es|ch|se|no|pl|cz|at|be"
)
_DOT = r"(?:\.|\[\.\]|\(\.\)|\((?i:dot)\)|\[(?i:dot)\])"
# A bare domain's TLD must be all lower or all upper case, so that "Hello.It is" (a missing space) is
# not a link while "shop.ir" and "SHOP.IR" are.
_LINK = re.compile(
    r"(?i:https?://|ftp://|www\.)\S+"
    rf"|(?<![\w.\-])(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{{0,61}}[A-Za-z0-9])?{_DOT})+"
    rf"(?:{_TLDS}|{_TLDS.upper()}|ایران)(?![\w\-])(?:/\S*)?"
    r"|(?<![\w.\-])[\w\-]+\.ایران(?!\w)(?:/\S*)?"
)


Span = tuple[int, int]


def _links(text: str) -> list[Span]:
    return [m.span() for m in _LINK.finditer(text)]


# --- phone numbers ---------------------------------------------------------------------------------

_DIGIT_RUN = re.compile(r"\+?\(?\d(?:[ \-\u2010-\u2015()]{0,3}\d)*")
_SEPARATORS = re.compile(r"[^\d]")
_DATE_OR_YEARS = re.compile(
    r"^\d{4}[ \-]\d{1,2}[ \-]\d{1,2}$|^\d{1,2}[ \-]\d{1,2}[ \-]\d{4}$"
    r"|^(?:1[34]|19|20)\d\d[ \-\u2010-\u2015]+(?:1[34]|19|20)\d\d$"
)
_AMOUNT_AFTER = re.compile(
    r"^\s*(?:ریال|تومان|تومن|درصد|هزار|میلیون|میلیارد|rial|irr|irt|toman|usd|eur|dollar|euro|"
    r"руб|грн|тенге|%|٪|\$|€|£)",
    re.IGNORECASE,
)
_AMOUNT_OR_CODE_BEFORE = re.compile(
    r"(?:\$|€|£|﷼|مبلغ|کد|رهگیری|پیگیری|سفارش|فاکتور|قبض|شناسه|حساب|کارت|شبا|مرسوله|"
    r"code|ref|order|invoice|tracking|account|id|no\.|№|код|заказ|счет|счёт|рахунок|замовлення)"
    r"[\s:#.\-]*$",
    re.IGNORECASE,
)
_PHONE_DIGITS_MIN = 7
_PHONE_DIGITS_MAX = 15


def _looks_like_phone(raw: str, digits: str) -> bool:
    """Shapes that are phone numbers whatever surrounds them."""
    if raw.startswith("+") or digits.startswith("00"):
        return len(digits) >= 8
    if digits.startswith("0"):
        return len(digits) in (10, 11)
    if digits.startswith("989") and len(digits) == 12:
        return True
    return digits.startswith("9") and len(digits) == 10


def _phone_numbers(text: str) -> list[Span]:
    found: list[Span] = []
    for match in _DIGIT_RUN.finditer(text):
        raw = match.group(0).lstrip(" -)").rstrip(" -(")
        start = match.start() + match.group(0).index(raw)
        span = (start, start + len(raw))
        digits = _SEPARATORS.sub("", raw)
        if not _PHONE_DIGITS_MIN <= len(digits) <= _PHONE_DIGITS_MAX:
            continue
        if _looks_like_phone(raw, digits):
            found.append(span)
            continue
        before = text[max(0, match.start() - 30) : match.start()]
        after = text[match.end() : match.end() + 12]
        if _DATE_OR_YEARS.match(raw) or _AMOUNT_AFTER.match(after) or _AMOUNT_OR_CODE_BEFORE.search(before):
            continue
        found.append(span)
    return found


# --- social handles --------------------------------------------------------------------------------

_HANDLE = re.compile(r"(?<![\w.@])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{1,30}[A-Za-z0-9_])?(?![\w@])")
_SOCIAL_LINK = re.compile(
    r"(?<![\w.])(?:t\.me|telegram\.me|telegram\.dog|wa\.me|instagram\.com|instagr\.am|"
    r"facebook\.com|fb\.com|twitter\.com|x\.com|youtube\.com|youtu\.be|tiktok\.com|linkedin\.com|"
    r"eitaa\.com|rubika\.ir|ble\.ir|splus\.ir|vk\.com|ok\.ru)/\S*",
    re.IGNORECASE,
)
_SOCIAL_NAME = re.compile(
    # distinctive names match as a word start (Persian suffixes follow without a space: اینستاگراممون)
    r"\b(?:instagram|telegram|whatsapp|facebook|youtube|tiktok|linkedin|twitter|eitaa|rubika|"
    r"viber|snapchat|"
    r"اینستاگرام|اینستا|تلگرام|واتساپ|واتس اپ|واتس آپ|فیسبوک|یوتیوب|تیک تاک|توییتر|لینکدین|روبیکا|"
    r"вайбер|телеграм|инстаграм|інстаграм|ватсап|вотсап|фейсбук|ютуб)"
    # short or ambiguous ones only as whole words (ایتا is not ایتالیا)
    r"|\b(?:insta|ایتا|tg|vk|вк)\b",
    re.IGNORECASE,
)


def _social_handles(text: str) -> list[Span]:
    found = [m.span() for m in _SOCIAL_LINK.finditer(text)]
    found += [m.span() for m in _HANDLE.finditer(text)]
    found += [m.span() for m in _SOCIAL_NAME.finditer(text)]
    return sorted(found)


# --- sender name -----------------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")


def _comparable(text: str) -> str:
    return _SPACES.sub(" ", _normalise(text)).strip().casefold()


def sender_name_present(text: str, sender_name: str) -> bool:
    name = _comparable(sender_name)
    return bool(name) and name in _comparable(text)


# --- the checks ------------------------------------------------------------------------------------


def check_service_sms(text: str, sender_name: str) -> list[Violation]:
    """Every rule the text breaks, in rule order, each with the offending excerpt."""
    normalised = _normalise(text)  # same length as text: spans point into both
    violations = [Violation(NO_LINKS, text[a:b]) for a, b in _links(normalised)]
    violations += [Violation(NO_PHONE_NUMBERS, text[a:b]) for a, b in _phone_numbers(normalised)]
    violations += [Violation(NO_SOCIAL_HANDLES, text[a:b]) for a, b in _social_handles(normalised)]
    if not sender_name_present(text, sender_name):
        violations.append(Violation(SENDER_NAME_MISSING, ""))
    return violations


def require_service_sms_allowed(text: str, sender_name: str) -> None:
    """Raise ``content_not_allowed`` naming the first rule broken (all of them in ``rules``)."""
    violations = check_service_sms(text, sender_name)
    if not violations:
        return
    first = violations[0]
    raise BadRequest(
        "content_not_allowed",
        f"{first.rule}: {first.message}",
        rule=first.rule,
        rules=list(dict.fromkeys(v.rule for v in violations)),
        excerpts=[v.excerpt for v in violations if v.excerpt],
    )
