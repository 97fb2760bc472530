"""Which adapter serves each port in this deployment: the composition root. Entry points (the Lambda
handlers, the local runtime, the tests' fixtures) call `install()` once; services then `resolve` their ports.
Getters are cached and create no AWS client themselves (the adapters make theirs on first use), so importing
or installing costs nothing."""

from __future__ import annotations

from functools import cache

from jarchi.aws.sqs import SqsQueue
from jarchi.aws.workflows import StepFunctionsRuns
from jarchi.campaigns.ports import CampaignRepository, RecipientRepository, WorkflowRuns
from jarchi.compliance.ports import AdCap, SuppressionLists
from jarchi.connectors.callbacks import ReportClaims
from jarchi.connectors.registry import connector_from
from jarchi.ports import Connector, MessageQueue, provide
from jarchi.settings import get_settings
from jarchi.store.adcap import DynamoAdCap
from jarchi.store.campaigns import DynamoCampaigns
from jarchi.store.recipients import S3DynamoRecipients
from jarchi.store.report_claims import DynamoReportClaims
from jarchi.store.suppression import DynamoSuppression


@cache
def campaigns() -> CampaignRepository:
    return DynamoCampaigns()


@cache
def recipients() -> RecipientRepository:
    return S3DynamoRecipients()


@cache
def workflows() -> WorkflowRuns:
    return StepFunctionsRuns()


@cache
def queue() -> MessageQueue:
    return SqsQueue()


@cache
def ad_cap() -> AdCap:
    return DynamoAdCap()


@cache
def suppression() -> SuppressionLists:
    return DynamoSuppression()


@cache
def connector() -> Connector:
    return connector_from(get_settings())


@cache
def report_claims() -> ReportClaims:
    return DynamoReportClaims()


def install() -> None:
    """Provide every port's adapter (idempotent)."""
    provide(CampaignRepository, campaigns)
    provide(RecipientRepository, recipients)
    provide(WorkflowRuns, workflows)
    provide(MessageQueue, queue)
    provide(AdCap, ad_cap)
    provide(SuppressionLists, suppression)
    provide(Connector, connector)
    provide(ReportClaims, report_claims)


def reset() -> None:
    """Forget the cached adapters (settings changed: a new emulator, another simulator configuration)."""
    for getter in (campaigns, recipients, workflows, queue, ad_cap, suppression, connector, report_claims):
        getter.cache_clear()
