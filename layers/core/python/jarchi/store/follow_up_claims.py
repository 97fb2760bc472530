"""Follow-up SMS claims (`jarchi.campaigns.ports.FollowUpClaims`, R-OUT-3) on the `idempotency` table, beside the
provider-report claims (ids `follow_up#<campaign>#<number>#<rule>`, which Powertools never writes). They expire
after `RETENTION`, far beyond any campaign's retry parts."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from pynamodb.exceptions import PutError

from jarchi import clock
from jarchi.store.report_claims import ClaimItem

RETENTION: Final = timedelta(days=90)


class DynamoFollowUpClaims:
    """One conditional put per follow-up SMS."""

    def claim(self, campaign_id: str, number: str, rule: int, attempt_id: str) -> bool:
        expiration = int((clock.now() + RETENTION).timestamp())
        item = ClaimItem(f"follow_up#{campaign_id}#{number}#{rule}", expiration=expiration, batch=attempt_id)
        try:
            item.save(condition=ClaimItem.id.does_not_exist() | (ClaimItem.batch == attempt_id))
        except PutError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            return False
        return True
