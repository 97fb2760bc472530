"""Which adapter serves each port in this deployment: the composition root. Entry points (the Lambda
handlers, the local runtime, the tests' fixtures) call `install()` once; services then `resolve` their ports.
Getters are cached and create no AWS client themselves (the adapters make theirs on first use), so importing
or installing costs nothing."""

from __future__ import annotations

from functools import cache
from typing import cast

from jarchi.accounts.ports import AccountRepository
from jarchi.audiences.ports import ContactListRepository, ListFiles
from jarchi.aws.media import S3ExportFiles, S3ListFiles, S3MediaStore
from jarchi.aws.sqs import SqsQueue
from jarchi.aws.workflows import StepFunctionsRuns
from jarchi.billing.ports import Ledger
from jarchi.campaigns.ports import (
    CalledNumbers,
    CampaignRepository,
    FollowUpClaims,
    RecipientRepository,
    WorkflowRuns,
)
from jarchi.compliance.ports import AdCap, DestinationHistory, RestrictedPeriods, SuppressionLists
from jarchi.connectors.callbacks import ReportClaims
from jarchi.connectors.registry import connector_from
from jarchi.connectors.webhook_http import HttpWebhookSender
from jarchi.content.ports import AudioRepository, MediaStore, SenderRepository
from jarchi.content.tts import SpeechEngine, local_speech_engine
from jarchi.domains.ports import DomainProvisioner, DomainRepository
from jarchi.lists.imports import BlacklistImports
from jarchi.otp.ports import OtpStore
from jarchi.ports import Connector, EventPublisher, MessageQueue, provide
from jarchi.reports.events import PublishingCampaigns, PublishingRecipients
from jarchi.reports.ports import ExportFiles, ExportRepository, WebhookRepository, WebhookSender
from jarchi.reports.webhooks import WebhookPublisher
from jarchi.settings import get_settings
from jarchi.store.accounts import DynamoAccounts
from jarchi.store.adcap import DynamoAdCap
from jarchi.store.audio import DynamoAudio
from jarchi.store.blacklist_imports import DynamoBlacklistImports
from jarchi.store.campaigns import DynamoCalledNumbers, DynamoCampaigns
from jarchi.store.contact_lists import DynamoContactLists
from jarchi.store.destinations import DynamoDestinations
from jarchi.store.domains import DynamoDomains
from jarchi.store.exports import DynamoExports
from jarchi.store.follow_up_claims import DynamoFollowUpClaims
from jarchi.store.ledger import DynamoLedger
from jarchi.store.otp import DynamoOtp
from jarchi.store.recipients import S3DynamoRecipients
from jarchi.store.report_claims import DynamoReportClaims
from jarchi.store.restricted import DynamoRestrictedPeriods
from jarchi.store.senders import DynamoSenders
from jarchi.store.suppression import DynamoSuppression
from jarchi.store.webhooks import DynamoWebhooks


@cache
def campaigns() -> CampaignRepository:
    """Status writes also publish `campaign.status` webhook events (`jarchi.reports.events`)."""
    return cast(CampaignRepository, PublishingCampaigns(DynamoCampaigns(), events()))


@cache
def recipients() -> RecipientRepository:
    """Recipient states written also publish `recipient.result` and `sms.delivery` webhook events."""
    return cast(RecipientRepository, PublishingRecipients(S3DynamoRecipients(), DynamoCampaigns(), events()))


@cache
def events() -> EventPublisher:
    return WebhookPublisher()


@cache
def webhooks() -> WebhookRepository:
    return DynamoWebhooks()


@cache
def webhook_sender() -> WebhookSender:
    return HttpWebhookSender(allow_private=get_settings().stage == "local")


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
def destinations() -> DestinationHistory:
    return DynamoDestinations()


@cache
def domains() -> DomainRepository:
    return DynamoDomains()


@cache
def domain_provisioner() -> DomainProvisioner:
    from jarchi.aws.domains import AwsDomainProvisioner

    return AwsDomainProvisioner.from_settings()


@cache
def restricted_periods() -> RestrictedPeriods:
    return DynamoRestrictedPeriods()


@cache
def otp_store() -> OtpStore:
    return DynamoOtp()


@cache
def connector() -> Connector:
    return connector_from(get_settings())


@cache
def report_claims() -> ReportClaims:
    return DynamoReportClaims()


@cache
def follow_up_claims() -> FollowUpClaims:
    return DynamoFollowUpClaims()


@cache
def called_numbers() -> CalledNumbers:
    return DynamoCalledNumbers()


@cache
def accounts() -> AccountRepository:
    return DynamoAccounts()


@cache
def ledger() -> Ledger:
    return DynamoLedger()


@cache
def audio() -> AudioRepository:
    return DynamoAudio()


@cache
def senders() -> SenderRepository:
    return DynamoSenders()


@cache
def media() -> MediaStore:
    return S3MediaStore()


@cache
def list_files() -> ListFiles:
    return S3ListFiles()


@cache
def contact_lists() -> ContactListRepository:
    return DynamoContactLists(list_files())


@cache
def blacklist_imports() -> BlacklistImports:
    return DynamoBlacklistImports()


@cache
def exports() -> ExportRepository:
    return DynamoExports()


@cache
def export_files() -> ExportFiles:
    return S3ExportFiles()


@cache
def speech() -> SpeechEngine:
    """espeak-ng (or a tone) on the local platform, Amazon Polly in the cloud (R-TTS-1)."""
    settings = get_settings()
    if settings.stage == "local":
        return local_speech_engine()
    from jarchi.connectors.polly import PollyEngine

    return PollyEngine(region=settings.region)


def install() -> None:
    """Provide every port's adapter (idempotent)."""
    provide(CampaignRepository, campaigns)
    provide(RecipientRepository, recipients)
    provide(WorkflowRuns, workflows)
    provide(MessageQueue, queue)
    provide(AdCap, ad_cap)
    provide(SuppressionLists, suppression)
    provide(RestrictedPeriods, restricted_periods)
    provide(DestinationHistory, destinations)
    provide(OtpStore, otp_store)
    provide(DomainRepository, domains)
    provide(DomainProvisioner, domain_provisioner)
    provide(Connector, connector)
    provide(ReportClaims, report_claims)
    provide(FollowUpClaims, follow_up_claims)
    provide(CalledNumbers, called_numbers)
    provide(AccountRepository, accounts)
    provide(Ledger, ledger)
    provide(AudioRepository, audio)
    provide(SenderRepository, senders)
    provide(MediaStore, media)
    provide(ListFiles, list_files)
    provide(ContactListRepository, contact_lists)
    provide(BlacklistImports, blacklist_imports)
    provide(SpeechEngine, speech)
    provide(ExportRepository, exports)
    provide(ExportFiles, export_files)
    provide(EventPublisher, events)
    provide(WebhookRepository, webhooks)
    provide(WebhookSender, webhook_sender)


def reset() -> None:
    """Forget the cached adapters (settings changed: a new emulator, another simulator configuration)."""
    getters = (
        campaigns,
        recipients,
        workflows,
        queue,
        ad_cap,
        suppression,
        restricted_periods,
        destinations,
        otp_store,
        domains,
        domain_provisioner,
        connector,
        report_claims,
        follow_up_claims,
        called_numbers,
        events,
        webhooks,
        webhook_sender,
        blacklist_imports,
    )
    content = (accounts, ledger, audio, senders, media, list_files, contact_lists, speech, exports, export_files)
    for getter in getters:
        getter.cache_clear()
    for content_getter in content:
        content_getter.cache_clear()
