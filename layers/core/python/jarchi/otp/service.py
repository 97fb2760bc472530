"""`POST /v1/otp` and `POST /v1/otp/{id}/verify` (R-CMP-7, R-TTS-1, SPEC §14).

Send: the account may use OTP (not a demo, 403 `not_allowed_for_demo`); the number is normalised with the
account's region; the code is the caller's or a new one (`jarchi.otp.codes`); at most 5 sends a number an hour
and 60 an account a minute (sliding windows, 429 `otp_rate_limited` with `retry_after_seconds`); then it goes
out as a quick send of category `otp` (so service windows apply unless the account holds the 24 h permission,
R-ACC-5, and it is billed like any one-recipient campaign): an SMS `<sender>: code <digits>`, or a voice call
that reads the digits one by one, twice. Only the code's keyed hash is stored, with its expiry (60..900 s,
default 300).

Sending is refused at once, nothing stored or charged, when the number's OTP window is closed (409
`outside_sending_window` with `next_opening`: a code that waits hours for its window is useless) or the credit
does not cover it (402). An SMS without `sender` goes out under the account's default sender (its approved sender
registered first; none: 422 `sender_required`).

Verify: the OTP must be the caller's (404 `otp_not_found` otherwise, as for any other tenant's id); already
verified: 409 `otp_already_used`; past its expiry: 410 `otp_expired`; a code whose delivery failed (the send's
result: an SMS refused or not delivered by the operator, a call nobody answered, a refusal before sending, or a
send that ended without sending) is marked undeliverable and never verifies: 409 `otp_undeliverable` with the
`reason`; 5 tries spent: 429 `otp_attempts_exceeded`; else the try is counted with one conditional write (the
code compared in constant time), so of two verifies of one code racing, exactly one succeeds: the other finds it
used (409). A wrong code is 422 `otp_invalid` with the tries left. A code still on its way may be verified (the
SMS can arrive before its delivery report).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Final

from jarchi import clock
from jarchi.accounts.models import Account, Caller
from jarchi.accounts.policy import require_not_demo
from jarchi.accounts.service import require_owned
from jarchi.attempts import MACHINE, Outcome
from jarchi.audiences.numbers import normalise_number, number_info, recipient_time_zone
from jarchi.campaigns.draft import CampaignDraft
from jarchi.campaigns.models import IN_PROGRESS, PENDING
from jarchi.campaigns.ports import CampaignPorts
from jarchi.campaigns.reading import part_states
from jarchi.campaigns.service import create_campaign
from jarchi.campaigns.statuses import CampaignStatus
from jarchi.channels import Category, Channel
from jarchi.clock import iso
from jarchi.compliance.windows import WindowPolicy
from jarchi.content.audio_service import default_language
from jarchi.content.senders_service import default_sender
from jarchi.errors import Conflict, JarchiError, TooManyRequests, Unprocessable
from jarchi.ids import new_id
from jarchi.otp import codes
from jarchi.otp.models import Otp
from jarchi.otp.ports import OtpStore
from jarchi.ports import resolve
from jarchi.settings import get_settings

DEFAULT_TTL_SECONDS: Final = 300
PER_NUMBER: Final = (5, timedelta(hours=1))  # a Verify-service norm
PER_ACCOUNT: Final = (60, timedelta(minutes=1))


class OtpExpired(JarchiError):
    status = 410


@dataclass(frozen=True)
class OtpRequest:
    number: str
    channel: Channel
    code: str | None = None
    length: int | None = None
    ttl_seconds: int = DEFAULT_TTL_SECONDS
    sender: str | None = None


def _key() -> bytes:
    settings = get_settings()
    secret = settings.otp_key or f"jarchi-otp:{settings.resource_prefix}:{settings.region}"
    return hashlib.sha256(secret.encode()).digest()


def _store(store: OtpStore | None) -> OtpStore:
    return store or resolve(OtpStore)


def _take(store: OtpStore, key: str, limit: tuple[int, timedelta], what: str) -> None:
    count, window = limit
    wait = store.take_send(key, clock.now(), limit=count, window=window)
    if wait > 0:
        retry_after = max(1, int(wait + 0.999))
        raise TooManyRequests(
            "otp_rate_limited",
            f"at most {count} codes per {what} every {int(window.total_seconds())} s; retry in {retry_after} s",
            retry_after_seconds=retry_after,
        )


def send_otp(caller: Caller, request: OtpRequest, *, store: OtpStore | None = None) -> Otp:
    account = caller.account
    require_not_demo(account, "otp")
    store = _store(store)
    number = normalise_number(request.number, account.default_region)
    code = codes.checked_code(request.code, request.length)
    sender = request.sender
    if request.channel is Channel.SMS and not sender:
        found = default_sender(account.id)
        if found is None:
            raise Unprocessable("sender_required", "an SMS code needs a sender: register one, or name it in `sender`")
        sender = found.name
    _require_open_window(account, number, request.channel)
    _take(store, f"number:{number}", PER_NUMBER, "number")
    _take(store, f"account:{account.id}", PER_ACCOUNT, "account")
    otp_id = new_id("otp")
    draft = CampaignDraft(name=f"otp {otp_id}", channel=request.channel, category=Category.OTP, recipients=[number])
    if request.channel is Channel.SMS:
        draft = replace(draft, sms_text=codes.sms_text(sender or "", code), sender=sender)
    else:
        language = default_language(account)
        draft = replace(draft, tts_text=codes.spoken_text(code, language), language=language)
    campaign = create_campaign(caller, draft, quick_send=True)
    now = clock.now()
    otp = Otp(
        id=otp_id,
        account_id=account.id,
        number=number,
        channel=request.channel,
        code_hash=codes.code_hash(_key(), otp_id, code),
        campaign_id=campaign.id,
        created_at=now,
        expires_at=now + timedelta(seconds=request.ttl_seconds),
    )
    store.put(otp)
    return otp


def _require_open_window(account: Account, number: str, channel: Channel) -> None:
    info = number_info(number)
    rule = WindowPolicy.default().rule_for(
        channel, Category.OTP, country=info.region, around_the_clock=account.allow_24h
    )
    zone = recipient_time_zone(info, account.timezone)
    now = clock.now()
    if rule.is_open(now, zone):
        return
    opening = rule.next_opening(now, zone)
    raise Conflict(
        "outside_sending_window",
        "codes to this number may not be sent now (its local time is outside the OTP window, and the account has "
        "no 24 h permission)",
        next_opening=iso(opening) if opening else None,
    )


# A send's recipient results that say the code reached the number (a machine hears a voice code too).
_REACHED: Final = frozenset({Outcome.ANSWERED.value, MACHINE, Outcome.SENT.value, Outcome.DELIVERED.value})
_ENDED: Final = frozenset({CampaignStatus.FINISHED, CampaignStatus.STOPPED, CampaignStatus.REJECTED})


def delivery_refusal(otp: Otp, *, ports: CampaignPorts | None = None) -> str | None:
    """Why the code never reached its number, as its send tells (None: it did, or it is still on its way)."""
    ports = ports or CampaignPorts.wired()
    campaign = ports.campaigns.get(otp.campaign_id)
    if campaign is None:
        return None
    states = part_states(campaign, campaign.progress.part, 0, 1, ports=ports)
    status = states[0].status if states else PENDING
    if status in _REACHED:
        return None
    if status not in (PENDING, IN_PROGRESS):
        return status
    if campaign.status in _ENDED:
        return campaign.status.value  # ended without sending it
    if campaign.status is CampaignStatus.WAITING_WINDOW:
        return "outside_sending_window"
    return None


def _undeliverable(reason: str) -> Conflict:
    return Conflict(
        "otp_undeliverable", f"this code never reached the number ({reason}); ask for a new one", reason=reason
    )


def verify_otp(caller: Caller, otp_id: str, code: str, *, store: OtpStore | None = None) -> Otp:
    store = _store(store)
    otp = require_owned(caller, store.get(otp_id), "otp", otp_id)
    if otp.verified:
        raise Conflict("otp_already_used", "this code was verified already; ask for a new one")
    if clock.now() >= otp.expires_at:
        raise OtpExpired("otp_expired", "this code has expired; ask for a new one", expired_at=iso(otp.expires_at))
    if otp.undeliverable:
        raise _undeliverable(otp.undeliverable)
    refused = delivery_refusal(otp)
    if refused is not None:
        store.mark_undeliverable(otp, refused)
        raise _undeliverable(refused)
    if otp.tries >= codes.MAX_TRIES:
        raise TooManyRequests("otp_attempts_exceeded", f"{codes.MAX_TRIES} wrong tries: ask for a new code")
    matched = codes.matches(_key(), otp.id, code, otp.code_hash)
    if not store.record_try(otp, verified=matched):
        return verify_otp(caller, otp_id, code, store=store)  # another try got there first: judge again
    if not matched:
        left = codes.MAX_TRIES - otp.tries - 1
        raise Unprocessable("otp_invalid", f"wrong code; {left} tries left", tries_left=left)
    return otp
