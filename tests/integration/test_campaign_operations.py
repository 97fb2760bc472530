"""Operating a campaign through the API on the whole local platform (issue 12: R-CMP-3..6, R-REP-1, R-BIL-3):
archive and unarchive, comments, edits with `PATCH`, copy, the list's filters, and refusals as
`action_not_allowed`. Money is checked after every run: reserved = charged + released + refunded, and each
account's balance is the sum of its ledger."""

from __future__ import annotations

from typing import Any

import pytest

from jarchi.billing.ledger import totals_of
from jarchi.clock import LocalClock
from jarchi.store import ledger
from jarchi.store.campaigns import CampaignItem
from local.runtime import LocalRuntime
from tests.api import Api, assert_error
from tests.campaign_harness import Customer, assert_reconciled, create, new_customer, run_to_end

NUMBERS = [f"+98912{i:07d}" for i in range(21, 25)]
FAST = 360_000
LONG_TEXT = "your order is ready " * 9  # 2 segments with the sender's name in front


@pytest.fixture
def shop(admin: Api, platform: LocalRuntime) -> Customer:
    return new_customer(admin, "Shop")


def _body(customer: Customer, **extra: Any) -> dict[str, Any]:
    return {
        "name": "Order ready",
        "channel": "sms",
        "category": "service",
        "sms_text": f"{customer.sender}: your order is ready",
        "recipients": NUMBERS,
        "speed_per_hour": FAST,
        **extra,
    }


