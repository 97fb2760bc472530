"""Contact lists as a user keeps them (issue 13; the seed's groups and numbers): rename, add and remove numbers
with an upload's line report, delete (campaigns keep their frozen audience), and clean by a campaign's results.
The recipients' results of the clean test are stored directly (no workflow runs here)."""

from __future__ import annotations

import base64
import threading
from typing import Any

import boto3
import pytest

from jarchi.campaigns.models import RecipientState
from jarchi.settings import Settings
from jarchi.store.recipients import S3DynamoRecipients
from tests.api import Api, assert_error
from tests.campaign_harness import Customer, new_customer


def numbers_of(api: Api, list_id: str) -> list[str]:
    page = api.get(f"/v1/contact-lists/{list_id}", limit=200).json()
    return [r["number"] for r in page["recipients"]["items"]]


def recipient_objects(settings: Settings, account_id: str, list_id: str) -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=settings.bucket_name("lists"), Prefix=f"lists/{account_id}/")
    return sorted(o["Key"] for o in listed.get("Contents", []) if f"/{list_id}/recipients" in o["Key"])


def new_list(api: Api, numbers: list[str], name: str = "Customers") -> dict[str, Any]:
    response = api.post("/v1/contact-lists", {"name": name, "numbers": numbers})
    assert response.status == 201, response.body
    body: dict[str, Any] = response.json()
    return body


def csv_file(text: str) -> dict[str, str]:
    return {"name": "more.csv", "content_base64": base64.b64encode(text.encode()).decode()}


@pytest.fixture
def shop(admin: Api) -> Customer:
    return new_customer(admin, "Shop")


def test_r_lst_a_list_is_renamed_and_numbers_are_added_and_removed_with_the_line_report(
    shop: Customer, aws: Settings
) -> None:
    created = new_list(shop.api, ["09120000001", "09120000002"])
    list_id = created["id"]

    renamed = shop.api.call("PATCH", f"/v1/contact-lists/{list_id}", {"name": "  VIP  "})
    assert renamed.status == 200, renamed.body
    assert (renamed.json()["name"], renamed.json()["version"], renamed.json()["kept"]) == ("VIP", 1, 2)
    assert_error(shop.api.call("PATCH", f"/v1/contact-lists/{list_id}", {"name": "   "}), 422, "validation_error")

    # WHEN numbers are added: one already on the list, one new written twice, one invalid
    added = shop.api.post(
        f"/v1/contact-lists/{list_id}/numbers", {"numbers": ["0912 000 0002", "+989120000003", "09120000003", "x1"]}
    )
    assert added.status == 200, added.body
    body = added.json()
    # THEN the report counts as an upload's does, duplicates against the list too
    assert (body["read"], body["invalid"], body["duplicate"], body["added"], body["kept"]) == (4, 1, 2, 1, 3)
    assert [(x["line"], x["value"]) for x in body["invalid_lines"]] == [(4, "x1")]
    assert numbers_of(shop.api, list_id) == ["+989120000001", "+989120000002", "+989120000003"]

    removed = shop.api.call(
        "DELETE", f"/v1/contact-lists/{list_id}/numbers", {"numbers": ["+989120000001", "09129999999", "nope"]}
    )
    assert removed.status == 200, removed.body
    body = removed.json()
    assert (body["read"], body["invalid"], body["removed"], body["not_listed"], body["kept"]) == (3, 1, 1, 1, 2)
    assert numbers_of(shop.api, list_id) == ["+989120000002", "+989120000003"]
    view = shop.api.get(f"/v1/contact-lists/{list_id}").json()
    assert (view["kept"], view["version"], view["read"]) == (2, 3, 2)  # the import's counts stay the creation's
    # Each edit wrote a new recipients object and removed the one it replaced
    objects = recipient_objects(aws, shop.account_id, list_id)
    assert len(objects) == 1 and objects[0].startswith(f"lists/{shop.account_id}/{list_id}/recipients.v3.")
    # Nothing to do answers the list as it is
    again = shop.api.post(f"/v1/contact-lists/{list_id}/numbers", {"numbers": ["09120000002"]}).json()
    assert (again["added"], again["duplicate"], again["kept"]) == (0, 1, 2)
    assert_error(shop.api.post(f"/v1/contact-lists/{list_id}/numbers", {}), 422, "numbers_required")
    assert_error(shop.api.post(f"/v1/contact-lists/{list_id}/numbers", {"numbers": []}), 400, "list_empty")


def test_r_lst_numbers_added_from_a_file_bring_their_columns_and_the_owners_limits(admin: Api, shop: Customer) -> None:
    created = shop.api.post(
        "/v1/contact-lists", {"name": "With names", "file": csv_file("phone,name\n09120000001,Ali\n")}
    ).json()
    list_id = created["id"]
    added = shop.api.post(
        f"/v1/contact-lists/{list_id}/numbers",
        {"file": csv_file("mobile,city\n09120000002,Tabriz\n+4915112345678,Berlin\n")},
    ).json()
    assert (added["added"], added["invalid"], added["not_allowed"]) == (1, 1, 1)
    assert added["invalid_lines"][0]["reason"] == "country_not_allowed"
    page = shop.api.get(f"/v1/contact-lists/{list_id}").json()
    assert page["columns"] == ["name", "city"]
    assert [r["values"] for r in page["recipients"]["items"]] == [
        {"name": "Ali", "city": ""},
        {"name": "", "city": "Tabriz"},
    ]
    # The owner's recipient limit holds for the list as a whole
    limited = admin.call("PATCH", f"/v1/accounts/{shop.account_id}", {"recipient_limit": 3})
    assert limited.status == 200, limited.body
    refused = shop.api.post(f"/v1/contact-lists/{list_id}/numbers", {"numbers": ["09120000003", "09120000004"]})
    assert_error(refused, 400, "too_many_recipients")
    assert len(numbers_of(shop.api, list_id)) == 2


