"""In-memory fakes for every port of the domain, each honouring its port's contract (conditional writes,
once-only postings and results batches, the ledger's credit checks, the ad cap's single holder).

`Fakes()` makes one of each, wired together (the campaign repository books its postings in the fake
ledger); `with fakes.installed():` makes every service that is handed no ports use them, so the domain runs
without AWS. The connector port's fake is the simulator (`jarchi.connectors.simulator`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

from jarchi.accounts.ports import AccountRepository
from jarchi.audiences.ports import ContactListPorts, ContactListRepository, ListFiles
from jarchi.billing.ports import Ledger
from jarchi.campaigns.ports import (
    CampaignPorts,
    CampaignRepository,
    FollowUpClaims,
    RecipientRepository,
    WorkflowRuns,
)
from jarchi.compliance.ports import AdCap, DestinationHistory, RestrictedPeriods, SuppressionLists
from jarchi.content.ports import AudioPorts, AudioRepository, MediaStore, SenderRepository
from jarchi.content.tts import SpeechEngine
from jarchi.ports import Connector, MessageQueue, override
from tests.fakes.accounts import FakeAccounts
from tests.fakes.audiences import FakeContactLists, FakeListFiles
from tests.fakes.billing import FakeLedger
from tests.fakes.campaigns import (
    FakeCallerIds,
    FakeCampaigns,
    FakeFollowUpClaims,
    FakeQueue,
    FakeRecipients,
    FakeRouteCapacity,
    FakeWorkflowRuns,
)
from tests.fakes.compliance import FakeAdCap, FakeDestinations, FakeRestrictedPeriods, FakeSuppression
from tests.fakes.content import FakeAudio, FakeMedia, FakeSenders, FakeSpeech

__all__ = [
    "FakeAccounts",
    "FakeAdCap",
    "FakeAudio",
    "FakeCallerIds",
    "FakeCampaigns",
    "FakeContactLists",
    "FakeDestinations",
    "FakeFollowUpClaims",
    "FakeLedger",
    "FakeListFiles",
    "FakeMedia",
    "FakeQueue",
    "FakeRecipients",
    "FakeRestrictedPeriods",
    "FakeRouteCapacity",
    "FakeSenders",
    "FakeSpeech",
    "FakeSuppression",
    "FakeWorkflowRuns",
    "Fakes",
]


@dataclass
class Fakes:
    accounts: FakeAccounts = field(default_factory=FakeAccounts)
    ledger: FakeLedger = field(default_factory=FakeLedger)
    audio: FakeAudio = field(default_factory=FakeAudio)
    senders: FakeSenders = field(default_factory=FakeSenders)
    media: FakeMedia = field(default_factory=FakeMedia)
    speech: FakeSpeech = field(default_factory=FakeSpeech)
    list_files: FakeListFiles = field(default_factory=FakeListFiles)
    contact_lists: FakeContactLists = field(default_factory=FakeContactLists)
    recipients: FakeRecipients = field(default_factory=FakeRecipients)
    workflows: FakeWorkflowRuns = field(default_factory=FakeWorkflowRuns)
    queue: FakeQueue = field(default_factory=FakeQueue)
    ad_cap: FakeAdCap = field(default_factory=FakeAdCap)
    suppression: FakeSuppression = field(default_factory=FakeSuppression)
    restricted: FakeRestrictedPeriods = field(default_factory=FakeRestrictedPeriods)
    destinations: FakeDestinations = field(default_factory=FakeDestinations)
    follow_up_claims: FakeFollowUpClaims = field(default_factory=FakeFollowUpClaims)
    connector: Connector | None = None  # e.g. a SimulatorConnector; None leaves the wired one
    campaigns: FakeCampaigns = field(init=False)

    def __post_init__(self) -> None:
        self.campaigns = FakeCampaigns(self.ledger)

    def by_port(self) -> dict[type[Any], object]:
        ports: dict[type[Any], object] = {
            AccountRepository: self.accounts,
            Ledger: self.ledger,
            AudioRepository: self.audio,
            SenderRepository: self.senders,
            MediaStore: self.media,
            SpeechEngine: self.speech,
            ListFiles: self.list_files,
            ContactListRepository: self.contact_lists,
            CampaignRepository: self.campaigns,
            RecipientRepository: self.recipients,
            WorkflowRuns: self.workflows,
            MessageQueue: self.queue,
            AdCap: self.ad_cap,
            SuppressionLists: self.suppression,
            RestrictedPeriods: self.restricted,
            DestinationHistory: self.destinations,
            FollowUpClaims: self.follow_up_claims,
        }
        if self.connector is not None:
            ports[Connector] = self.connector
        return ports

    @contextmanager
    def installed(self) -> Iterator[Fakes]:
        """Every port resolves to these fakes inside the block."""
        with ExitStack() as stack:
            for kind, fake in self.by_port().items():
                stack.enter_context(override(kind, fake))
            yield self

    def campaign_ports(self) -> CampaignPorts:
        return CampaignPorts(
            campaigns=self.campaigns,
            recipients=self.recipients,
            workflows=self.workflows,
            queue=self.queue,
            ad_cap=self.ad_cap,
            suppression=self.suppression,
            restricted=self.restricted,
            accounts=self.accounts,
            destinations=self.destinations,
            follow_up_claims=self.follow_up_claims,
        )

    def audio_ports(self) -> AudioPorts:
        return AudioPorts(audio=self.audio, media=self.media, speech=self.speech)

    def contact_list_ports(self) -> ContactListPorts:
        return ContactListPorts(lists=self.contact_lists, files=self.list_files)