def _act(customer: Customer, campaign_id: str, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = customer.api.post(f"/v1/campaigns/{campaign_id}/{action}", body)
    assert response.status in (200, 201), (action, response.status, response.body)
    campaign: dict[str, Any] = response.json()
    return campaign


def _patch(customer: Customer, campaign_id: str, body: dict[str, Any]) -> Any:
    return customer.api.call("PATCH", f"/v1/campaigns/{campaign_id}", body)


def _list(customer: Customer, **query: Any) -> list[str]:
    response = customer.api.get("/v1/campaigns", **query)
    assert response.status == 200, response.body
    return [c["id"] for c in response.json()["items"]]


def _finish_run(platform: LocalRuntime, clock: LocalClock, *campaign_ids: str) -> None:
    for item in run_to_end(clock, campaign_ids, region=platform.settings.region):
        assert_reconciled(item)


def _ledger_exact(customer: Customer) -> None:
    balance = ledger.get_balance(customer.account_id)
    assert balance == totals_of(ledger.all_entries(customer.account_id))


def test_r_cmp_4_archive_hides_a_settled_campaign_and_unarchive_brings_it_back(
    shop: Customer, platform: LocalRuntime, clock: LocalClock
) -> None:
    # GIVEN a campaign on its way (its workflow may not have set it running yet): it cannot be archived (409
    # naming its status), and there is no DELETE
    campaign = create(shop, _body(shop))
    refused = assert_error(shop.api.post(f"/v1/campaigns/{campaign['id']}/archive"), 409, "action_not_allowed")
    assert refused["status"] in ("accepted", "running", "waiting_window") and refused["action"] == "archive"
    assert shop.api.delete(f"/v1/campaigns/{campaign['id']}").status in (404, 405)
    _finish_run(platform, clock, campaign["id"])
    # WHEN the finished campaign is archived
    archived = _act(shop, campaign["id"], "archive")
    # THEN it is hidden from the default list, shown with archived=true, and cannot be reset or archived again
    assert archived["status"] == "archived" and archived["archived"] is True
    assert campaign["id"] not in _list(shop)
    assert _list(shop, archived="true") == [campaign["id"]]
    for action in ("archive", "pause", "reset"):
        error = assert_error(shop.api.post(f"/v1/campaigns/{campaign['id']}/{action}"), 409, "action_not_allowed")
        assert error["status"] == "archived" and error["allowed"] == ["unarchive"]
    # WHEN unarchived it is back where it was, in the default list
    back = _act(shop, campaign["id"], "unarchive")
    assert back["status"] == "finished" and back["archived"] is False
    assert [h["status"] for h in back["history"]][-3:] == ["finished", "archived", "finished"]
    assert _list(shop) == [campaign["id"]] and _list(shop, archived="true") == []


def test_r_cmp_4_comments_and_edits_before_and_after_sending_starts(
    shop: Customer, platform: LocalRuntime, clock: LocalClock
) -> None:
    # GIVEN a campaign waiting for its owner's start
    campaign = create(shop, _body(shop, auto_start=False))
    one_segment = campaign["cost"]["estimated"]
    # WHEN the owner comments and renames it
    commented = _act(shop, campaign["id"], "comment", {"text": "for the evening shift"})
    assert [(c["author"], c["text"]) for c in commented["comments"]] == [("user", "for the evening shift")]
    assert_error(shop.api.post(f"/v1/campaigns/{campaign['id']}/comment", {}), 422, "comment_text_required")
    renamed = _patch(shop, campaign["id"], {"name": "Evening orders", "comment": "shift B"})
    assert renamed.status == 200, renamed.body
    assert (renamed.json()["name"], renamed.json()["comment"]) == ("Evening orders", "shift B")
    # WHEN the text grows to two segments, THEN the estimate and the reservation double in one step
    longer = _patch(shop, campaign["id"], {"sms_text": f"{shop.sender}: {LONG_TEXT}"})
    assert longer.status == 200, longer.body
    cost = longer.json()["cost"]
    assert cost["estimated"] == cost["reserved"] == 2 * one_segment
    assert ledger.get_balance(shop.account_id).reserved == 2 * one_segment
    # WHEN it shrinks back, THEN the difference is released, not refunded
    shorter = _patch(shop, campaign["id"], {"sms_text": f"{shop.sender}: ready", "speed_per_hour": FAST - 1})
    assert shorter.status == 200, shorter.body
    cost = shorter.json()["cost"]
    assert (cost["estimated"], cost["reserved"], cost["released"]) == (one_segment, 2 * one_segment, one_segment)
    assert shorter.json()["speed_per_hour"] == FAST - 1
    assert ledger.get_balance(shop.account_id).reserved == one_segment
    # A service text still passes the content rules (R-SMS-1)
    assert_error(
        _patch(shop, campaign["id"], {"sms_text": f"{shop.sender}: see https://x.example"}), 400, "content_not_allowed"
    )
    # WHEN it has run, THEN text, start and speed are no longer editable; name and comment still are
    _act(shop, campaign["id"], "start")
    _finish_run(platform, clock, campaign["id"])
    for field, value in (("sms_text", "x"), ("start_at", "2030-01-01T00:00:00+00:00"), ("speed_per_hour", 10)):
        error = assert_error(_patch(shop, campaign["id"], {field: value}), 409, "not_editable")
        assert error["status"] == "finished" and error["fields"] == [field]
    assert _patch(shop, campaign["id"], {"name": "Done"}).json()["name"] == "Done"
    # A PATCH of nulls (found by the fuzzer: it answered 500) changes nothing and shows the campaign
    unchanged = _patch(shop, campaign["id"], {"speed_per_hour": None, "name": None})
    assert unchanged.status == 200 and unchanged.json()["name"] == "Done", unchanged.body
    assert_reconciled(CampaignItem.get(campaign["id"], consistent_read=True))
    _ledger_exact(shop)


def test_r_cmp_4_copy_is_a_new_campaign_sharing_the_audience_with_its_own_reservation(
    shop: Customer, platform: LocalRuntime, clock: LocalClock
) -> None:
    # GIVEN a finished campaign
    original = create(shop, _body(shop, windows=[{"start": "07:00", "end": "23:00"}], validity_minutes=90))
    assert original["validity_minutes"] == 90
    _finish_run(platform, clock, original["id"])
    # WHEN it is copied
    response = shop.api.post(f"/v1/campaigns/{original['id']}/copy")
    # THEN a new campaign answers 201 with the same settings, created as new, with its own reservation
    assert response.status == 201, response.body
    copy = response.json()
    assert copy["id"] != original["id"] and copy["copied_from"] == original["id"]
    assert (copy["name"], copy["stats"]["total"], copy["tags"]) == (original["name"], 4, ["interval"])
    assert copy["history"][0]["status"] == "accepted" and copy["cost"]["reserved"] == original["cost"]["estimated"]
    assert copy["reset_count"] == 0 and copy["comments"] == [] and copy["validity_minutes"] == 90
    items = {i: CampaignItem.get(i, consistent_read=True) for i in (original["id"], copy["id"])}
    assert items[original["id"]].audience_key == items[copy["id"]].audience_key
    # and it runs and settles on its own
    _finish_run(platform, clock, copy["id"])
    assert _list(shop, tag="interval") == [copy["id"], original["id"]]
    _ledger_exact(shop)


def test_r_rep_1_the_list_filters_by_text_status_tag_and_creation_time(
    shop: Customer, platform: LocalRuntime, clock: LocalClock
) -> None:
    first = create(shop, _body(shop, name="Morning news", auto_start=False))
    clock.advance(60)
    second = create(shop, _body(shop, name="Evening news", auto_start=False, days_of_week=[1, 2, 3, 4, 5, 6, 7]))
    assert _list(shop, q="news") == [second["id"], first["id"]]
    assert _list(shop, q="Evening") == [second["id"]] and _list(shop, q=first["id"]) == [first["id"]]
    assert _list(shop, status="accepted", tag="interval") == [second["id"]]
    assert _list(shop, created_to=second["created_at"]) == [first["id"]]
    assert _list(shop, created_from=second["created_at"]) == [second["id"]]
    assert _list(shop, status="running") == []
    assert_error(shop.api.get("/v1/campaigns", status="sleeping"), 422, "validation_error")


def test_r_cmp_4_patch_changes_sender_and_recipients_before_sending_and_moves_the_reservation_with_them(
    admin: Api, shop: Customer, platform: LocalRuntime, clock: LocalClock
) -> None:
    # GIVEN a campaign of four waiting for its owner's start, and a second sender not approved yet
    campaign = create(shop, _body(shop, auto_start=False))
    per_recipient = campaign["cost"]["estimated"] // len(NUMBERS)
    night = shop.api.post("/v1/senders", {"name": "Night"}).json()
    night_text = {"sender": "Night", "sms_text": "Night: your order is ready"}
    assert_error(_patch(shop, campaign["id"], night_text), 422, "sender_not_registered")
    assert admin.post(f"/v1/senders/{night['id']}/moderation", {"decision": "approve"}).status == 200
    # WHEN the sender changes (with a text that names it, R-SMS-1) THEN it is the campaign's sender
    changed = _patch(shop, campaign["id"], night_text)
    assert changed.status == 200, changed.body
    assert (changed.json()["sender"], changed.json()["sms_text"]) == ("Night", "Night: your order is ready")
    assert_error(_patch(shop, campaign["id"], {"sender": shop.sender}), 400, "content_not_allowed")
    # WHEN two more recipients are added THEN the estimate and the reservation grow in the same step
    six = [*NUMBERS, "+989120000031", "09120000032"]
    grown = _patch(shop, campaign["id"], {"recipients": six})
    assert grown.status == 200, grown.body
    assert grown.json()["stats"]["total"] == 6
    assert grown.json()["cost"]["estimated"] == grown.json()["cost"]["reserved"] == 6 * per_recipient
    assert ledger.get_balance(shop.account_id).reserved == 6 * per_recipient
    # AND a bad number, two sources, or more than the account can pay change nothing
    assert_error(_patch(shop, campaign["id"], {"recipients": ["12"]}), 422, "invalid_recipients")
    both = {"recipients": NUMBERS, "contact_list_id": "cl_x"}
    assert_error(_patch(shop, campaign["id"], both), 422, "recipients_required")
    assert_error(_patch(shop, campaign["id"], {"recipients": []}), 422, "recipients_required")
    balance = ledger.get_balance(shop.account_id)
    admin.post(f"/v1/accounts/{shop.account_id}/credit", {"amount": -(balance.available - per_recipient)})
    many = [f"+98912{i:07d}" for i in range(100, 110)]
    assert_error(_patch(shop, campaign["id"], {"recipients": many}), 402, "insufficient_credit")
    unchanged = shop.api.get(f"/v1/campaigns/{campaign['id']}").json()
    assert (unchanged["stats"]["total"], unchanged["cost"]["reserved"]) == (6, 6 * per_recipient)
    # WHEN a contact list of two replaces them THEN what the four no longer need is released
    listed = shop.api.post("/v1/contact-lists", {"name": "VIP", "numbers": NUMBERS[:2]}).json()
    shrunk = _patch(shop, campaign["id"], {"contact_list_id": listed["id"]})
    assert shrunk.status == 200, shrunk.body
    body = shrunk.json()
    assert (body["stats"]["total"], body["contact_list_id"]) == (2, listed["id"])
    assert (body["cost"]["estimated"], body["cost"]["released"]) == (2 * per_recipient, 4 * per_recipient)
    # AND once it has run, only the list's two were sent to, the money is exact, and the audience is fixed
    _act(shop, campaign["id"], "start")
    _finish_run(platform, clock, campaign["id"])
    recipients = shop.api.get(f"/v1/campaigns/{campaign['id']}/recipients").json()["items"]
    assert sorted(r["number"] for r in recipients) == sorted(NUMBERS[:2])
    for field, value in (("recipients", NUMBERS), ("sender", "Night"), ("contact_list_id", listed["id"])):
        error = assert_error(_patch(shop, campaign["id"], {field: value}), 409, "not_editable")
        assert error["fields"] == [field]
    _ledger_exact(shop)
