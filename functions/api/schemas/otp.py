from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from functions.api.schemas.common import Request, Shape, Timestamp
from jarchi.channels import Channel
from jarchi.otp import codes
from jarchi.otp.models import Otp
from jarchi.otp.service import DEFAULT_TTL_SECONDS, OtpRequest

Digits = Annotated[str, Field(min_length=1, max_length=codes.MAX_LENGTH)]


class OtpCreate(Request):
    number: Annotated[str, Field(min_length=3, max_length=32)]
    channel: Literal["sms", "voice"]
    code: Digits | None = None
    length: Annotated[int, Field(ge=codes.MIN_LENGTH, le=codes.MAX_LENGTH)] | None = None
    ttl_seconds: Annotated[int, Field(ge=60, le=900)] = DEFAULT_TTL_SECONDS
    sender: Annotated[str, Field(min_length=1, max_length=32)] | None = None

    def request(self) -> OtpRequest:
        return OtpRequest(
            number=self.number,
            channel=Channel(self.channel),
            code=self.code,
            length=self.length,
            ttl_seconds=self.ttl_seconds,
            sender=self.sender,
        )


class OtpOut(Shape):
    id: str
    number: str
    channel: Channel
    expires_at: Timestamp
    campaign_id: str

    @classmethod
    def of(cls, otp: Otp) -> OtpOut:
        return cls(
            id=otp.id, number=otp.number, channel=otp.channel, expires_at=otp.expires_at, campaign_id=otp.campaign_id
        )


class OtpVerify(Request):
    code: Digits


class OtpVerified(Shape):
    verified: bool
