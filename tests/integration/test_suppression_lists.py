"""R-CPL-3 suppression lists over the API on moto: the account's own stop list (add, import a file, list,
remove), the telecom blacklist (admin import), the platform's ad opt-out list (admin read and remove, with
the reason and date it was added). Admission reads them with BatchGetItem (`memberships`)."""

from __future__ import annotations

import base64
import time
from datetime import datetime
from typing import Any

import pytest
import requests

from functions.imports import handler as imports_handler
from jarchi.compliance.adcap import SuppressionList
from jarchi.lists import imports
from jarchi.store.suppression import DynamoSuppression
from local.runtime import LocalRuntime
from tests.api import Api, assert_error


def _customer(admin: Api, name: str = "Shop") -> tuple[str, Api]:
    account = admin.new_account(name)
    return account["id"], admin.as_(admin.new_token(account["id"]))


def _file(data: bytes, name: str = "numbers.csv") -> dict[str, Any]:
    return {"file": {"name": name, "content_base64": base64.b64encode(data).decode()}}


def test_r_cpl_3_the_stop_list_is_kept_by_its_account(admin: Api) -> None:
    shop_id, shop = _customer(admin)
    other_id, other = _customer(admin, "Other")
    added = shop.post("/v1/stop-list", {"numbers": ["09120000001", "not a number", "+989120000002"]})
    assert added.status == 201, added.body
    assert {k: added.json()[k] for k in ("read", "invalid", "added")} == {"read": 3, "invalid": 1, "added": 2}
    assert added.json()["invalid_lines"] == [{"line": 2, "value": "not a number", "reason": "not_a_number"}]
    # A file: CSV with a header (reported as a line, like any value that is not a number), a BOM, CRLF.
    csv = "\ufeffphone,name\r\n0912 000 0003,Ali\r\n09120000001,again\r\n".encode()
    imported = shop.post("/v1/stop-list", _file(csv)).json()
    assert (imported["read"], imported["invalid"], imported["added"]) == (3, 1, 2)
    assert imported["invalid_lines"][0]["line"] == 1

    page = shop.get("/v1/stop-list", limit=2).json()
    assert [e["number"] for e in page["items"]] == ["+989120000001", "+989120000002"]
    assert page["items"][0]["reason"] == "api" and page["items"][0]["added_at"]
    rest = shop.get("/v1/stop-list", limit=2, cursor=page["next_cursor"]).json()
    assert [e["number"] for e in rest["items"]] == ["+989120000003"] and rest["next_cursor"] is None
    assert other.get("/v1/stop-list").json()["items"] == []  # each account its own list

    # Admission's lookup sees exactly the owner's list.
    lists = DynamoSuppression()
    assert lists.memberships(["+989120000003"], shop_id) == {"+989120000003": {SuppressionList.ACCOUNT_STOP_LIST}}
    assert lists.memberships(["+989120000003"], other_id) == {}

    removed = shop.call("DELETE", "/v1/stop-list", {"numbers": ["09120000001", "09120000009"]})
    assert removed.status == 200, removed.body
    assert (removed.json()["removed"], removed.json()["not_listed"]) == (1, 1)
    assert [e["number"] for e in shop.get("/v1/stop-list").json()["items"]] == ["+989120000002", "+989120000003"]
    assert_error(shop.post("/v1/stop-list", {}), 422, "numbers_required")
    assert_error(shop.post("/v1/stop-list", {"numbers": []}), 400, "list_empty")


def test_r_cpl_3_the_telecom_blacklist_is_imported_by_the_admin(admin: Api) -> None:
    shop_id, shop = _customer(admin)
    numbers = "\n".join(f"0912{n:07d}" for n in range(1_000)).encode()
    assert_error(shop.post("/v1/blacklist", _file(numbers)), 403, "admin_only")
    imported = admin.post("/v1/blacklist", _file(numbers, "blacklist.txt"))
    assert imported.status == 201, imported.body
    assert (imported.json()["read"], imported.json()["added"], imported.json()["invalid"]) == (1_000, 1_000, 0)
    found = DynamoSuppression().memberships(["+989120000999", "+989130000000"], shop_id)
    assert found == {"+989120000999": {SuppressionList.TELECOM_BLACKLIST}}


