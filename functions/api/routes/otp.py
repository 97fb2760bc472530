"""One-time codes by SMS or voice (R-CMP-7, R-TTS-1)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from functions.api.auth import current_caller
from functions.api.schemas.otp import OtpCreate, OtpOut, OtpVerified, OtpVerify
from jarchi.otp import service

router = Router()


@router.post("/otp", status_code=201, tags=["otp"], summary="Send a one-time code by SMS or by a voice call")
def send_otp(body: OtpCreate) -> OtpOut:
    return OtpOut.of(service.send_otp(current_caller(), body.request()))


@router.post("/otp/<otp_id>/verify", tags=["otp"], summary="Check a code: 5 tries, until it expires, once")
def verify_otp(otp_id: str, body: OtpVerify) -> OtpVerified:
    service.verify_otp(current_caller(), otp_id, body.code)
    return OtpVerified(verified=True)
