"""One-time codes by SMS or voice (R-CMP-7, R-TTS-1)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from functions.api.auth import current_caller
from functions.api.schemas.otp import OtpCreate, OtpOut, OtpVerified, OtpVerify
from jarchi.otp import service

router = Router()


@router.post(
    "/otp",
    status_code=201,
    tags=["otp"],
    summary="Send a one-time code by SMS or by a voice call",
    description="An SMS without `sender` uses the account's first approved sender. 409 `outside_sending_window` "
    "(with `next_opening`); 402 `insufficient_credit`; 429 `otp_rate_limited`; 403 `not_allowed_for_demo`; 422 "
    "`sender_required`, `sender_not_registered`.",
)
def send_otp(body: OtpCreate) -> OtpOut:
    return OtpOut.of(service.send_otp(current_caller(), body.request()))


@router.post(
    "/otp/<otp_id>/verify",
    tags=["otp"],
    summary="Check a code: 5 tries, until it expires, once",
    description="422 `otp_invalid` (`tries_left`); 410 `otp_expired`; 429 `otp_attempts_exceeded`; 409 "
    "`otp_already_used`, `otp_undeliverable` (`reason`: the send's result, e.g. `undelivered`, `no_answer`).",
)
def verify_otp(otp_id: str, body: OtpVerify) -> OtpVerified:
    service.verify_otp(current_caller(), otp_id, body.code)
    return OtpVerified(verified=True)
