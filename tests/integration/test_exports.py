"""Exports of a campaign's recipients (R-REP-3, SPEC §14): the file itself up to 10,000 rows, CSV with a BOM
and formulas neutralised, Excel read back with openpyxl; larger exports in the background to S3 with a
presigned URL; another tenant's export is not there."""

from __future__ import annotations

import csv
import io
import time
from typing import IO, Any

import openpyxl
import pytest
import requests

from jarchi import clock as jarchi_clock
from jarchi.clock import LocalClock
from jarchi.ids import new_id
from jarchi.reports import exports
from jarchi.reports.export_writing import ExportPorts, run_export
from jarchi.reports.files import FileFormat
from jarchi.reports.ports import ExportRecord, ExportStatus
from jarchi.resources import EXPORTS_QUEUE
from local.runtime import LocalRuntime
from tests.api import Api, assert_error
from tests.campaign_harness import Customer, finished_sms, new_customer

NUMBERS = [f"+98912{i:07d}" for i in range(31, 36)]
COLUMNS = ["number", "status", "attempts", "vote", "listened_seconds", "cost", "reason", "delivery_status", "part"]


@pytest.fixture
def shop(admin: Api, platform: LocalRuntime) -> Customer:
    return new_customer(admin, "Shop")


def _finished_campaign(shop: Customer, platform: LocalRuntime, clock: LocalClock) -> dict[str, Any]:
    return finished_sms(shop, NUMBERS, clock, platform.settings.region)


def _recipients(shop: Customer, campaign_id: str) -> list[dict[str, Any]]:
    response = shop.api.get(f"/v1/campaigns/{campaign_id}/recipients", limit=200)
    assert response.status == 200, response.body
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _ready(api: Api, export_id: str) -> dict[str, Any]:
    """The export's record once the exports function wrote it (30 s at most)."""
    deadline = time.monotonic() + 30
    while True:
        status: dict[str, Any] = api.get(f"/v1/exports/{export_id}").json()
        if status["status"] == "ready" or time.monotonic() > deadline:
            return status
        time.sleep(0.05)


def _as_text(item: dict[str, Any]) -> list[str]:
    return ["" if item[c] is None else str(item[c]) for c in COLUMNS[:-1]] + ["0"]


def test_r_rep_3_export_answers_csv_with_a_bom_and_excel_rows_equal_to_the_recipient_list(
    shop: Customer, platform: LocalRuntime, clock: LocalClock
) -> None:
    campaign = _finished_campaign(shop, platform, clock)
    expected = [_as_text(item) for item in _recipients(shop, campaign["id"])]
    assert len(expected) == len(NUMBERS)

    response = shop.api.get(f"/v1/campaigns/{campaign['id']}/export", format="csv")
    assert response.status == 200, response.body
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == f'attachment; filename="{campaign["id"]}-recipients.csv"'
    assert response.body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.body.decode("utf-8-sig"))))
    assert rows[0] == COLUMNS and rows[1:] == expected

    response = shop.api.get(f"/v1/campaigns/{campaign['id']}/export", format="xlsx")
    assert response.status == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.body), read_only=True).active
    assert sheet is not None
    cells = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert cells[0] == COLUMNS and cells[1:] == expected

    assert_error(shop.api.get(f"/v1/campaigns/{campaign['id']}/export", format="pdf"), 422, "validation_error")


def test_r_rep_3_a_large_export_runs_in_the_background_and_answers_a_presigned_url(
    shop: Customer, admin: Api, platform: LocalRuntime, clock: LocalClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign = _finished_campaign(shop, platform, clock)
    monkeypatch.setattr(exports, "SYNC_EXPORT_ROWS", 2)  # five rows are "large" here
    response = shop.api.get(f"/v1/campaigns/{campaign['id']}/export", format="xlsx")
    assert response.status == 202, response.body
    export_id = response.json()["export_id"]

    status = _ready(shop.api, export_id)
    assert status["status"] == "ready" and status["rows"] == len(NUMBERS), status
    downloaded = requests.get(status["url"], timeout=10)
    assert downloaded.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(downloaded.content), read_only=True).active
    assert sheet is not None
    cells = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert cells[1:] == [_as_text(item) for item in _recipients(shop, campaign["id"])]

    stranger = new_customer(admin, "Stranger")
    assert_error(stranger.api.get(f"/v1/exports/{export_id}"), 404, "export_not_found")
    assert_error(stranger.api.get(f"/v1/campaigns/{campaign['id']}/export"), 404, "campaign_not_found")


