"""Which recipients a new part sends to (R-CMP-4/5): reset, retry-failed, resume-unfinished and the smart retry
parts. Pure.

- `reset`: everyone of the first send's audience again;
- `retry_failed`: the current part's recipients whose result is `no_answer`, `busy`, `unreachable`, `failed`
  (voice) or `undelivered`, `expired` (SMS) — a recipient's last result, since each part holds only those it
  sends to again;
- `resume_unfinished`: the current part's recipients admission never reached (ahead of the pointer);
- a smart retry part (`retry.on`): the current part's recipients whose result is one of `on`, by stats key
  (`no_answer` also takes unreachable numbers, `failed` undelivered and expired SMS, `machine` answering
  machines).

A new part's entries are numbered from `part × PART_STRIDE` in the order they had, so attempt ids, batch ids and
recipient items are the part's own (`jarchi.campaigns.models.PART_STRIDE`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Final

from jarchi.attempts import MACHINE, RETRYABLE_OUTCOMES, Outcome
from jarchi.campaigns.models import PART_STRIDE, AudienceEntry, PartKind, RecipientState
from jarchi.campaigns.statuses import CampaignAction

RETRY_FAILED_STATUSES: Final = frozenset({o.value for o in RETRYABLE_OUTCOMES} | {Outcome.UNDELIVERED.value, "expired"})
PART_KINDS: Final = {
    CampaignAction.RESET: PartKind.RESET,
    CampaignAction.RETRY_FAILED: PartKind.RETRY_FAILED,
    CampaignAction.RESUME_UNFINISHED: PartKind.RESUME_UNFINISHED,
}


def retried(entries: Sequence[AudienceEntry], states: Mapping[int, RecipientState]) -> list[AudienceEntry]:
    """The entries whose stored result calls for another attempt."""
    return [e for e in entries if (s := states.get(e.seq)) is not None and s.status in RETRY_FAILED_STATUSES]


_STATUSES_ON: Final[dict[str, frozenset[str]]] = {
    "no_answer": frozenset({Outcome.NO_ANSWER.value, Outcome.UNREACHABLE.value}),
    "busy": frozenset({Outcome.BUSY.value}),
    "failed": frozenset({Outcome.FAILED.value, Outcome.UNDELIVERED.value, Outcome.EXPIRED.value}),
    MACHINE: frozenset({MACHINE}),
}


def statuses_due_again(on: Iterable[str]) -> frozenset[str]:
    """The recipient statuses a smart part with `retry.on` = `on` calls again."""
    return frozenset().union(*(_STATUSES_ON[name] for name in on))


def due_again(
    entries: Sequence[AudienceEntry], states: Mapping[int, RecipientState], on: Iterable[str]
) -> list[AudienceEntry]:
    """The entries whose result in this part calls for a smart retry part."""
    statuses = statuses_due_again(on)
    return [e for e in entries if (s := states.get(e.seq)) is not None and s.status in statuses]


def unfinished(entries: Sequence[AudienceEntry], next_seq: int, seq_base: int) -> list[AudienceEntry]:
    """The entries ahead of the admission pointer (never attempted)."""
    return [e for e in entries if e.seq - seq_base >= next_seq]


def renumbered(entries: Sequence[AudienceEntry], part: int) -> list[AudienceEntry]:
    """The entries as the audience of `part`: numbered from its base, in order."""
    return [replace(entry, seq=part * PART_STRIDE + i) for i, entry in enumerate(entries)]
