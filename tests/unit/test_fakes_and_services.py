"""The domain on in-memory fakes only (tests/fakes): accounts and tokens, credit, content, contact lists and a
campaign from creation to settlement, with no AWS and no moto. Every port resolves to a fake inside
`fakes.installed()`; the services are called exactly as the API routes and the workflow handler call them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from jarchi.accounts.models import AccountType, Caller
from jarchi.accounts.ports import AccountRepository
from jarchi.accounts.service import (
    NewAccount,
    authenticate,
    create_account,
    create_token,
    list_accounts,
    list_tokens,
    revoke_token,
    seed_account,
    visible_account,
)
from jarchi.audiences.ports import ContactListRepository, ListFiles
from jarchi.audiences.service import (
    NewContactList,
    complete_upload,
    create_contact_list,
    create_upload,
    get_contact_list,
    list_contact_lists,
    load_list_recipients,
)
from jarchi.billing import credit
from jarchi.billing.ledger import AlreadyPosted, EntryType, Posting, ReservationExceeded, totals_of
from jarchi.billing.ports import Ledger
from jarchi.campaigns.draft import CampaignDraft
from jarchi.campaigns.models import Campaign, RetryPolicy
from jarchi.campaigns.ports import (
    CampaignChanged,
    CampaignRepository,
    FollowUpClaims,
    RecipientRepository,
    WorkflowRuns,
)
from jarchi.campaigns.protocol import Next
from jarchi.campaigns.queries import visible_campaign
from jarchi.campaigns.service import create_campaign, perform_action
from jarchi.campaigns.statuses import CampaignStatus
from jarchi.campaigns.workflow import admit, prepare, reconcile
from jarchi.channels import Category, Channel
from jarchi.clock import LocalClock
from jarchi.compliance.ports import AdCap, DestinationHistory, RestrictedPeriods, SuppressionLists
from jarchi.connectors.simulator import SimulatorConfig, SimulatorConnector
from jarchi.content import audio_service, senders_service
from jarchi.content.audio_service import NewAudio
from jarchi.content.ports import AudioRepository, MediaStore, SenderRepository
from jarchi.content.tts import SpeechEngine
from jarchi.dispatch.placing import forward_results, place_batch
from jarchi.errors import Conflict, Forbidden, InsufficientCredit, NotFound, Unauthorized
from jarchi.ports import MessageQueue
from jarchi.resources import DISPATCH_QUEUE, RESULTS_QUEUE
from jarchi.results.receiving import receive_many, receive_results
from tests.fakes import FakeCampaigns, Fakes

NUMBERS = ["+989120000001", "+989120000002", "+989120000003"]


def _as_ports(
    f: Fakes,
) -> tuple[
    AccountRepository,
    Ledger,
    AudioRepository,
    SenderRepository,
    MediaStore,
    SpeechEngine,
    ListFiles,
    ContactListRepository,
    CampaignRepository,
    RecipientRepository,
    WorkflowRuns,
    MessageQueue,
    AdCap,
    SuppressionLists,
    RestrictedPeriods,
    DestinationHistory,
    FollowUpClaims,
]:
    """Each fake is its port (mypy checks the tuple against the Protocols)."""
    return (
        f.accounts,
        f.ledger,
        f.audio,
        f.senders,
        f.media,
        f.speech,
        f.list_files,
        f.contact_lists,
        f.campaigns,
        f.recipients,
        f.workflows,
        f.queue,
        f.ad_cap,
        f.suppression,
        f.restricted,
        f.destinations,
        f.follow_up_claims,
    )


@pytest.fixture
def fakes(clock: LocalClock) -> Iterator[Fakes]:
    with Fakes().installed() as installed:
        yield installed


def _admin() -> Caller:
    return Caller(account=seed_account(NewAccount(name="admin", type=AccountType.ADMIN)), token_id="tok_seed")


def _customer(admin: Caller, name: str = "Shop", credit_amount: int = 0) -> Caller:
    account = create_account(admin, NewAccount(name=name, type=AccountType.CUSTOMER))
    if credit_amount:
        credit.add_credit(admin, account.id, credit_amount, "opening")
    return Caller(account=account, token_id="tok_test")


def test_every_fake_is_its_port_and_every_port_is_overridden(fakes: Fakes) -> None:
    assert len(_as_ports(fakes)) == len(fakes.by_port()) == 17
    assert isinstance(fakes.campaigns, FakeCampaigns) and fakes.campaigns.ledger is fakes.ledger


# --- accounts and tokens (R-ACC-1..3) ---------------------------------------------------------------------


def test_r_acc_1_a_token_authenticates_until_revoked(fakes: Fakes) -> None:
    admin = _admin()
    shop = _customer(admin)
    issued = create_token(admin, shop.account_id, "ci")
    assert fakes.accounts.find_token(issued.token.prefix) is None  # stored by hash only

    caller = authenticate(f"Bearer {issued.secret}")
    assert caller.account_id == shop.account_id and caller.token_id == issued.token.id
    assert [t.id for t in list_tokens(shop, shop.account_id)] == [issued.token.id]
    assert fakes.accounts.tokens[(shop.account_id, issued.token.id)][0].last_used_at is not None

    revoke_token(shop, shop.account_id, issued.token.id)
    with pytest.raises(Unauthorized):
        authenticate(f"Bearer {issued.secret}")
    with pytest.raises(NotFound) as missing:
        revoke_token(shop, shop.account_id, issued.token.id)
    assert missing.value.code == "token_not_found"


def test_r_acc_2_a_reseller_sees_its_customers_and_no_one_else(fakes: Fakes) -> None:
    admin = _admin()
    reseller_account = create_account(admin, NewAccount(name="Agency", type=AccountType.RESELLER_1))
    reseller = Caller(account=reseller_account, token_id="tok_r")
    mine = create_account(reseller, NewAccount(name="Bakery", type=AccountType.CUSTOMER))
    other = _customer(admin, "Elsewhere")

    assert mine.parent_id == reseller_account.id and mine.ancestors == (reseller_account.id,)
    assert visible_account(reseller, mine.id) == mine
    assert [a.id for a in list_accounts(reseller, 10, None)[0]] == [mine.id]
    assert len(list_accounts(admin, 10, None)[0]) == 4
    with pytest.raises(NotFound) as hidden:
        visible_account(reseller, other.account_id)
    assert hidden.value.code == "account_not_found"
    with pytest.raises(Forbidden):
        create_account(other, NewAccount(name="Nope", type=AccountType.CUSTOMER))


# --- the ledger (R-BIL-1..3) --------------------------------------------------------------------------------


def test_r_bil_1_postings_move_balances_exactly_and_refuse_what_the_credit_cannot_cover(fakes: Fakes) -> None:
    admin = _admin()
    reseller_account = create_account(admin, NewAccount(name="Agency", type=AccountType.RESELLER_1))
    reseller = Caller(account=reseller_account, token_id="tok_r")
    customer = create_account(reseller, NewAccount(name="Bakery", type=AccountType.CUSTOMER))

    with pytest.raises(InsufficientCredit):  # the reseller pays its customer's top-up from its own credit
        credit.add_credit(reseller, customer.id, 500, "first")
    assert fakes.ledger.posts == 0
    credit.add_credit(admin, reseller_account.id, 1_000, "paid in")
    result = credit.add_credit(reseller, customer.id, 600, "top-up")
    assert result.balance.balance == 600
    assert credit.credit_of(reseller).available == 400

    credit.post(credit.reservation(customer.id, "cmp_x", 250))
    with pytest.raises(InsufficientCredit):
        credit.post(credit.reservation(customer.id, "cmp_y", 351))
    credit.post(credit.charge(customer.id, "cmp_x", 100, "batch-1"))
    with pytest.raises(AlreadyPosted):
        credit.post(credit.charge(customer.id, "cmp_x", 100, "batch-1"))
    with pytest.raises(ReservationExceeded):
        credit.post(credit.refund(customer.id, "cmp_x", 151))
    credit.post(credit.refund(customer.id, "cmp_x", 150))

    balance = credit.credit_of(admin, customer.id)
    assert (balance.balance, balance.reserved) == (500, 0)
    for account_id in (customer.id, reseller_account.id):
        assert fakes.ledger.balance(account_id) == totals_of(fakes.ledger.all_entries(account_id))
    entries, _ = credit.transactions(reseller, customer.id, "cmp_x", 10, None)
    assert [e.type for e in entries] == [EntryType.REFUND, EntryType.CHARGE, EntryType.RESERVATION]


# --- content and contact lists (R-AUD, R-TTS-1, R-SMS-3, R-LST) ---------------------------------------------


def test_r_aud_3_speech_is_stored_pending_moderated_by_admin_and_kept_once_used(fakes: Fakes) -> None:
    admin = _admin()
    shop = _customer(admin)
    record = audio_service.create_audio(shop, NewAudio(title="Hello", tts_text="Hello there", language="en"))
    assert record.status.value == "pending" and record.source.value == "tts"
    assert fakes.speech.spoken and fakes.media.get_audio(record.key) is not None

    with pytest.raises(Forbidden):
        audio_service.moderate_audio(shop, record.id, "approve", None)
    other = _customer(admin, "Other")
    with pytest.raises(NotFound):  # another tenant's audio answers as a missing one
        audio_service.get_audio(other, record.id)
    assert audio_service.moderate_audio(admin, record.id, "approve", None).status.value == "approved"

    audio_service.mark_audio_used(record.id)
    with pytest.raises(Conflict) as kept:
        audio_service.delete_audio(shop, record.id)
    assert kept.value.code == "audio_in_use"
    assert fakes.media.get_audio(record.key) is not None


def test_r_lst_1_lists_inline_and_uploaded_are_parsed_and_kept_per_tenant(fakes: Fakes) -> None:
    admin = _admin()
    shop = _customer(admin)
    inline = create_contact_list(shop, NewContactList(name="VIP", numbers=["09120000001", "+989120000002", "x"]))
    assert (inline.kept, inline.invalid) == (2, 1)
    assert [r.number for r in load_list_recipients(shop.account_id, inline.id)[1]] == NUMBERS[:2]

    upload = create_upload(shop, "Big", "big.txt")
    with pytest.raises(NotFound):
        get_contact_list(shop, upload.upload_id)  # not a list until completed
    fakes.list_files.put(fakes.list_files.original_key(shop.account_id, upload.upload_id), b"09120000003\n")
    completed = complete_upload(shop, upload.upload_id)
    assert completed.kept == 1
    with pytest.raises(Conflict):
        complete_upload(shop, upload.upload_id)

    assert {c.id for c in list_contact_lists(shop, None, 10, None)[0]} == {inline.id, completed.id}
    with pytest.raises(NotFound) as hidden:
        get_contact_list(_customer(admin, "Other"), inline.id)
    assert hidden.value.code == "contact_list_not_found"


# --- a campaign from creation to settlement (R-CMP, R-DSP, R-BIL-2/3) ----------------------------------------


def _approved_sender(admin: Caller, shop: Caller, name: str = "Shop") -> None:
    sender = senders_service.register_sender(shop, name)
    senders_service.moderate_sender(admin, sender.id, "approve", None)


def _order_ready_sms() -> CampaignDraft:
    """A service SMS from the approved sender "Shop" to `NUMBERS`."""
    return CampaignDraft(
        name="Orders",
        channel=Channel.SMS,
        category=Category.SERVICE,
        sms_text="Shop: your order is ready",
        sender="Shop",
        recipients=NUMBERS,
    )


def _deliver(fakes: Fakes, connector: SimulatorConnector) -> None:
    """What the dispatch and results functions do with what waits on the queues."""
    for message in fakes.queue.take(DISPATCH_QUEUE):
        forward_results(place_batch(message, connector=connector))
    for message in fakes.queue.take(RESULTS_QUEUE):
        receive_results(message)


def _run_workflow(fakes: Fakes, campaign_id: str, run: int, clock: LocalClock, connector: SimulatorConnector) -> None:
    """The state machine's loop (Prepare → Admit / Wait → Reconcile), the queues drained between tasks."""
    answer = prepare(campaign_id, run=run, execution_arn=f"arn:fake:{campaign_id}-{run}")
    for _ in range(50):
        next_ = Next(answer["next"])
        if next_ is Next.END:
            return
        if next_ is Next.RECONCILE:
            answer = reconcile(campaign_id)[0]
            continue
        if next_ is Next.WAIT:
            clock.advance(10)
        answer = admit(campaign_id, run=run)
        _deliver(fakes, connector)
    raise AssertionError("the workflow did not end")


