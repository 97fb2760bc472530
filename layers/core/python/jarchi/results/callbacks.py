"""Callbacks (R-OUT-4) on the platform side: answering an inbound call to a caller ID (connect or refuse, decided
at once, while the line rings) and booking it once its length is known (from the connector's event path,
`connector-events`). The rules are in `jarchi.campaigns.callbacks`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from jarchi.attempts import Outcome
from jarchi.billing import credit
from jarchi.billing.ports import Ledger
from jarchi.campaigns.callbacks import CallbackOutcome, callback_outcome, callback_pulses
from jarchi.campaigns.ports import CallbackRecord, CalledNumbers, CampaignRepository
from jarchi.channels import Channel
from jarchi.ports import resolve


def reached_by_call(channel: Channel, outcome: Outcome) -> bool:
    """A call that reached the network: the subscriber may call that number back."""
    return channel is Channel.VOICE and outcome in {
        Outcome.ANSWERED,
        Outcome.NO_ANSWER,
        Outcome.BUSY,
        Outcome.UNREACHABLE,
    }


@dataclass(frozen=True, slots=True)
class CallbackAnswer:
    """What the line does: `connected` plays the campaign's message again (`audio_key` or `tts_text`), or
    bridges the caller to `bridge_to` (the campaign's callback bridge; the message is the fallback when that
    line does not answer)."""

    outcome: CallbackOutcome
    number: str
    campaign_id: str | None = None
    account_id: str | None = None
    seq: int | None = None
    audio_key: str | None = None
    tts_text: str | None = None
    language: str | None = None
    message_seconds: int = 0
    bridge_to: str | None = None


def answer_callback(
    number: str,
    at: datetime,
    dialled: str | None = None,
    *,
    called: CalledNumbers | None = None,
    campaigns: CampaignRepository | None = None,
    ledger: Ledger | None = None,
) -> CallbackAnswer:
    """Connect or refuse `number` calling `dialled` back at `at`: connected within the hour of the call a
    campaign placed to it from `dialled` (`jarchi.campaigns.callbacks.pick_last_call`), if its account can pay
    one pulse; else refused."""
    last = (called or resolve(CalledNumbers)).last_call(number, dialled)
    if callback_outcome(last, at) is CallbackOutcome.REFUSED or last is None:
        return _refused(number, last.campaign_id if last else None, last.seq if last else None)
    campaign = (campaigns or resolve(CampaignRepository)).get(last.campaign_id)
    if campaign is None:
        return _refused(number)
    if (ledger or resolve(Ledger)).balance(campaign.account_id).available < campaign.money.tariff:
        return _refused(number, campaign.id, last.seq, campaign.account_id)
    content = campaign.content
    return CallbackAnswer(
        CallbackOutcome.CONNECTED,
        number,
        campaign.id,
        campaign.account_id,
        last.seq,
        audio_key=content.audio_key,
        tts_text=content.tts_text if not content.audio_key else None,
        language=content.language,
        message_seconds=content.message_seconds,
        bridge_to=campaign.settings.callback_bridge_to,
    )


def _refused(
    number: str, campaign_id: str | None = None, seq: int | None = None, account_id: str | None = None
) -> CallbackAnswer:
    return CallbackAnswer(CallbackOutcome.REFUSED, number, campaign_id, account_id, seq)


@dataclass(frozen=True, slots=True)
class CallbackReport:
    """An inbound call's end, as the connector reports it on `connector-events`: `event_id` is the call's own
    (the same for every delivery), `seconds` how long it was connected (0 when refused)."""

    event_id: str
    number: str
    outcome: CallbackOutcome
    seconds: int = 0
    campaign_id: str | None = None
    seq: int | None = None
    bridged: bool = False  # connected to the campaign's callback bridge (charged the same way)

    def to_message(self, source: str) -> dict[str, Any]:
        return {"source": source, "callback": {**asdict(self), "outcome": self.outcome.value}}

    @classmethod
    def from_message(cls, message: Mapping[str, Any]) -> CallbackReport:
        body = message["callback"]
        return cls(
            event_id=str(body["event_id"]),
            number=str(body["number"]),
            outcome=CallbackOutcome(body["outcome"]),
            seconds=max(0, int(body.get("seconds") or 0)),
            campaign_id=body.get("campaign_id"),
            seq=body.get("seq"),
            bridged=bool(body.get("bridged")),
        )


def book_callback(report: CallbackReport, *, campaigns: CampaignRepository | None = None) -> bool:
    """Book a callback once: a connected one charged by started pulses at the campaign's tariff per pulse, to
    the campaign's account; a refused one only counted on its recipient. False: booked before, or no campaign
    called that number (nothing to book)."""
    if report.campaign_id is None or report.seq is None:
        return False
    campaigns = campaigns or resolve(CampaignRepository)
    campaign = campaigns.get(report.campaign_id)
    if campaign is None:
        return False
    connected = report.outcome is CallbackOutcome.CONNECTED
    cost = callback_pulses(report.seconds) * campaign.money.tariff if connected else 0
    posting = credit.callback_charge(campaign.account_id, campaign.id, cost, report.event_id) if cost else None
    return campaigns.record_callback(
        CallbackRecord(
            event_id=report.event_id,
            account_id=campaign.account_id,
            campaign_id=campaign.id,
            seq=report.seq,
            number=report.number,
            connected=connected,
            seconds=report.seconds if connected else 0,
            cost=cost,
            posting=posting,
        )
    )