def test_r_rep_3_an_export_failing_on_its_messages_last_delivery_is_marked_failed(
    shop: Customer, platform: LocalRuntime, clock: LocalClock
) -> None:
    campaign = _finished_campaign(shop, platform, clock)
    wired = ExportPorts.wired()

    class BucketDown:
        """The exports bucket refusing every upload."""

        def key(self, account_id: str, export_id: str, file_format: FileFormat) -> str:
            return wired.files.key(account_id, export_id, file_format)

        def upload(self, key: str, source: IO[bytes], content_type: str, filename: str) -> None:
            raise ConnectionError("S3 unavailable")

        def download_url(self, key: str, seconds: int) -> str:
            raise AssertionError("no file to download")

    ports = ExportPorts(wired.exports, BucketDown(), wired.queue, wired.campaigns, wired.ledger)
    record = ExportRecord(
        new_id("exp"), shop.account_id, campaign["id"], FileFormat.CSV, ExportStatus.QUEUED, jarchi_clock.now()
    )
    wired.exports.create(record)  # as queued, its message taken by this test rather than the platform

    # every delivery but the last raises, so SQS delivers the message again; the export stays running
    for delivery in range(1, EXPORTS_QUEUE.max_receive_count):
        with pytest.raises(ConnectionError):
            run_export(record.id, delivery=delivery, ports=ports)
        assert shop.api.get(f"/v1/exports/{record.id}").json()["status"] == "running"

    # the last marks it failed with the error's name, and a later delivery leaves it so
    failed = run_export(record.id, delivery=EXPORTS_QUEUE.max_receive_count, ports=ports)
    assert (failed.status, failed.error) == (ExportStatus.FAILED, "ConnectionError")
    assert run_export(record.id, delivery=1, ports=ports).status is ExportStatus.FAILED
    status = shop.api.get(f"/v1/exports/{record.id}").json()
    assert (status["status"], status["error"], status["url"]) == ("failed", "ConnectionError", None), status


def test_r_bil_1_transactions_filter_by_type_and_period_and_export_with_formulas_neutralised(
    shop: Customer, admin: Api, clock: LocalClock
) -> None:
    admin.post(f"/v1/accounts/{shop.account_id}/credit", {"amount": 500, "reference": "=HYPERLINK(1)"})
    clock.advance(3600)
    middle = clock.now().isoformat()
    admin.post(f"/v1/accounts/{shop.account_id}/credit", {"amount": 700, "reference": "@later"})
    everything = shop.api.get("/v1/credit/transactions", limit=200).json()["items"]
    top_ups = shop.api.get("/v1/credit/transactions", type="top_up", limit=200).json()["items"]
    assert len(top_ups) == 3 and all(e["type"] == "top_up" for e in top_ups)  # the harness's, then ours
    assert [e["amount"] for e in top_ups[:2]] == [700, 500]
    after = shop.api.get("/v1/credit/transactions", created_from=middle).json()["items"]
    before = shop.api.get("/v1/credit/transactions", created_to=middle, limit=200).json()["items"]
    assert [e["reference"] for e in after] == ["@later"]
    assert len(before) + len(after) == len(everything)

    response = shop.api.get("/v1/credit/transactions/export", format="csv", type="top_up")
    assert response.status == 200, response.body
    rows = list(csv.reader(io.StringIO(response.body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["id", "type", "amount"]
    assert [(r[0], r[6]) for r in rows[1:3]] == [(top_ups[0]["id"], "'@later"), (top_ups[1]["id"], "'=HYPERLINK(1)")]
    response = shop.api.get("/v1/credit/transactions/export", format="xlsx", created_from=middle)
    sheet = openpyxl.load_workbook(io.BytesIO(response.body), read_only=True).active
    assert sheet is not None
    assert [row[6] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["'@later"]


def test_r_bil_1_a_large_transactions_export_runs_in_the_background_through_the_exports_function(
    shop: Customer, admin: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    for reference in ("first", "second", "third"):
        admin.post(f"/v1/accounts/{shop.account_id}/credit", {"amount": 100, "reference": reference})
    top_ups = shop.api.get("/v1/credit/transactions", type="top_up", limit=200).json()["items"]
    monkeypatch.setattr(exports, "SYNC_EXPORT_ROWS", 2)  # four top-ups are "large" here
    response = shop.api.get("/v1/credit/transactions/export", format="csv", type="top_up")
    assert response.status == 202, response.body

    # the exports function reads the ledger (its by-account key range, newest first) and writes the file
    status = _ready(shop.api, response.json()["export_id"])
    assert status["status"] == "ready" and status["rows"] == len(top_ups) == 4, status
    downloaded = requests.get(status["url"], timeout=10)
    rows = list(csv.reader(io.StringIO(downloaded.content.decode("utf-8-sig"))))
    assert [(r[0], r[6]) for r in rows[1:]] == [(e["id"], e["reference"] or "") for e in top_ups]


def test_r_acc_4_demo_accounts_may_not_export(admin: Api, platform: LocalRuntime) -> None:
    demo = admin.new_account("Demo", "demo")
    api = admin.as_(admin.new_token(demo["id"]))
    assert_error(api.get("/v1/credit/transactions/export", format="csv"), 403, "not_allowed_for_demo")
    admin.top_up(demo["id"], 100_000)
    body = {"name": "Try", "channel": "voice", "category": "service", "tts_text": "Hello", "language": "en"}
    created = api.post("/v1/campaigns", {**body, "recipients": ["+989120000071"]})
    assert created.status == 201, created.body
    for file_format in ("csv", "xlsx"):
        refused = api.get(f"/v1/campaigns/{created.json()['id']}/export", format=file_format)
        assert_error(refused, 403, "not_allowed_for_demo")