def test_r_bil_3_a_campaign_runs_on_fakes_and_settles_its_reservation_exactly(fakes: Fakes, clock: LocalClock) -> None:
    # GIVEN a customer with credit and an approved sender
    admin = _admin()
    shop = _customer(admin, credit_amount=1_000_000)
    _approved_sender(admin, shop)
    draft = _order_ready_sms()
    # two delivered, one refused at submission (not billable)
    overrides = {NUMBERS[0]: "DELIVRD", NUMBERS[1]: "DELIVRD", NUMBERS[2]: {"outcome": "failed"}}
    connector = SimulatorConnector(SimulatorConfig.model_validate({"overrides": overrides}))

    # WHEN it is created: the reservation is held, the workflow started
    campaign = create_campaign(shop, draft)
    assert fakes.workflows.started == [(campaign.id, 1)]
    assert campaign.money.reserved > 0
    assert fakes.ledger.balance(shop.account_id).reserved == campaign.money.reserved

    # AND the workflow runs to its end
    _run_workflow(fakes, campaign.id, 1, clock, connector)

    # THEN the two deliveries are charged and the rest of the reservation refunded, once
    settled = visible_campaign(shop, campaign.id)
    assert settled.status is CampaignStatus.FINISHED and settled.progress.reconciled
    assert settled.stats()["delivered"] == 2 and settled.stats()["failed"] + settled.stats()["delivered"] == 3
    money = settled.money
    assert money.charged == 2 * money.tariff and money.refunded == money.tariff
    assert money.reserved == money.charged + money.released + money.refunded
    balance = fakes.ledger.balance(shop.account_id)
    assert (balance.balance, balance.reserved) == (1_000_000 - money.charged, 0)
    assert balance == totals_of(fakes.ledger.all_entries(shop.account_id))
    # AND a service campaign holds no ad-cap claim, so its failed attempt gives none back (R-CPL-2)
    assert fakes.ad_cap.claims == {} and fakes.ad_cap.releases == []
    with pytest.raises(Conflict):  # finished: nothing more to do
        perform_action(shop, campaign.id, "pause")