def test_r_cpl_3_the_admin_reads_and_removes_an_ad_opt_out(admin: Api) -> None:
    _, shop = _customer(admin)
    # Vote 11 in campaign cmp_1 put the number on the list (what the results handler writes).
    DynamoSuppression().add(
        SuppressionList.AD_OPT_OUT, "+989120000007", added_at="2026-03-01T10:00:00+03:30", source="cmp_1"
    )
    assert_error(shop.get("/v1/opt-outs/09120000007"), 403, "admin_only")
    entry = admin.get("/v1/opt-outs/09120000007")
    assert entry.status == 200, entry.body
    body = entry.json()
    assert (body["number"], body["reason"]) == ("+989120000007", "cmp_1")
    assert datetime.fromisoformat(body["added_at"]) == datetime.fromisoformat("2026-03-01T10:00:00+03:30")
    assert_error(admin.get("/v1/opt-outs/12"), 400, "invalid_number")
    assert_error(shop.delete("/v1/opt-outs/09120000007"), 403, "admin_only")
    assert admin.delete("/v1/opt-outs/09120000007").status == 204
    assert_error(admin.get("/v1/opt-outs/09120000007"), 404, "opt_out_not_found")
    assert_error(admin.delete("/v1/opt-outs/09120000007"), 404, "opt_out_not_found")


def test_r_cpl_3_a_blacklist_too_big_for_a_request_is_uploaded_and_imported_in_slices(
    admin: Api, platform: LocalRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN every invocation of the imports function has time for one checkpoint of 200 numbers only
    monkeypatch.setattr(imports, "CHECKPOINT_NUMBERS", 200)
    monkeypatch.setattr(imports_handler, "RESERVE_MS", 10**9)
    created = admin.post("/v1/blacklist/imports")
    assert created.status == 201, created.body
    upload = created.json()
    assert upload["status"] == "awaiting_upload" and upload["method"] == "PUT"
    assert_error(admin.post(f"/v1/blacklist/imports/{upload['id']}/start"), 409, "upload_incomplete")
    _, shop = _customer(admin)
    assert_error(shop.post("/v1/blacklist/imports"), 403, "admin_only")

    data = "\n".join([*(f"0935{i:07d}" for i in range(1_000)), "not a number"]).encode()
    put = requests.put(upload["upload_url"], data=data, timeout=10)
    assert put.status_code == 200, put.text
    started = admin.post(f"/v1/blacklist/imports/{upload['id']}/start")
    assert started.status == 202, started.body
    assert (started.json()["status"], started.json()["size_bytes"]) == ("queued", len(data))

    # WHEN the imports function runs from the queue, handing over to itself
    deadline = time.monotonic() + 60
    status = started.json()
    while status["status"] != "done" and time.monotonic() < deadline:
        time.sleep(0.2)
        status = admin.get(f"/v1/blacklist/imports/{upload['id']}").json()

    # THEN it took one invocation per 200 numbers and read every line once
    assert status["status"] == "done", status
    assert (status["read"], status["invalid"], status["added"], status["offset"]) == (1_001, 1, 1_000, len(data))
    assert status["invocations"] == 6 and status["invalid_lines"] == [
        {"line": 1_001, "value": "not a number", "reason": "invalid"}
    ]
    assert status["error"] is None
    assert_error(admin.post(f"/v1/blacklist/imports/{upload['id']}/start"), 409, "import_already_started")
    store = DynamoSuppression()
    for number in ("+989350000000", "+989350000999"):
        entry = store.entry(SuppressionList.TELECOM_BLACKLIST, number)
        assert entry is not None and entry.source == upload["id"]
