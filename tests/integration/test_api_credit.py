"""Credit and the ledger over the API (R-BIL-1, R-ACC-3), idempotency keys (R-API), the local clock (R-RUN-3)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from jarchi.billing.ledger import totals_of
from jarchi.store import ledger
from tests.api import Api, assert_error


def _credit(api: Api, account_id: str | None = None) -> dict[str, Any]:
    response = api.get("/v1/credit", account_id=account_id)
    assert response.status == 200, response.body
    result: dict[str, Any] = response.json()
    return result


def test_r_bil_1_admin_top_up_and_adjustment_are_ledger_entries(admin: Api) -> None:
    shop = admin.new_account("Shop")
    added = admin.post(f"/v1/accounts/{shop['id']}/credit", {"amount": 50_000, "reference": "invoice 7"}).json()
    assert added["entry"]["type"] == "top_up" and added["entry"]["amount"] == 50_000
    assert added["entry"]["reference"] == "invoice 7" and added["balance"] == 50_000
    adjusted = admin.post(f"/v1/accounts/{shop['id']}/credit", {"amount": -1_000}).json()
    assert adjusted["entry"]["type"] == "adjustment" and adjusted["balance"] == 49_000

    as_shop = admin.as_(admin.new_token(shop["id"]))
    assert _credit(as_shop) == {"balance": 49_000, "reserved": 0, "available": 49_000}
    entries = as_shop.get("/v1/credit/transactions").json()["items"]
    assert [(e["type"], e["amount"]) for e in entries] == [("adjustment", -1_000), ("top_up", 50_000)]
    assert all(e["created_at"].endswith("+00:00") for e in entries)


def test_r_bil_1_amounts_are_integer_minor_units(admin: Api) -> None:
    shop = admin.new_account("Shop")
    for bad in (10.5, "100", None, True, 0):
        response = admin.post(f"/v1/accounts/{shop['id']}/credit", {"amount": bad})
        assert response.status == 422, (bad, response.body)
    assert_error(admin.post(f"/v1/accounts/{shop['id']}/credit", {"amount": 10**16}), 422, "invalid_amount")
    assert _credit(admin, shop["id"])["balance"] == 0


def test_r_bil_1_adjustment_cannot_make_available_negative(admin: Api) -> None:
    shop = admin.new_account("Shop")
    admin.top_up(shop["id"], 100)
    error = assert_error(admin.post(f"/v1/accounts/{shop['id']}/credit", {"amount": -101}), 402, "insufficient_credit")
    assert error["required"] == 101 and error["available"] == 100
    assert _credit(admin, shop["id"])["balance"] == 100


def test_r_acc_3_reseller_tops_up_customer_from_own_balance_in_one_transaction(admin: Api) -> None:
    reseller = admin.new_account("Reseller", "reseller_1")
    admin.top_up(reseller["id"], 1_000)
    as_reseller = admin.as_(admin.new_token(reseller["id"]))
    customer = as_reseller.new_account("Bakery")

    assert as_reseller.top_up(customer["id"], 700)["balance"] == 700
    assert _credit(as_reseller)["balance"] == 300
    transfer = as_reseller.get("/v1/credit/transactions").json()["items"][0]
    assert transfer["type"] == "transfer" and transfer["amount"] == -700

    # not enough: nothing moves on either side
    error = assert_error(
        as_reseller.post(f"/v1/accounts/{customer['id']}/credit", {"amount": 301}), 402, "insufficient_credit"
    )
    assert error["available"] == 300
    assert _credit(as_reseller)["balance"] == 300
    assert _credit(as_reseller, customer["id"])["balance"] == 700
    assert len(as_reseller.get("/v1/credit/transactions", account_id=customer["id"]).json()["items"]) == 1

    assert_error(as_reseller.post(f"/v1/accounts/{reseller['id']}/credit", {"amount": 5}), 403, "credit_not_allowed")
    as_customer = admin.as_(as_reseller.new_token(customer["id"]))
    assert_error(as_customer.post(f"/v1/accounts/{customer['id']}/credit", {"amount": 5}), 403, "credit_not_allowed")


def test_r_bil_1_transactions_paginate_newest_first(admin: Api) -> None:
    shop = admin.new_account("Shop")
    for amount in range(1, 8):
        admin.top_up(shop["id"], amount)
    seen: list[int] = []
    cursor = None
    for _ in range(10):
        page = admin.get("/v1/credit/transactions", account_id=shop["id"], limit=3, cursor=cursor).json()
        seen += [e["amount"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [7, 6, 5, 4, 3, 2, 1]


def test_r_bil_1_balance_equals_ledger_sum_under_concurrent_top_ups(admin: Api) -> None:
    # GIVEN a reseller and a customer, topped up from many threads at once, by admin and by the reseller
    reseller = admin.new_account("Reseller", "reseller_1")
    admin.top_up(reseller["id"], 10_000)
    as_reseller = admin.as_(admin.new_token(reseller["id"]))
    customer = as_reseller.new_account("Bakery")
    statuses: list[int] = []

    def top_up(api: Api, amount: int) -> Callable[[], None]:
        return lambda: statuses.append(api.post(f"/v1/accounts/{customer['id']}/credit", {"amount": amount}).status)

    jobs = [top_up(admin, 7) for _ in range(20)] + [top_up(as_reseller, 600) for _ in range(20)]
    threads = [threading.Thread(target=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # THEN every answer was a success or a clean refusal, and each balance is exactly its ledger's sum
    assert set(statuses) <= {201, 402} and len(statuses) == 40
    assert statuses.count(402) == 4  # the reseller's 10,000 pays for 16 transfers of 600, not 20
    for account_id in (reseller["id"], customer["id"]):
        assert ledger.get_balance(account_id) == totals_of(ledger.all_entries(account_id))
    reseller_credit = _credit(admin, reseller["id"])["balance"]
    customer_credit = _credit(admin, customer["id"])["balance"]
    assert reseller_credit >= 0
    assert reseller_credit + customer_credit == 10_000 + 7 * 20  # money is neither made nor lost


def test_r_api_idempotency_key_replays_and_refuses_reuse_with_other_body(admin: Api) -> None:
    shop = admin.new_account("Shop")
    path = f"/v1/accounts/{shop['id']}/credit"
    first = admin.post(path, {"amount": 500}, headers={"Idempotency-Key": "k-1"})
    again = admin.post(path, {"amount": 500}, headers={"Idempotency-Key": "k-1"})
    assert first.status == again.status == 201
    assert first.json() == again.json() and again.headers.get("idempotent-replayed") == "true"
    assert _credit(admin, shop["id"])["balance"] == 500  # applied once

    assert_error(admin.post(path, {"amount": 600}, headers={"Idempotency-Key": "k-1"}), 422, "idempotency_key_reused")
    assert admin.post(path, {"amount": 600}, headers={"Idempotency-Key": "k-2"}).status == 201
    assert _credit(admin, shop["id"])["balance"] == 1_100


def test_r_api_idempotency_does_not_keep_refusals(admin: Api) -> None:
    shop = admin.new_account("Shop")
    path = f"/v1/accounts/{shop['id']}/credit"
    assert_error(admin.post(path, {"amount": -5}, headers={"Idempotency-Key": "k"}), 402, "insufficient_credit")
    admin.top_up(shop["id"], 10)
    assert admin.post(path, {"amount": -5}, headers={"Idempotency-Key": "k"}).status == 201


def test_r_api_idempotency_keys_are_scoped_per_account(admin: Api) -> None:
    alice, bob = admin.new_account("Alice"), admin.new_account("Bob")
    reseller = admin.new_account("Reseller", "reseller_1")
    admin.top_up(reseller["id"], 100)
    as_reseller = admin.as_(admin.new_token(reseller["id"]))
    del alice, bob
    c1 = as_reseller.new_account("C1")
    key = {"Idempotency-Key": "same"}
    assert as_reseller.post(f"/v1/accounts/{c1['id']}/credit", {"amount": 10}, headers=key).status == 201
    # the same key from another account is another request
    admin.top_up(c1["id"], 1)
    assert admin.post(f"/v1/accounts/{c1['id']}/credit", {"amount": 10}, headers=key).status == 201
    assert _credit(admin, c1["id"])["balance"] == 21


def test_r_run_3_local_clock_moves_forward_only_for_admin(admin: Api, clock: Any) -> None:
    before = admin.get("/v1/local/clock").json()["now"]
    assert before.startswith("2026-03-02T06:30:00")
    moved = admin.post("/v1/local/clock", {"advance_seconds": 3600}).json()["now"]
    assert moved.startswith("2026-03-02T07:30:00")
    assert_error(admin.post("/v1/local/clock", {"advance_seconds": -1}), 422, "validation_error")
    shop = admin.new_account("Shop")
    assert_error(
        admin.as_(admin.new_token(shop["id"])).post("/v1/local/clock", {"advance_seconds": 1}), 403, "admin_only"
    )