def test_r_bil_2_a_campaign_the_credit_cannot_cover_is_not_created(fakes: Fakes) -> None:
    admin = _admin()
    shop = _customer(admin, credit_amount=1)
    _approved_sender(admin, shop)
    with pytest.raises(InsufficientCredit):
        create_campaign(shop, _order_ready_sms())
    assert fakes.campaigns.campaigns == {} and fakes.workflows.started == []
    assert fakes.ledger.balance(shop.account_id).reserved == 0


def test_r_acc_reach_admission_reads_the_account_once_per_batch(
    fakes: Fakes, clock: LocalClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = _admin()
    shop = _customer(admin, credit_amount=1_000_000)
    _approved_sender(admin, shop)
    draft = _order_ready_sms()
    campaign = create_campaign(shop, draft)
    prepare(campaign.id, run=1, execution_arn="arn:fake:reads")
    reads: list[str] = []
    real_get = fakes.accounts.get

    def counted(account_id: str) -> Any:
        reads.append(account_id)
        return real_get(account_id)

    monkeypatch.setattr(fakes.accounts, "get", counted)
    # WHEN one admission task admits a batch (suspension, allowed countries and home region all checked)
    answer = admit(campaign.id, run=1)
    # THEN the account was read once
    assert visible_campaign(shop, campaign.id).progress.next_seq == len(NUMBERS), answer
    assert reads == [shop.account_id]


def test_r_cmp_5_cancel_parts_overtaken_by_the_workflow_reads_again_and_cancels(
    fakes: Fakes, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a voice ad with two smart parts whose first cancellation write is overtaken (the workflow moved the
    # campaign between the read and the conditional write)
    shop = _customer(_admin(), credit_amount=1_000_000)
    draft = CampaignDraft(
        name="Sale",
        channel=Channel.VOICE,
        category=Category.SERVICE,
        tts_text="Our sale starts today.",
        language="en",
        recipients=NUMBERS,
        retry=RetryPolicy(parts=2, delay_minutes=30, on=("no_answer",)),
    )
    campaign = create_campaign(shop, draft)
    store_cancel = fakes.campaigns.cancel_parts
    overtaken: list[int] = []

    def cancel_once_overtaken(current: Campaign, retry_parts: int, release: Posting | None) -> None:
        if not overtaken:
            overtaken.append(retry_parts)
            raise CampaignChanged(current.id)
        store_cancel(current, retry_parts, release)

    monkeypatch.setattr(fakes.campaigns, "cancel_parts", cancel_once_overtaken)
    # WHEN the owner cancels every smart part, THEN it is read again and cancelled, not refused with a 409
    cancelled, created = perform_action(shop, campaign.id, "cancel_all_parts")
    assert overtaken == [0] and not created
    assert cancelled.settings.retry is not None and cancelled.settings.retry.parts == 0


def test_r_dsp_1_a_batch_of_results_messages_writes_the_campaign_once_and_each_window_counts_once(
    fakes: Fakes, clock: LocalClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a placed batch of three SMS, its results split into three results messages (three batch ids)
    admin = _admin()
    shop = _customer(admin, credit_amount=1_000_000)
    _approved_sender(admin, shop)
    draft = _order_ready_sms()
    connector = SimulatorConnector(SimulatorConfig.model_validate({"overrides": dict.fromkeys(NUMBERS, "DELIVRD")}))
    campaign = create_campaign(shop, draft)
    prepare(campaign.id, run=1, execution_arn=f"arn:fake:{campaign.id}-1")
    admit(campaign.id, run=1)
    (dispatched,) = fakes.queue.take(DISPATCH_QUEUE)
    placed = place_batch(dispatched, connector=connector)
    assert placed is not None and len(placed["results"]) == 3
    one, two, three = (
        {**placed, "batch_id": f"{placed['batch_id']}-{n}", "results": [result]}
        for n, result in enumerate(placed["results"])
    )
    writes: list[str] = []
    real = fakes.campaigns.record_results

    def counting(campaign_id: str, batch_id: str, **figures: Any) -> bool:
        writes.append(",".join([batch_id, *figures.get("more_batch_ids", ())]))
        return real(campaign_id, batch_id, **figures)

    monkeypatch.setattr(fakes.campaigns, "record_results", counting)
    in_flight = visible_campaign(shop, campaign.id).progress.in_flight

    # WHEN two of them arrive in one invocation: one campaign write for both
    first = receive_many([one, two])
    assert writes == [f"{one['batch_id']},{two['batch_id']}"]
    assert [r.applied for r in first] == [1, 1]

    # AND a redelivery of one arrives beside the third: the joint write is refused, then each alone, once
    second = receive_many([two, three])
    assert writes[1:] == [f"{two['batch_id']},{three['batch_id']}", two["batch_id"], three["batch_id"]]
    assert [(r.applied, r.duplicates) for r in second] == [(0, 1), (1, 0)]

    # THEN every result counted and charged once
    after = visible_campaign(shop, campaign.id)
    assert after.progress.in_flight == in_flight - 3
    assert after.stats()["delivered"] == 3
    assert after.money.charged == 3 * after.money.tariff
