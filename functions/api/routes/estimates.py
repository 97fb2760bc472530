"""Cost estimates: a campaign body checked and priced, nothing reserved (R-BIL-2, R-SMS-4)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from functions.api.auth import current_caller
from functions.api.schemas.campaigns import CampaignBody, EstimateOut
from jarchi.campaigns.draft import prepare_campaign

router = Router()


@router.post("/estimates", tags=["campaigns"], summary="Price a campaign without reserving credit")
def estimate(body: CampaignBody) -> EstimateOut:
    return EstimateOut.of(prepare_campaign(current_caller().account, body.to_draft()))