def test_r_lst_a_deleted_list_is_gone_but_campaigns_created_from_it_keep_their_audience(
    shop: Customer, aws: Settings
) -> None:
    list_id = new_list(shop.api, ["09120000001", "09120000002"])["id"]
    campaign = shop.api.post(
        "/v1/campaigns",
        {
            "name": "from the list",
            "channel": "sms",
            "category": "service",
            "sms_text": "Shop: your order is ready",
            "sender": shop.sender,
            "contact_list_id": list_id,
            "auto_start": False,
        },
    )
    assert campaign.status == 201, campaign.body

    assert shop.api.delete(f"/v1/contact-lists/{list_id}").status == 204
    assert_error(shop.api.get(f"/v1/contact-lists/{list_id}"), 404, "contact_list_not_found")
    assert_error(shop.api.delete(f"/v1/contact-lists/{list_id}"), 404, "contact_list_not_found")
    assert recipient_objects(aws, shop.account_id, list_id) == []
    recipients = shop.api.get(f"/v1/campaigns/{campaign.json()['id']}/recipients").json()["items"]
    assert [r["number"] for r in recipients] == ["+989120000001", "+989120000002"]
    again = shop.api.post(
        "/v1/campaigns",
        {
            "name": "again",
            "channel": "sms",
            "category": "service",
            "sms_text": "Shop: x",
            "sender": shop.sender,
            "contact_list_id": list_id,
        },
    )
    assert_error(again, 404, "contact_list_not_found")


RESULTS = {
    "+989120000001": "invalid",
    "+989120000002": "undelivered",
    "+989120000003": "blacklisted",
    "+989120000004": "opted_out",
    "+989120000005": "delivered",
    "+989120000006": "rejected",
}


def test_r_lst_a_list_is_cleaned_of_the_numbers_a_campaign_could_not_reach(admin: Api, shop: Customer) -> None:
    numbers = [*RESULTS, "+989120000007"]  # the last one was never reached: pending
    list_id = new_list(shop.api, numbers)["id"]
    created = shop.api.post(
        "/v1/campaigns",
        {
            "name": "sent",
            "channel": "sms",
            "category": "service",
            "sms_text": "Shop: your order is ready",
            "sender": shop.sender,
            "contact_list_id": list_id,
            "auto_start": False,
        },
    )
    assert created.status == 201, created.body
    campaign_id = created.json()["id"]
    S3DynamoRecipients().save_all(
        [RecipientState(campaign_id, seq, number, 1, status=RESULTS[number]) for seq, number in enumerate(RESULTS)]
    )

    cleaned = shop.api.post(f"/v1/contact-lists/{list_id}/clean", {"campaign_id": campaign_id})
    assert cleaned.status == 200, cleaned.body
    body = cleaned.json()
    assert body["dropped"] == 4 and body["kept"] == 3
    assert body["by_reason"] == {"blacklisted": 1, "invalid": 1, "opted_out": 1, "undelivered": 1}
    assert numbers_of(shop.api, list_id) == ["+989120000005", "+989120000006", "+989120000007"]
    # Other reasons on request; nothing left to drop answers 0
    clean = f"/v1/contact-lists/{list_id}/clean"
    rejected = shop.api.post(clean, {"campaign_id": campaign_id, "reasons": ["rejected"]}).json()
    assert (rejected["dropped"], rejected["by_reason"], rejected["kept"]) == (1, {"rejected": 1}, 2)
    assert shop.api.post(f"/v1/contact-lists/{list_id}/clean", {"campaign_id": campaign_id}).json()["dropped"] == 0

    bad = shop.api.post(f"/v1/contact-lists/{list_id}/clean", {"campaign_id": campaign_id, "reasons": ["delivered"]})
    assert assert_error(bad, 422, "invalid_reasons")["unknown"] == ["delivered"]
    missing = shop.api.post(f"/v1/contact-lists/{list_id}/clean", {"campaign_id": "cmp_01missing"})
    assert_error(missing, 404, "campaign_not_found")
    # The admin sees both, but another account's campaign says nothing about this list
    other = new_customer(admin, "Other")
    other_list = new_list(other.api, ["09120000001"])["id"]
    foreign = admin.post(f"/v1/contact-lists/{other_list}/clean", {"campaign_id": campaign_id})
    assert_error(foreign, 422, "campaign_of_another_account")


def test_r_lst_edits_racing_on_one_list_lose_nothing(shop: Customer) -> None:
    list_id = new_list(shop.api, ["09120000001"])["id"]
    answers: list[int] = []

    def add(i: int) -> None:
        answers.append(shop.api.post(f"/v1/contact-lists/{list_id}/numbers", {"numbers": [f"0912100000{i}"]}).status)

    threads = [threading.Thread(target=add, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Each edit is written over the version it read: an answer is either written (200) or 409, never lost
    kept = numbers_of(shop.api, list_id)
    assert len(kept) == 1 + answers.count(200)
    assert set(answers) <= {200, 409}
