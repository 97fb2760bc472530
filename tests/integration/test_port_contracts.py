"""One contract per port, run against the in-memory fake (tests/fakes) and the real adapter on moto: what the
domain relies on (conditional writes, once-only postings and results batches, the ledger's credit checks,
one holder per capped number) holds for both, so a test on fakes says something about the platform."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

import pytest

from jarchi import clock as platform_clock
from jarchi.accounts.models import Account, AccountChanges, AccountStatus, AccountType, Token, TokenRevocation
from jarchi.accounts.ports import AccountRepository
from jarchi.audiences.numbers import NumberType
from jarchi.audiences.parsing import InvalidLine, Recipient
from jarchi.audiences.ports import ContactListRepository, ListFiles
from jarchi.audiences.records import ContactList, ListStatus
from jarchi.aws.media import S3ListFiles
from jarchi.billing import credit
from jarchi.billing.ledger import (
    AlreadyPosted,
    Balance,
    EntryFilter,
    EntryType,
    Posting,
    ReservationExceeded,
    totals_of,
)
from jarchi.billing.ports import Ledger
from jarchi.campaigns.caller_ids import CallerId
from jarchi.campaigns.listing import CampaignFilter
from jarchi.campaigns.models import (
    SYSTEM,
    USER,
    AudienceEntry,
    CampaignContent,
    CampaignEdit,
    CampaignPart,
    CampaignSettings,
    Comment,
    MoneyTotals,
    PartKind,
    RecipientState,
)
from jarchi.campaigns.pacing import PacingState
from jarchi.campaigns.ports import (
    CallerIdRepository,
    CampaignChanged,
    CampaignRepository,
    RecipientRepository,
    RouteCapacity,
    SettlementRefused,
)
from jarchi.campaigns.routes import HOLD_SECONDS, shard_capacity
from jarchi.campaigns.statuses import CampaignStatus, StatusChange
from jarchi.channels import Category, Channel
from jarchi.compliance.adcap import SuppressionList, lists_to_check
from jarchi.compliance.ports import AdCap, SuppressionLists
from jarchi.content.audio import AudioFormat
from jarchi.content.moderation import ModerationStatus
from jarchi.content.ports import AudioRepository, DeleteOutcome, SenderRepository
from jarchi.content.records import AudioRecord, AudioSource, Sender
from jarchi.errors import InsufficientCredit, NotFound
from jarchi.ids import new_id
from jarchi.lists.imports import BlacklistImport, BlacklistImports, ImportStatus
from jarchi.store.accounts import DynamoAccounts
from jarchi.store.adcap import DynamoAdCap
from jarchi.store.audio import DynamoAudio
from jarchi.store.blacklist_imports import DynamoBlacklistImports
from jarchi.store.caller_ids import DynamoCallerIds
from jarchi.store.campaigns import DynamoCampaigns
from jarchi.store.contact_lists import DynamoContactLists
from jarchi.store.ledger import DynamoLedger
from jarchi.store.recipients import S3DynamoRecipients
from jarchi.store.routes import DynamoRouteCapacity
from jarchi.store.senders import DynamoSenders
from jarchi.store.suppression import DynamoSuppression
from tests.builders import running_sms_campaign
from tests.fakes import (
    FakeAccounts,
    FakeAdCap,
    FakeAudio,
    FakeCallerIds,
    FakeCampaigns,
    FakeContactLists,
    FakeLedger,
    FakeListFiles,
    FakeRecipients,
    FakeRouteCapacity,
    FakeSenders,
    FakeSuppression,
)
from tests.fakes.lists import FakeBlacklistImports

KINDS = ["fake", "aws"]


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    request.getfixturevalue("aws" if request.param == "aws" else "clock")
    return str(request.param)


@pytest.fixture
def ledger(kind: str) -> Ledger:
    return FakeLedger() if kind == "fake" else DynamoLedger()


@pytest.fixture
def ad_cap(kind: str) -> AdCap:
    return FakeAdCap() if kind == "fake" else DynamoAdCap()


@dataclass(frozen=True)
class CampaignSide:
    campaigns: CampaignRepository
    ledger: Ledger


@pytest.fixture
def side(kind: str) -> CampaignSide:
    if kind == "fake":
        fake_ledger = FakeLedger()
        return CampaignSide(FakeCampaigns(fake_ledger), fake_ledger)
    return CampaignSide(DynamoCampaigns(), DynamoLedger())


def _top_up(ledger: Ledger, account_id: str, amount: int) -> None:
    ledger.post(Posting((credit._entry(account_id, EntryType.TOP_UP, amount),)))


# --- the ledger ----------------------------------------------------------------------------------------------


def test_ledger_contract_sums_pages_and_refusals(ledger: Ledger) -> None:
    account = new_id("acc")
    assert ledger.balance(account) == Balance()
    _top_up(ledger, account, 1_000)
    ledger.post(credit.reservation(account, "cmp_1", 600))

    with pytest.raises(InsufficientCredit) as short:
        ledger.post(credit.reservation(account, "cmp_2", 401))
    assert (short.value.details["required"], short.value.details["available"]) == (401, 400)

    ledger.post(credit.charge(account, "cmp_1", 100, "batch-1"))
    with pytest.raises(AlreadyPosted):
        ledger.post(credit.charge(account, "cmp_1", 100, "batch-1"))
    with pytest.raises(ReservationExceeded):
        ledger.post(credit.refund(account, "cmp_1", 501))
    ledger.post(credit.refund(account, "cmp_1", 500))
    with pytest.raises(AlreadyPosted):
        ledger.post(credit.refund(account, "cmp_1", 1))

    assert ledger.balance(account) == Balance(balance=900, reserved=0)
    assert ledger.balance(account) == totals_of(ledger.all_entries(account))
    first, cursor = ledger.entries(account, "cmp_1", 2, None)
    rest, end = ledger.entries(account, "cmp_1", 2, cursor)
    assert [e.type for e in first + rest] == [EntryType.REFUND, EntryType.CHARGE, EntryType.RESERVATION]
    assert end is None or ledger.entries(account, "cmp_1", 2, end)[0] == []
    assert len(ledger.entries(account, None, 10, None)[0]) == 4


def test_r_bil_1_ledger_contract_entries_filter_by_type_and_period(ledger: Ledger) -> None:
    account = new_id("acc")
    _top_up(ledger, account, 100)
    platform_clock.get_clock().advance(60)  # type: ignore[attr-defined]
    middle = platform_clock.now()
    ledger.post(Posting((credit._entry(account, EntryType.ADJUSTMENT, -30),)))
    _top_up(ledger, account, 5)

    def amounts(**filters: object) -> list[int]:
        return [e.amount for e in ledger.entries(account, None, 10, None, EntryFilter(**filters))[0]]  # type: ignore[arg-type]

    assert amounts() == [5, -30, 100]
    assert amounts(type=EntryType.TOP_UP) == [5, 100] and amounts(type=EntryType.ADJUSTMENT) == [-30]
    assert amounts(created_from=middle) == [5, -30] and amounts(created_to=middle) == [100]
    assert amounts(type=EntryType.TOP_UP, created_from=middle) == [5]


def test_ledger_contract_a_posting_over_two_accounts_is_all_or_nothing(ledger: Ledger) -> None:
    reseller, customer = new_id("acc"), new_id("acc")
    _top_up(ledger, reseller, 100)
    top_up = credit._entry(customer, EntryType.TOP_UP, 150)
    paid = credit._entry(reseller, EntryType.TRANSFER, -150)
    with pytest.raises(InsufficientCredit):
        ledger.post(Posting((top_up, paid)))
    assert ledger.balance(customer) == Balance() and ledger.all_entries(customer) == []
    assert ledger.balance(reseller) == Balance(balance=100)


# --- the ad cap ----------------------------------------------------------------------------------------------


def test_ad_cap_contract_one_holder_retries_release_and_expiry(ad_cap: AdCap) -> None:
    now = platform_clock.now()
    number = "+989120000001"
    assert ad_cap.claim(number, attempt_id="a-1", campaign_id="cmp_1", now=now)
    assert ad_cap.claim(number, attempt_id="a-1", campaign_id="cmp_1", now=now)  # a retried claim
    assert not ad_cap.claim(number, attempt_id="b-1", campaign_id="cmp_2", now=now)

    ad_cap.release(number, "b-1")  # only the holder releases
    assert not ad_cap.claim(number, attempt_id="b-1", campaign_id="cmp_2", now=now)
    ad_cap.release(number, "a-1")
    assert ad_cap.claim(number, attempt_id="b-1", campaign_id="cmp_2", now=now)

    later = now + timedelta(hours=24, seconds=1)
    assert ad_cap.claim(number, attempt_id="c-1", campaign_id="cmp_3", now=later)
    assert not ad_cap.claim(number, attempt_id="b-1", campaign_id="cmp_2", now=later)


# --- the campaign repository ---------------------------------------------------------------------------------


def test_campaign_contract_creation_is_all_or_nothing_with_its_reservation(side: CampaignSide) -> None:
    account = new_id("acc")
    _top_up(side.ledger, account, 250)
    too_big = running_sms_campaign(account, reserved=300)
    with pytest.raises(InsufficientCredit):
        side.campaigns.create(too_big, credit.reservation(account, too_big.id, 300))
    assert side.campaigns.get(too_big.id) is None and side.ledger.balance(account).reserved == 0

    campaign = running_sms_campaign(account, reserved=200)
    side.campaigns.create(campaign, credit.reservation(account, campaign.id, 200))
    assert side.campaigns.get(campaign.id) == campaign
    assert side.ledger.balance(account) == Balance(balance=250, reserved=200)
    pricing = side.campaigns.pricing(campaign.id)
    assert pricing is not None and (pricing.channel, pricing.tariff) == (Channel.SMS, 100)
    assert [c.id for c in side.campaigns.list_for_account(account, 10, None)[0]] == [campaign.id]


def test_campaign_contract_writes_are_conditional_and_results_apply_once(side: CampaignSide) -> None:
    account = new_id("acc")
    _top_up(side.ledger, account, 1_000)
    campaign = running_sms_campaign(account, reserved=300)
    side.campaigns.create(campaign, credit.reservation(account, campaign.id, 300))
    now = platform_clock.now()

    # admission: conditional on the pointer it read
    pacing = PacingState(units=0, updated_at=now)
    assert side.campaigns.record_admission(campaign, walked=3, admitted=2, finals={"invalid": 1}, pacing=pacing)
    assert not side.campaigns.record_admission(campaign, walked=3, admitted=2, finals={}, pacing=pacing)
    admitted = side.campaigns.get(campaign.id)
    assert admitted is not None
    assert (admitted.progress.next_seq, admitted.progress.in_flight, admitted.progress.dispatching) == (3, 2, (0, 3))
    assert admitted.counts["invalid"] == 1 and admitted.progress.pacing == pacing
    side.campaigns.clear_dispatching(campaign.id)

    # a status change on a stale read is refused
    paused = StatusChange(at=now, status=CampaignStatus.PAUSED, actor="account:x")
    side.campaigns.record_status_change(admitted, paused)
    with pytest.raises(CampaignChanged):
        side.campaigns.record_status_change(admitted, paused)

    # settlement is refused while attempts are in flight, and writes nothing
    finished = StatusChange(at=now, status=CampaignStatus.FINISHED, actor="system")
    current = side.campaigns.get(campaign.id)
    assert current is not None and current.status is CampaignStatus.PAUSED
    with pytest.raises(SettlementRefused):
        side.campaigns.settle(current, finished, refunded=300, posting=credit.refund(account, campaign.id, 300))
    assert side.ledger.balance(account).reserved == 300

    # a results batch applies once
    assert side.campaigns.record_results(campaign.id, "batch-1", applied=2, charged=100, finals={"delivered": 2})
    assert not side.campaigns.record_results(campaign.id, "batch-1", applied=2, charged=100, finals={"delivered": 2})
    done = side.campaigns.get(campaign.id)
    assert done is not None
    assert (done.progress.in_flight, done.money.charged, done.counts["delivered"]) == (0, 100, 2)

    # settled once, with its posting in the same step
    posting = credit.settlement(account, campaign.id, charged=100, refunded=200)
    with pytest.raises(SettlementRefused):  # read before the results moved the charge: stale
        side.campaigns.settle(current, finished, refunded=200, posting=posting)
    side.campaigns.settle(done, finished, refunded=200, posting=posting)
    settled = side.campaigns.get(campaign.id)
    assert settled is not None and settled.progress.reconciled and settled.status is CampaignStatus.FINISHED
    assert settled.money.refunded == 200 and settled.history[-1] == finished
    assert side.ledger.balance(account) == Balance(balance=900, reserved=0)
    with pytest.raises(SettlementRefused):
        side.campaigns.settle(settled, finished, refunded=200, posting=posting)
    assert side.ledger.balance(account) == totals_of(side.ledger.all_entries(account))


def test_campaign_contract_list_filters_comments_and_edits(side: CampaignSide) -> None:
    """R-REP-1, R-CMP-4: the list's filters, comments and a conditional edit with its posting, the same on both."""
    account = new_id("acc")
    _top_up(side.ledger, account, 1_000)
    start = platform_clock.now()
    voice = replace(
        running_sms_campaign(account, reserved=100),
        name="Survey calls",
        channel=Channel.VOICE,
        content=CampaignContent(tts_text="hello", audio_id="aud_1", audio_key="k"),
        settings=CampaignSettings(vote=True, custom_window=True),
    )
    sms = replace(
        running_sms_campaign(account, reserved=100), created_at=start + timedelta(seconds=1), name="Order news"
    )
    archived = replace(
        running_sms_campaign(account, reserved=0),
        created_at=start + timedelta(seconds=2),
        status=CampaignStatus.ARCHIVED,
        name="Old news",
    )
    for campaign in (voice, sms, archived):
        side.campaigns.create(
            campaign, credit.reservation(account, campaign.id, 100) if campaign.money.reserved else None
        )

    def ids(**filters: object) -> list[str]:
        return [c.id for c in side.campaigns.list_for_account(account, 10, None, CampaignFilter(**filters))[0]]  # type: ignore[arg-type]

    assert ids() == [sms.id, voice.id]
    assert ids(archived=True) == [archived.id]
    assert ids(status=CampaignStatus.ARCHIVED) == [archived.id]
    assert ids(q="news") == [sms.id] and ids(q="news", archived=True) == [archived.id] and ids(q=voice.id) == [voice.id]
    assert ids(tag="recognition") == [voice.id] and ids(tag="interval") == [voice.id] and ids(tag="smart_1") == []
    assert ids(created_from=start + timedelta(seconds=1)) == [sms.id]
    assert ids(created_to=start + timedelta(seconds=1)) == [voice.id]
    assert ids(status=CampaignStatus.RUNNING, created_from=start, created_to=start + timedelta(seconds=5)) == [
        sms.id,
        voice.id,
    ]
    first, cursor = side.campaigns.list_for_account(account, 1, None)
    rest, _ = side.campaigns.list_for_account(account, 5, cursor)
    assert [c.id for c in first + rest] == [sms.id, voice.id]

    # comments: appended in order, with a status change or alone
    said = Comment(at=start, author=USER, text="first")
    side.campaigns.add_comment(sms.id, said)
    paused = StatusChange(at=start, status=CampaignStatus.PAUSED, actor="system", reason="low_credit")
    side.campaigns.record_status_change(sms, paused, comment=Comment(at=start, author=SYSTEM, text="low_credit"))
    current = side.campaigns.get(sms.id)
    assert current is not None and [c.text for c in current.comments] == ["first", "low_credit"]

    # an edit with its posting: conditional on what was read, all or nothing
    grow = credit.reservation(account, sms.id, 50)
    edit = CampaignEdit(name="Renamed", sms_text="Shop: longer", estimated=150, reserved=150, speed_per_hour=10)
    with pytest.raises(CampaignChanged):
        side.campaigns.edit(sms, edit, grow)  # read before the pause
    side.campaigns.edit(current, edit, grow)
    edited = side.campaigns.get(sms.id)
    assert edited is not None and edited.name == "Renamed" and edited.content.sms_text == "Shop: longer"
    assert (edited.money.estimated, edited.money.reserved, edited.settings.speed_per_hour) == (150, 150, 10)
    assert side.ledger.balance(account).reserved == 250
    with pytest.raises(InsufficientCredit):
        side.campaigns.edit(edited, replace(edit, reserved=2_000), credit.reservation(account, sms.id, 1_850))
    assert side.ledger.balance(account).reserved == 250


