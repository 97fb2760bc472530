"""Follow-up SMS after a call (R-OUT-3), as pure rules: when a rule fires, what it may cost at most, and how
a follow-up's attempt and stored state are named.

A rule says `on`: a vote digit (`vote`, with the `digits` that fire it), `answered` or `not_answered`, and the
SMS to send (`sms_text` from an approved `sender`). The SMS travels as an SMS attempt of the same campaign
(dispatch queue, connector, results queue), priced at the account's SMS tariff per segment.

Decisions where the spec is silent:

- `answered` is a person answering: an answering machine is not (the connector flags it); `not_answered` is
  `no_answer`, `busy` and `unreachable` (the subscriber was not reached; a `failed` call may be a dead number,
  and an SMS to it is wasted money). A vote rule fires on the report's vote code (R-OUT-2), so `"1"` matches a
  caller who pressed 1.
- At most once per rule per recipient (number) per campaign, whatever retry part called them or how often
  a result is redelivered: a claim keyed by campaign, number and rule is taken before the SMS is sent. A
  recipient not answered in part 0 who answers in part 1 gets both the `not_answered` and the `answered` SMS.
- The estimate reserves each recipient's worst case: the larger of the `answered` side (every `answered`
  and `vote` rule) and the `not_answered` side (every `not_answered` rule), in segments, at the SMS tariff.
- Texts are not personalised (the results side does not read the audience), so placeholders are refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from jarchi.attempts import AttemptResult, Outcome

MAX_RULES: Final = 5
KEY_STRIDE: Final = 8  # stored keys per recipient beside it: the rules' follow-ups, then its callbacks
FOLLOW_UP_MARK: Final = "f"  # a follow-up's attempt id ends `.f<rule>`


class FollowUpOn(StrEnum):
    VOTE = "vote"
    ANSWERED = "answered"
    NOT_ANSWERED = "not_answered"


NOT_ANSWERED_OUTCOMES: Final = frozenset({Outcome.NO_ANSWER, Outcome.BUSY, Outcome.UNREACHABLE})


@dataclass(frozen=True, slots=True)
class FollowUpRule:
    on: FollowUpOn
    sms_text: str
    sender: str
    digits: tuple[str, ...] = ()
    units: int = 1  # the text's segments

    def fires(self, result: AttemptResult) -> bool:
        person = result.outcome is Outcome.ANSWERED and not result.answering_machine
        if self.on is FollowUpOn.ANSWERED:
            return person
        if self.on is FollowUpOn.NOT_ANSWERED:
            return result.outcome in NOT_ANSWERED_OUTCOMES
        return person and str(result.vote) in self.digits

    def as_dict(self) -> dict[str, Any]:
        return {
            "on": self.on.value,
            "digits": list(self.digits),
            "sms_text": self.sms_text,
            "sender": self.sender,
            "units": self.units,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> FollowUpRule:
        return cls(
            on=FollowUpOn(raw["on"]),
            sms_text=str(raw["sms_text"]),
            sender=str(raw["sender"]),
            digits=tuple(str(d) for d in raw.get("digits") or ()),
            units=int(raw.get("units") or 1),
        )


def fired(rules: Sequence[FollowUpRule], result: AttemptResult) -> list[int]:
    """The indexes of the rules a call's result fires."""
    return [index for index, rule in enumerate(rules) if rule.fires(result)]


def max_units_per_recipient(rules: Sequence[FollowUpRule]) -> int:
    """The most SMS segments one recipient's follow-ups can cost (see the module docstring)."""
    answered = sum(r.units for r in rules if r.on is not FollowUpOn.NOT_ANSWERED)
    not_answered = sum(r.units for r in rules if r.on is FollowUpOn.NOT_ANSWERED)
    return max(answered, not_answered)


def follow_up_attempt_id(call_attempt_id: str, rule: int) -> str:
    """`<campaign>.<seq>.f<rule>`: the call's campaign and recipient seq, so the same call gives the same id."""
    campaign, seq, _attempt = call_attempt_id.rsplit(".", 2)
    return f"{campaign}.{seq}.{FOLLOW_UP_MARK}{rule}"


def follow_up_of(attempt_id: str) -> tuple[int, int] | None:
    """(recipient seq, rule) of a follow-up attempt id; None for a call's or an SMS campaign's own attempt."""
    _campaign, seq, last = attempt_id.rsplit(".", 2)
    if not last.startswith(FOLLOW_UP_MARK):
        return None
    return int(seq), int(last[len(FOLLOW_UP_MARK) :])


def follow_up_seq(seq: int, rule: int) -> int:
    """Where a recipient's follow-up state is kept beside the recipient items: negative sort keys, which no
    audience uses (seqs start at 0), `KEY_STRIDE` apart per recipient."""
    return -(seq * KEY_STRIDE + rule + 1)


def recipient_of_follow_up_seq(stored_seq: int) -> tuple[int, int]:
    """(recipient seq, rule) of a follow-up's stored sort key."""
    position = -stored_seq - 1
    return position // KEY_STRIDE, position % KEY_STRIDE
