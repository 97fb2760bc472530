"""Provider reports → results messages, each report applied exactly once (R-DSP-1, R-DSP-4).

Providers that answer later (End User Messaging delivery events, the Chime SIP media application's HANGUP, a
generic HTTPS provider's signed callbacks) report one attempt at a time, at any time, delivered at least
once. Everything reaches one SQS queue (`connector-events`) whose handler turns the reports into
`ProviderReport`s (an event id unique per attempt's final word, and the `AttemptResult`) and hands them here.

The results side applies a *batch id* once per campaign (its `applied` set), and that set must stay small: one
id per report would put 60,000 ids on a large campaign's item. So reports are grouped (per campaign, up to
`REPORTS_PER_MESSAGE`), and the grouping must never change once a group may have been sent, or a report could
be applied twice (in two groups) or lost (its group sent without it). Hence a claim per report, stored before
anything is sent (`ReportClaims`):

1. each fresh report is claimed for the group being formed (conditional write: only if unclaimed, or already
   claimed by this same group id, which a retried invocation with the same reports computes again);
2. the group's message is stored under its batch id, with exactly the reports it claimed; then it is sent;
3. a report redelivered after its claim: if its group's message was stored, that message is sent again (the
   results side drops it as a duplicate if it was applied; if the send had failed, this is the send); if it
   was not stored (the invocation died between 1 and 2, so nothing was sent), the report is claimed again for
   the group being formed now.

A group's batch id is a hash of its report ids, so the same reports give the same id and nothing else does.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from jarchi.attempts import AttemptResult, is_final
from jarchi.ports import MessageQueue, resolve
from jarchi.resources import RESULTS_QUEUE
from jarchi.results.due import results_message

REPORTS_PER_MESSAGE: Final = 200  # as many results as a dispatch message has attempts (≤ 100 KB)
BATCH_PREFIX: Final = "cb-"


@dataclass(frozen=True, slots=True)
class ProviderReport:
    """A provider's final word on one attempt. `event_id` is the same for every delivery of that word (and for
    a second final word on the same attempt, so that only the first one counts)."""

    event_id: str
    result: AttemptResult

    def to_message(self, source: str) -> dict[str, Any]:
        """The `connector-events` message a connector's own handler sends (the SIP media application's, the
        HTTPS callback route's); End User Messaging's events arrive as they are."""
        return {"source": source, "event_id": self.event_id, "result": self.result.to_message()}

    @classmethod
    def from_message(cls, message: Mapping[str, Any]) -> ProviderReport:
        return cls(event_id=str(message["event_id"]), result=AttemptResult.from_message(message["result"]))


class ReportClaims(Protocol):
    """Which group each provider report joined, and each group's stored message."""

    def claim(self, event_id: str, batch_id: str) -> str:
        """Claim `event_id` for `batch_id` if it is unclaimed (or already claimed by `batch_id`); answer the
        batch id that holds it now."""
        ...

    def reclaim(self, event_id: str, held_by: str, batch_id: str) -> bool:
        """Move `event_id` from `held_by` (whose message was never stored) to `batch_id`; False if someone
        else moved it first."""
        ...

    def store_message(self, batch_id: str, body: Mapping[str, Any]) -> None:
        """Keep a group's results message (idempotent: the same id always has the same body)."""
        ...

    def stored_message(self, batch_id: str) -> dict[str, Any] | None: ...


@dataclass(frozen=True, slots=True)
class Forwarded:
    sent: int  # results in groups formed and sent now
    resent: int  # results messages of earlier groups sent again
    ignored: int  # reports that are not final (ENROUTE, ringing…) or were already in a group being sent
    # The final reports read, by (connector, outcome), for the ops metrics.
    reported: Counter[tuple[str, str]] = field(default_factory=Counter)


def group_id(event_ids: Iterable[str]) -> str:
    digest = hashlib.sha256("\n".join(sorted(event_ids)).encode()).hexdigest()
    return f"{BATCH_PREFIX}{digest[:32]}"


def forward_reports(
    reports: Sequence[ProviderReport], *, claims: ReportClaims | None = None, queue: MessageQueue | None = None
) -> Forwarded:
    """Send the final reports on to the results queue, grouped per campaign, each exactly once (see above)."""
    claims = claims or resolve(ReportClaims)
    queue = queue or resolve(MessageQueue)
    unique: dict[str, ProviderReport] = {}
    for report in reports:
        if is_final(report.result.outcome):
            unique.setdefault(report.event_id, report)
    per_campaign: dict[str, list[ProviderReport]] = defaultdict(list)
    for report in sorted(unique.values(), key=lambda r: r.event_id):
        per_campaign[report.result.campaign_id].append(report)
    sent = 0
    resend: set[str] = set()
    for campaign_id, campaign_reports in per_campaign.items():
        for start in range(0, len(campaign_reports), REPORTS_PER_MESSAGE):
            chunk = campaign_reports[start : start + REPORTS_PER_MESSAGE]
            batch_id = group_id(r.event_id for r in chunk)
            mine = [r for r in chunk if _claim(claims, r.event_id, batch_id, resend)]
            if not mine:
                continue
            body = results_message(batch_id, campaign_id, [r.result for r in mine])
            claims.store_message(batch_id, body)
            queue.send(RESULTS_QUEUE, [body])
            sent += len(mine)
    stored = (claims.stored_message(batch) for batch in sorted(resend))
    bodies = [message for message in stored if message is not None]
    if bodies:
        queue.send(RESULTS_QUEUE, bodies)
    return Forwarded(sent=sent, resent=len(bodies), ignored=len(reports) - sent)


def _claim(claims: ReportClaims, event_id: str, batch_id: str, resend: set[str]) -> bool:
    """Whether the report belongs to the group `batch_id` being formed; else note the group to send again."""
    holder = claims.claim(event_id, batch_id)
    if holder == batch_id:
        return True
    if claims.stored_message(holder) is not None:
        resend.add(holder)
        return False
    return claims.reclaim(event_id, holder, batch_id)