def test_r_rep_1_list_search_folds_case_and_persian_and_cyrillic_variants(side: CampaignSide) -> None:
    """R-REP-1: `q` finds a name whatever the case, Arabic vs Persian letters, ZWNJ vs space, ё vs е."""
    account = new_id("acc")
    start = platform_clock.now()
    names = ["Новогодняя РАССЫЛКА", "تخفیف‌های ویژه یلدا", "Yalda SALE", "Ёлка"]
    made = [
        replace(running_sms_campaign(account, reserved=0), name=name, created_at=start + timedelta(seconds=i))
        for i, name in enumerate(names)
    ]
    for campaign in made:
        side.campaigns.create(campaign, None)

    def ids(q: str) -> list[str]:
        return [c.id for c in side.campaigns.list_for_account(account, 10, None, CampaignFilter(q=q))[0]]

    assert ids("рассылка") == [made[0].id] and ids("НОВОГОДНЯЯ") == [made[0].id]
    assert ids("تخفيف هاي") == [made[1].id]  # Arabic yeh, a space for the half-space
    assert ids("یلدا") == [made[1].id] and ids("yalda") == [made[2].id] and ids("sale") == [made[2].id]
    assert ids("елка") == [made[3].id] and ids(made[2].id) == [made[2].id] and ids("nothing") == []


