"""Which adapter serves each port in this deployment: the composition root. Entry points (the Lambda
handlers, the local runtime, the tests' fixtures) call `install()` once; services then `resolve` their ports.
Getters are cached and create no AWS client themselves (the adapters make theirs on first use), so importing
or installing costs nothing.

Each getter imports its adapter itself: a function's cold start loads only the adapters (their pynamodb
models, boto3 services, parsers) of the ports it resolves, not all of them (issue 10, cold start)."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable
from functools import cache, wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast

from jarchi.ports import provide
from jarchi.settings import get_settings

if TYPE_CHECKING:  # the ports are named, not imported: a function imports the domain modules it uses, no more
    from collections.abc import Sequence

    from jarchi.accounts.ports import AccountRepository
    from jarchi.audiences.ports import ContactListRepository, ListFiles
    from jarchi.billing.ports import Ledger
    from jarchi.campaigns.ports import (
        CalledNumbers,
        CallerIdRepository,
        CampaignRepository,
        FollowUpClaims,
        RecipientRepository,
        RouteCapacity,
        WorkflowRuns,
    )
    from jarchi.compliance.ports import AdCap, DestinationHistory, RestrictedPeriods, SuppressionLists
    from jarchi.connectors.callbacks import ReportClaims
    from jarchi.content.ports import AudioRepository, MediaStore, SenderRepository
    from jarchi.content.tts import SpeechEngine
    from jarchi.domains.ports import DomainProvisioner, DomainRepository
    from jarchi.lists.imports import BlacklistImports
    from jarchi.otp.ports import OtpStore
    from jarchi.ports import Connector, EventPublisher, MessageQueue, OncePerBatch, PlatformEvent, RecordingStore
    from jarchi.reports.ports import ExportFiles, ExportRepository, WebhookRepository, WebhookSender


class _EventsWhenPublished:
    """The `EventPublisher` the repositories publish to, made at their first event: wiring a repository for a
    read does not import the webhooks (issue 10, cold start)."""

    def publish(self, published: Sequence[PlatformEvent]) -> None:
        events().publish(published)

    def listens(self, account_id: str) -> bool:
        return events().listens(account_id)


@cache
def campaigns() -> CampaignRepository:
    """Status writes also publish `campaign.status` webhook events (`jarchi.reports.events`)."""
    from jarchi.reports.events import PublishingCampaigns
    from jarchi.store.campaigns import DynamoCampaigns

    return cast("CampaignRepository", PublishingCampaigns(DynamoCampaigns(), _EventsWhenPublished()))


@cache
def recipients() -> RecipientRepository:
    """Recipient states written also publish `recipient.result` and `sms.delivery` webhook events."""
    from jarchi.reports.events import PublishingRecipients
    from jarchi.store.campaigns import DynamoCampaigns
    from jarchi.store.recipients import S3DynamoRecipients

    publishing = PublishingRecipients(S3DynamoRecipients(), DynamoCampaigns(), _EventsWhenPublished())
    return cast("RecipientRepository", publishing)


@cache
def once_per_batch() -> OncePerBatch:
    from jarchi.store.idempotency import PowertoolsOncePerBatch
    from jarchi.store.tables import IDEMPOTENCY

    return PowertoolsOncePerBatch(get_settings().table_name(IDEMPOTENCY.logical))


@cache
def events() -> EventPublisher:
    from jarchi.reports.webhooks import WebhookPublisher

    return WebhookPublisher()


@cache
def webhooks() -> WebhookRepository:
    from jarchi.store.webhooks import DynamoWebhooks

    return DynamoWebhooks()


@cache
def webhook_sender() -> WebhookSender:
    from jarchi.connectors.webhook_http import HttpWebhookSender

    return HttpWebhookSender(allow_private=get_settings().stage == "local")


@cache
def workflows() -> WorkflowRuns:
    from jarchi.aws.workflows import StepFunctionsRuns

    return StepFunctionsRuns()


@cache
def queue() -> MessageQueue:
    from jarchi.aws.sqs import SqsQueue

    return SqsQueue()


@cache
def ad_cap() -> AdCap:
    from jarchi.store.adcap import DynamoAdCap

    return DynamoAdCap()


@cache
def suppression() -> SuppressionLists:
    from jarchi.store.suppression import DynamoSuppression

    return DynamoSuppression()


@cache
def destinations() -> DestinationHistory:
    from jarchi.store.destinations import DynamoDestinations

    return DynamoDestinations()


@cache
def domains() -> DomainRepository:
    from jarchi.store.domains import DynamoDomains

    return DynamoDomains()


@cache
def domain_provisioner() -> DomainProvisioner:
    from jarchi.aws.domains import AwsDomainProvisioner

    return AwsDomainProvisioner.from_settings()


@cache
def restricted_periods() -> RestrictedPeriods:
    from jarchi.store.restricted import DynamoRestrictedPeriods

    return DynamoRestrictedPeriods()


@cache
def otp_store() -> OtpStore:
    from jarchi.store.otp import DynamoOtp

    return DynamoOtp()


@cache
def connector() -> Connector:
    from jarchi.connectors.registry import connector_from

    return connector_from(get_settings())


@cache
def report_claims() -> ReportClaims:
    from jarchi.store.report_claims import DynamoReportClaims

    return DynamoReportClaims()


@cache
def follow_up_claims() -> FollowUpClaims:
    from jarchi.store.follow_up_claims import DynamoFollowUpClaims

    return DynamoFollowUpClaims()


@cache
def called_numbers() -> CalledNumbers:
    from jarchi.store.campaigns import DynamoCalledNumbers

    return DynamoCalledNumbers()


@cache
def caller_ids() -> CallerIdRepository:
    from jarchi.store.caller_ids import DynamoCallerIds

    return DynamoCallerIds()


@cache
def route_capacity() -> RouteCapacity:
    from jarchi.store.routes import DynamoRouteCapacity

    return DynamoRouteCapacity()


@cache
def accounts() -> AccountRepository:
    from jarchi.store.accounts import DynamoAccounts

    return DynamoAccounts()


@cache
def ledger() -> Ledger:
    from jarchi.store.ledger import DynamoLedger

    return DynamoLedger()


@cache
def audio() -> AudioRepository:
    from jarchi.store.audio import DynamoAudio

    return DynamoAudio()


@cache
def senders() -> SenderRepository:
    from jarchi.store.senders import DynamoSenders

    return DynamoSenders()


@cache
def media() -> MediaStore:
    from jarchi.aws.media import S3MediaStore

    return S3MediaStore()


@cache
def recordings() -> RecordingStore:
    from jarchi.aws.media import S3Recordings

    return S3Recordings()


@cache
def list_files() -> ListFiles:
    from jarchi.aws.media import S3ListFiles

    return S3ListFiles()


@cache
def contact_lists() -> ContactListRepository:
    from jarchi.store.contact_lists import DynamoContactLists

    return DynamoContactLists(list_files())


@cache
def blacklist_imports() -> BlacklistImports:
    from jarchi.store.blacklist_imports import DynamoBlacklistImports

    return DynamoBlacklistImports()


@cache
def exports() -> ExportRepository:
    from jarchi.store.exports import DynamoExports

    return DynamoExports()


@cache
def export_files() -> ExportFiles:
    from jarchi.aws.media import S3ExportFiles

    return S3ExportFiles()


@cache
def speech() -> SpeechEngine:
    """espeak-ng (or a tone) on the local platform, Amazon Polly in the cloud (R-TTS-1)."""
    settings = get_settings()
    if settings.stage == "local":
        from jarchi.content.tts import local_speech_engine

        return local_speech_engine()
    from jarchi.connectors.polly import PollyEngine

    return PollyEngine(region=settings.region)


def install() -> None:
    """Provide every port's adapter (idempotent). Called before Powertools' Tracer is made, so that the X-Ray
    SDK's botocore session already shares its data files with the adapters' (`jarchi.aws.service_data`)."""
    from jarchi.aws.service_data import share_service_data
    from jarchi.aws.xray import defer_sampling_client

    # No pydantic plugin is deployed: without this, pydantic's first validator scans every installed
    # distribution's entry points for one (~8–14 ms of a first request; issue 10, cold start). An explicit setting wins.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    share_service_data()
    defer_sampling_client()  # before Powertools' Tracer imports the X-Ray SDK
    provide("jarchi.campaigns.ports.CampaignRepository", campaigns)
    provide("jarchi.campaigns.ports.RecipientRepository", recipients)
    provide("jarchi.campaigns.ports.WorkflowRuns", workflows)
    provide("jarchi.ports.MessageQueue", queue)
    provide("jarchi.ports.OncePerBatch", once_per_batch)
    provide("jarchi.compliance.ports.AdCap", ad_cap)
    provide("jarchi.compliance.ports.SuppressionLists", suppression)
    provide("jarchi.compliance.ports.RestrictedPeriods", restricted_periods)
    provide("jarchi.compliance.ports.DestinationHistory", destinations)
    provide("jarchi.otp.ports.OtpStore", otp_store)
    provide("jarchi.domains.ports.DomainRepository", domains)
    provide("jarchi.domains.ports.DomainProvisioner", domain_provisioner)
    provide("jarchi.ports.Connector", connector)
    provide("jarchi.connectors.callbacks.ReportClaims", report_claims)
    provide("jarchi.campaigns.ports.FollowUpClaims", follow_up_claims)
    provide("jarchi.campaigns.ports.CalledNumbers", called_numbers)
    provide("jarchi.campaigns.ports.CallerIdRepository", caller_ids)
    provide("jarchi.campaigns.ports.RouteCapacity", route_capacity)
    provide("jarchi.accounts.ports.AccountRepository", accounts)
    provide("jarchi.billing.ports.Ledger", ledger)
    provide("jarchi.content.ports.AudioRepository", audio)
    provide("jarchi.content.ports.SenderRepository", senders)
    provide("jarchi.content.ports.MediaStore", media)
    provide("jarchi.audiences.ports.ListFiles", list_files)
    provide("jarchi.ports.RecordingStore", recordings)
    provide("jarchi.audiences.ports.ContactListRepository", contact_lists)
    provide("jarchi.lists.imports.BlacklistImports", blacklist_imports)
    provide("jarchi.content.tts.SpeechEngine", speech)
    provide("jarchi.reports.ports.ExportRepository", exports)
    provide("jarchi.reports.ports.ExportFiles", export_files)
    provide("jarchi.ports.EventPublisher", events)
    provide("jarchi.reports.ports.WebhookRepository", webhooks)
    provide("jarchi.reports.ports.WebhookSender", webhook_sender)


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
        caller_ids,
        route_capacity,
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


def init_done() -> None:
    """The end of a function's init (its handler module's last line). What the init made — the modules, the
    wiring, the clients' service models — lives as long as the process, so it is frozen (`gc.freeze`): the full
    collections an invocation triggers walk what invocations make, not every imported module again (~30–50 ms
    at a first request; issue 10, cold start). A reference cycle among the frozen objects is never freed: there is
    none worth freeing in objects that live as long as the process. For the same reason the handler module turns
    the collector off before its imports (`gc.disable()`, its first statement): the collections an import makes
    walk the objects of every module imported before it, ~45–60 ms of an init's CPU; it is on again from here."""
    gc.freeze()
    gc.enable()


_Handler = TypeVar("_Handler", bound=Callable[..., Any])


def first_invocation_uncollected(handler: _Handler) -> _Handler:
    """The handler, its first invocation run as the init is: without the cyclic collector, what it made frozen
    at its end (the modules, the resolver and the clients a first request of the API imports and makes live as
    long as the process; ~15–20 ms of collections in a signed-in first request; issue 10, cold start). For the
    API only: a request is bounded in size, where a batch function's first invocation may be a big one."""
    pending = [True]

    @wraps(handler)
    def invoke(*args: Any, **kwargs: Any) -> Any:
        if not pending:
            return handler(*args, **kwargs)
        collecting = gc.isenabled()
        gc.disable()
        try:
            return handler(*args, **kwargs)
        finally:
            pending.clear()
            gc.freeze()
            if collecting:
                gc.enable()

    return cast("_Handler", invoke)