def test_r_rep_1_list_pages_stay_exact_while_campaigns_are_created(side: CampaignSide) -> None:
    """R-REP-1: a client paging newest first while new campaigns arrive sees every older campaign exactly once
    and none of the new ones (the cursor is a position in (created_at, id), not an offset); equal creation
    times page too."""
    account = new_id("acc")
    start = platform_clock.now()
    older = [
        replace(running_sms_campaign(account, reserved=0), created_at=start + timedelta(seconds=i // 2))
        for i in range(7)
    ]
    for campaign in older:
        side.campaigns.create(campaign, None)
    seen: list[str] = []
    cursor: str | None = None
    for page_number in range(10):
        page, cursor = side.campaigns.list_for_account(account, 2, cursor)
        seen += [c.id for c in page]
        # a new campaign lands between pages
        newer = replace(
            running_sms_campaign(account, reserved=0), created_at=start + timedelta(minutes=1, seconds=page_number)
        )
        side.campaigns.create(newer, None)
        if cursor is None:
            break
    expected = [c.id for c in sorted(older, key=lambda c: (c.created_at, c.id), reverse=True)]
    assert seen == expected


def test_campaign_contract_a_new_part_starts_with_its_reservation_once(side: CampaignSide) -> None:
    """R-CMP-4: reset / retry / resume start a part in one step with its reservation, only from what was read."""
    account = new_id("acc")
    _top_up(side.ledger, account, 1_000)
    campaign = replace(running_sms_campaign(account, reserved=300), status=CampaignStatus.FINISHED)
    side.campaigns.create(campaign, credit.reservation(account, campaign.id, 300))
    votes = {"2": 1}
    assert side.campaigns.record_results(campaign.id, "b-1", applied=0, charged=0, finals={"delivered": 3}, votes=votes)
    campaign = side.campaigns.get(campaign.id)
    assert campaign is not None and campaign.votes["2"] == 1
    now = platform_clock.now()
    running = StatusChange(at=now, status=CampaignStatus.RUNNING, actor="account:x", reason="again")
    part = CampaignPart(1, PartKind.RESET, now, "campaigns/x/part-1/audience/", 3)
    too_much = credit.reservation(account, campaign.id, 800, "part:1")
    with pytest.raises(InsufficientCredit):
        side.campaigns.start_part(campaign, running, part, too_much, reset=True)
    posting = credit.reservation(account, campaign.id, 300, "part:1")
    side.campaigns.start_part(campaign, running, part, posting, reset=True)
    with pytest.raises(CampaignChanged):  # the same stale read again
        side.campaigns.start_part(campaign, running, part, credit.reservation(account, campaign.id, 1, "p"), reset=True)
    started = side.campaigns.get(campaign.id)
    assert started is not None
    assert (started.status, started.reset_count, started.progress.part, started.progress.run) == (
        CampaignStatus.RUNNING,
        1,
        1,
        2,
    )
    assert (started.money.reserved, started.progress.total, started.audience_key) == (600, 3, part.audience_key)
    assert started.counts["delivered"] == 0 and started.progress.next_seq == 0 and not started.progress.reconciled
    first, second = started.all_parts()
    assert first.counts is not None and first.counts["delivered"] == 3 and first.audience_key == campaign.audience_key
    # R-REP-2: the part closed keeps its votes, the new one the money totals it started from
    assert first.votes is not None and first.votes["2"] == 1 and started.part_votes(second)["2"] == 0
    assert started.vote_histogram()["2"] == 1
    assert second == replace(part, money_before=MoneyTotals(reserved=300))
    assert started.part_money(first) == MoneyTotals(reserved=300) and started.part_money(second) == MoneyTotals(300)
    assert side.ledger.balance(account) == Balance(balance=1_000, reserved=600)


# --- accounts and tokens -------------------------------------------------------------------------------------


@pytest.fixture
def accounts(kind: str) -> AccountRepository:
    return FakeAccounts() if kind == "fake" else DynamoAccounts()


def _account(name: str, parent: Account | None = None) -> Account:
    return Account(
        id=new_id("acc"),
        name=name,
        type=AccountType.CUSTOMER if parent else AccountType.RESELLER_1,
        parent_id=parent.id if parent else None,
        ancestors=(parent.id,) if parent else (),
        timezone="Asia/Tehran",
        default_region="IR",
        created_at=platform_clock.now(),
    )


def test_account_contract_creation_children_and_tokens(accounts: AccountRepository) -> None:
    reseller = _account("Agency")
    accounts.create(reseller)
    with pytest.raises(Exception):  # noqa: B017 - the adapter's own error: what matters is nothing is overwritten
        accounts.create(replace(reseller, name="Other"))
    assert accounts.get(reseller.id) == reseller and accounts.get("acc_missing") is None
    first = _account("First", reseller)
    accounts.create(first)
    second = replace(_account("Second", reseller), created_at=first.created_at + timedelta(seconds=1))
    accounts.create(second)
    assert [a.id for a in accounts.list_children(reseller.id, 10, None)[0]] == [second.id, first.id]
    assert {a.id for a in accounts.list_all(10, None)[0]} >= {reseller.id, first.id, second.id}

    token = Token(new_id("tok"), first.id, "ci", "jk_abcdefgh", platform_clock.now(), None)
    accounts.put_token(token, "hash-1")
    assert accounts.find_token("hash-1") == token and accounts.find_token("hash-2") is None
    assert accounts.find_token_with_account("hash-1") == (token, first)
    assert accounts.find_token_with_account("hash-2") is None
    used = platform_clock.now() + timedelta(minutes=5)
    accounts.touch_token(token, used)
    assert [t.last_used_at for t in accounts.list_tokens(first.id)] == [used]
    assert accounts.delete_token(first.id, token.id) is TokenRevocation.REVOKED  # without keep_one, even the last
    assert accounts.delete_token(first.id, token.id) is TokenRevocation.NOT_FOUND
    assert accounts.find_token("hash-1") is None and accounts.list_tokens(first.id) == []
    assert accounts.find_token_with_account("hash-1") is None  # a revocation is seen at once

    changes = AccountChanges(name="First Ltd", flagged=True, status=AccountStatus.SUSPENDED, voice_pulse_price=990)
    updated = accounts.update(first.id, changes)
    assert updated == replace(first, **changes.given()) == accounts.get(first.id)
    assert accounts.update("acc_missing", changes) is None and accounts.get("acc_missing") is None


def test_r_acc_1_token_contract_keep_one_refuses_the_last_token(accounts: AccountRepository) -> None:
    owner = _account("Platform")
    accounts.create(owner)
    tokens = [Token(new_id("tok"), owner.id, name, "jk_abcdefgh", platform_clock.now(), None) for name in "abc"]
    for number, token in enumerate(tokens):
        accounts.put_token(token, f"hash-{owner.id}-{number}")
    assert accounts.delete_token(owner.id, tokens[0].id, keep_one=True) is TokenRevocation.REVOKED
    assert accounts.delete_token(owner.id, tokens[0].id, keep_one=True) is TokenRevocation.NOT_FOUND
    assert accounts.delete_token(owner.id, tokens[1].id, keep_one=True) is TokenRevocation.REVOKED
    assert accounts.delete_token(owner.id, tokens[2].id, keep_one=True) is TokenRevocation.LAST_TOKEN
    assert [t.id for t in accounts.list_tokens(owner.id)] == [tokens[2].id]


# --- audio and senders ---------------------------------------------------------------------------------------


@pytest.fixture
def audio(kind: str) -> AudioRepository:
    return FakeAudio() if kind == "fake" else DynamoAudio()


@pytest.fixture
def senders(kind: str) -> SenderRepository:
    return FakeSenders() if kind == "fake" else DynamoSenders()


def test_audio_contract_moderation_is_conditional_and_used_audio_is_kept(audio: AudioRepository) -> None:
    record = AudioRecord(
        id=new_id("aud"),
        account_id="acc_1",
        title="Hello",
        source=AudioSource.UPLOAD,
        format=AudioFormat.WAV,
        duration_ms=4_000,
        pulses=1,
        size_bytes=100,
        key="audio/acc_1/x.wav",
        status=ModerationStatus.PENDING,
        created_at=platform_clock.now(),
    )
    audio.put(record)
    assert audio.get(record.id) == record
    assert [r.id for r in audio.list_for_account("acc_1", 10, None)[0]] == [record.id]
    at = platform_clock.now()
    assert audio.set_moderation(record.id, ModerationStatus.PENDING, ModerationStatus.REJECTED, "noise", at)
    assert not audio.set_moderation(record.id, ModerationStatus.PENDING, ModerationStatus.APPROVED, None, at)
    assert audio.set_moderation(record.id, ModerationStatus.REJECTED, ModerationStatus.APPROVED, None, at)
    moderated = audio.get(record.id)
    assert moderated is not None and moderated.status is ModerationStatus.APPROVED and moderated.reason is None

    audio.mark_used(record.id)
    assert audio.delete_unused(record.id) is DeleteOutcome.IN_USE
    with pytest.raises(NotFound):
        audio.mark_used("aud_missing")
    unused = replace(record, id=new_id("aud"))
    audio.put(unused)
    assert audio.delete_unused(unused.id) is DeleteOutcome.DELETED
    assert audio.delete_unused(unused.id) is DeleteOutcome.MISSING


def test_sender_contract_one_name_per_account(senders: SenderRepository) -> None:
    def sender(account_id: str) -> Sender:
        return Sender(new_id("snd"), account_id, "Shop", "alphanumeric", ModerationStatus.PENDING, platform_clock.now())

    mine = sender("acc_1")
    assert senders.put(mine, "shop")
    assert not senders.put(sender("acc_1"), "shop")
    assert senders.put(sender("acc_2"), "shop")
    assert senders.get(mine.id) == mine and senders.find_by_name("acc_1", "shop") == mine
    assert senders.find_by_name("acc_1", "other") is None
    assert [s.id for s in senders.list_for_account("acc_1", 10, None)[0]] == [mine.id]
    at = platform_clock.now()
    assert senders.set_moderation(mine.id, ModerationStatus.PENDING, ModerationStatus.APPROVED, None, at)
    assert not senders.set_moderation(mine.id, ModerationStatus.PENDING, ModerationStatus.REJECTED, "no", at)


# --- contact lists -------------------------------------------------------------------------------------------


@pytest.fixture
def lists(kind: str) -> tuple[ContactListRepository, ListFiles]:
    if kind == "fake":
        return FakeContactLists(), FakeListFiles()
    return DynamoContactLists(), S3ListFiles()


def test_contact_list_contract_uploads_complete_once_and_recipients_page(
    lists: tuple[ContactListRepository, ListFiles],
) -> None:
    repository, files = lists
    upload = ContactList(
        id=new_id("lst"),
        account_id="acc_1",
        name="Big",
        status=ListStatus.AWAITING_UPLOAD,
        created_at=platform_clock.now(),
        recipients_key=files.recipients_key("acc_1", "lst_x"),
        original_key=files.original_key("acc_1", "lst_x"),
    )
    repository.put(upload)
    assert repository.get(upload.id) == upload
    assert repository.list_for_account("acc_1", 10, None)[0] == []  # not a list until completed

    presigned = files.presign_upload(upload.original_key or "")
    assert presigned.key == upload.original_key and presigned.expires_at > platform_clock.now()
    assert files.size(presigned.key) is None and files.get(presigned.key) is None
    files.put(presigned.key, b"0912 000 0001\n")
    assert files.size(presigned.key) == 14 and files.get(presigned.key) == b"0912 000 0001\n"

    people = [Recipient(f"+98912000000{i}", NumberType.MOBILE, (f"n{i}",)) for i in range(5)]
    with pytest.raises(LookupError):
        repository.load_recipients(upload.recipients_key)
    repository.put_recipients(upload.recipients_key, people)
    ready = replace(upload, status=ListStatus.READY, kept=5, columns=("name",))
    assert repository.complete(ready)
    assert not repository.complete(ready)
    assert repository.get(upload.id) == ready
    assert [c.id for c in repository.list_for_account("acc_1", 10, None)[0]] == [upload.id]
    assert repository.load_recipients(upload.recipients_key) == people
    assert repository.recipients_slice(upload.recipients_key, 3, 2) == (people[3:], False)
    assert repository.recipients_slice(upload.recipients_key, 0, 2) == (people[:2], True)

    # An edit is written only over the version it read; a deleted list takes no edit.
    renamed = replace(ready, name="Renamed", version=1, updated_at=platform_clock.now())
    assert repository.replace(renamed, read_version=0)
    assert not repository.replace(replace(ready, name="Lost", version=1), read_version=0)
    assert repository.get(upload.id) == renamed
    files.delete(presigned.key)
    files.delete(presigned.key)  # nothing there: nothing happens
    assert files.get(presigned.key) is None
    repository.delete(upload.id)
    assert repository.get(upload.id) is None
    assert not repository.replace(replace(renamed, version=2), read_version=1)


# --- telecom blacklist imports ------------------------------------------------------------------------------


@pytest.fixture
def blacklist_imports(kind: str) -> BlacklistImports:
    return FakeBlacklistImports() if kind == "fake" else DynamoBlacklistImports()


def test_blacklist_import_contract_checkpoints_only_over_the_state_they_read(
    blacklist_imports: BlacklistImports,
) -> None:
    record = BlacklistImport(
        new_id("imp"), ImportStatus.AWAITING_UPLOAD, "blacklist-imports/x/original", platform_clock.now(), "IR"
    )
    blacklist_imports.create(record)
    assert blacklist_imports.get(record.id) == record
    assert blacklist_imports.get("imp_missing") is None
    queued = replace(record, status=ImportStatus.QUEUED, size_bytes=10)
    assert blacklist_imports.save_if(queued, status=ImportStatus.AWAITING_UPLOAD, offset=0)
    assert not blacklist_imports.save_if(queued, status=ImportStatus.AWAITING_UPLOAD, offset=0)
    lines = (InvalidLine(3, "x", "invalid"),)
    moved = replace(queued, status=ImportStatus.RUNNING, offset=7, read=2, added=1, invalid=1, invalid_lines=lines)
    assert blacklist_imports.save_if(moved, status=ImportStatus.QUEUED, offset=0)
    assert not blacklist_imports.save_if(replace(moved, offset=9), status=ImportStatus.RUNNING, offset=0)
    assert blacklist_imports.get(record.id) == moved


# --- suppression and the campaign audience --------------------------------------------------------------------


@pytest.fixture
def suppression(kind: str) -> SuppressionLists:
    return FakeSuppression() if kind == "fake" else DynamoSuppression()


@pytest.fixture
def recipients(kind: str) -> RecipientRepository:
    return FakeRecipients() if kind == "fake" else S3DynamoRecipients()


def test_suppression_contract_stop_lists_are_per_account(suppression: SuppressionLists) -> None:
    stamp = platform_clock.now().isoformat()
    suppression.add(SuppressionList.ACCOUNT_STOP_LIST, "+989120000001", account_id="acc_1", added_at=stamp)
    suppression.add(SuppressionList.AD_OPT_OUT, "+989120000002", added_at=stamp, source="cmp_1")
    numbers = ["+989120000001", "+989120000002", "+989120000003"]
    assert suppression.memberships(numbers, "acc_1") == {
        "+989120000001": {SuppressionList.ACCOUNT_STOP_LIST},
        "+989120000002": {SuppressionList.AD_OPT_OUT},
    }
    assert suppression.memberships(numbers, "acc_2") == {"+989120000002": {SuppressionList.AD_OPT_OUT}}


def test_suppression_contract_only_the_lists_asked_for(suppression: SuppressionLists) -> None:
    stamp = platform_clock.now().isoformat()
    suppression.add(SuppressionList.ACCOUNT_STOP_LIST, "+989120000001", account_id="acc_1", added_at=stamp)
    suppression.add(SuppressionList.AD_OPT_OUT, "+989120000001", added_at=stamp, source="cmp_1")
    suppression.add(SuppressionList.TELECOM_BLACKLIST, "+989120000002", added_at=stamp)
    numbers = ["+989120000001", "+989120000002"]
    service = lists_to_check(Category.SERVICE)
    assert suppression.memberships(numbers, "acc_1", service) == {"+989120000001": {SuppressionList.ACCOUNT_STOP_LIST}}
    assert suppression.memberships(numbers, "acc_2", service) == {}
    assert suppression.memberships(numbers, "acc_1", lists_to_check(Category.ADVERTISING)) == {
        "+989120000001": {SuppressionList.ACCOUNT_STOP_LIST, SuppressionList.AD_OPT_OUT},
        "+989120000002": {SuppressionList.TELECOM_BLACKLIST},
    }


def test_recipient_contract_audience_ranges_and_states(recipients: RecipientRepository) -> None:
    entries = [AudienceEntry(seq, f"+98912{seq:07d}", "Asia/Tehran", 1, "mobile") for seq in range(1_005)]
    key = recipients.put_audience("acc_1", "cmp_1", entries)
    assert recipients.read_audience(key, 998, 4) == entries[998:1_002]  # across a chunk boundary
    assert recipients.read_audience(key, 1_003, 10) == entries[1_003:]
    assert recipients.read_audience(key, 0, 0) == []
    states = [RecipientState("cmp_1", seq, entries[seq].number, 1, status="in_progress") for seq in (0, 2)]
    recipients.save_all(states)
    assert recipients.load_many("cmp_1", [0, 1, 2]) == {0: states[0], 2: states[1]}


def test_recipient_contract_recordings_page_in_seq_order_and_only_the_campaign_s(
    recipients: RecipientRepository,
) -> None:
    def state(campaign: str, seq: int, recorded: bool) -> RecipientState:
        key = f"recordings/{campaign}/{campaign}.{seq}.1.wav" if recorded else None
        return RecipientState(
            campaign, seq, f"+98912{seq:07d}", 1, status="answered", recording=key, recording_seconds=7 if key else None
        )

    recipients.save_all([state("cmp_1", seq, seq % 2 == 0) for seq in range(7)] + [state("cmp_2", 0, True)])
    seen: list[RecipientState] = []
    cursor = None
    for _ in range(5):
        page, cursor = recipients.recordings("cmp_1", 2, cursor)
        seen += page
        if cursor is None:
            break
    assert [(s.seq, s.recording, s.recording_seconds) for s in seen] == [
        (seq, f"recordings/cmp_1/cmp_1.{seq}.1.wav", 7) for seq in (0, 2, 4, 6)
    ]
    assert recipients.recordings("cmp_3", 10, None) == ([], None)


# --- caller IDs and route capacity (R-DSP-5, R-DSP-3) ----------------------------------------------------------


@pytest.fixture
def caller_ids(kind: str) -> CallerIdRepository:
    return FakeCallerIds() if kind == "fake" else DynamoCallerIds()


@pytest.fixture
def routes(kind: str) -> RouteCapacity:
    return FakeRouteCapacity() if kind == "fake" else DynamoRouteCapacity()


def test_caller_id_contract_one_account_per_number_pages_and_release(caller_ids: CallerIdRepository) -> None:
    at = platform_clock.now()
    numbers = [f"+98219100{i:04d}" for i in (3, 1, 2, 0)]
    assert all(caller_ids.assign(CallerId(n, "acc_1", at)) for n in numbers)
    assert caller_ids.assign(CallerId(numbers[0], "acc_1", at))  # again, its own: fine
    assert not caller_ids.assign(CallerId(numbers[0], "acc_2", at))  # another account's
    assert caller_ids.get(numbers[0]) == CallerId(numbers[0], "acc_1", at)
    assert caller_ids.get("+982191009999") is None
    assert [c.number for c in caller_ids.for_account("acc_1")] == sorted(numbers)
    assert caller_ids.assign(CallerId("+982191001111", "acc_2", at))
    seen, cursor = [], None
    for _ in range(5):
        page_of, cursor = caller_ids.page("acc_1", 3, cursor)
        seen += [c.number for c in page_of]
        if cursor is None:
            break
    assert seen == sorted(numbers)  # the account's own, in order, each once
    everyone, cursor = [], None
    for _ in range(5):
        page_of, cursor = caller_ids.page(None, 3, cursor)
        everyone += [c.number for c in page_of]
        if cursor is None:
            break
    assert sorted(everyone) == sorted([*numbers, "+982191001111"])
    assert not caller_ids.release(numbers[0], "acc_2")  # not its number
    assert caller_ids.release(numbers[0], "acc_1")
    assert caller_ids.get(numbers[0]) is None and not caller_ids.release(numbers[0], "acc_1")
    assert caller_ids.assign(CallerId(numbers[0], "acc_2", at))  # free again for anyone


def test_route_contract_shares_the_limit_gives_back_and_expires(routes: RouteCapacity) -> None:
    now = platform_clock.now()
    route = f"+98-21-{new_id('r')}"  # fresh shards for each kind's run
    first = routes.take(route, "cmp_1", 7, 10, now)
    assert len(first) == 7 and routes.in_use(route, now) == 7
    assert all(first.count(shard) <= shard_capacity(10, shard) for shard in set(first))
    second = routes.take(route, "cmp_2", 7, 10, now)
    assert len(second) == 3 and routes.in_use(route, now) == 10  # the route is full: shared by every campaign
    assert routes.take(route, "cmp_3", 1, 10, now) == []
    for shard in set(first):
        routes.give_back(route, shard, "cmp_1", first.count(shard), now)
    assert routes.in_use(route, now) == 3
    routes.give_back(route, second[0], "cmp_9", 1, now)  # not its hold: nothing changes
    assert routes.in_use(route, now) == 3
    later = now + timedelta(seconds=HOLD_SECONDS + 1)
    assert routes.in_use(route, later) == 0  # a lost result's slot frees itself
    assert len(routes.take(route, "cmp_3", 10, 10, later)) == 10
