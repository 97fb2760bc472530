"""Reports over real HTTP (issue 16: R-REP-3): a campaign runs, is retried for the number that failed, and
both export formats are downloaded and read back (the csv module, openpyxl); every row equals the recipient
list's answer for its part."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl

from tests.e2e.conftest import HttpApi, Platform, customer_with_sender
from tests.e2e.test_operating_a_campaign import DELIVERED, UNDELIVERED, _finished

COLUMNS = ["number", "status", "attempts", "vote", "listened_seconds", "cost", "reason", "delivery_status", "part"]


def _recipient_rows(api: HttpApi, campaign: dict[str, Any]) -> list[list[str]]:
    rows = []
    for part in campaign["parts"]:
        cursor = None
        while True:
            page = api.ok(
                "GET", f"/v1/campaigns/{campaign['id']}/recipients", part=part["part"], limit=1, cursor=cursor
            )
            rows += [
                ["" if r[c] is None else str(r[c]) for c in COLUMNS[:-1]] + [str(part["part"])] for r in page["items"]
            ]
            cursor = page["next_cursor"]
            if cursor is None:
                break
    return rows


def test_r_rep_3_both_export_formats_read_back_equal_to_the_recipient_list(platform: Platform) -> None:
    admin = platform.admin
    shop = customer_with_sender(admin, "Bakery")
    body = {
        "name": "نان تازه",
        "channel": "sms",
        "category": "service",
        "sms_text": "Bakery: fresh bread at 17:00",
        "sender": "Bakery",
        "recipients": [DELIVERED, UNDELIVERED],
    }
    campaign_id = shop.ok("POST", "/v1/campaigns", body, status=201)["id"]
    _finished(shop, admin, campaign_id, part=0)
    shop.ok("POST", f"/v1/campaigns/{campaign_id}/retry_failed")
    campaign = _finished(shop, admin, campaign_id, part=1)
    expected = _recipient_rows(shop, campaign)
    assert len(expected) == 3  # two in the first send, the undelivered one again

    response = shop.get(f"/v1/campaigns/{campaign_id}/export", format="csv")
    assert response.status == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.body.decode("utf-8-sig"))))
    assert rows[0] == COLUMNS and rows[1:] == expected

    response = shop.get(f"/v1/campaigns/{campaign_id}/export", format="xlsx")
    assert response.status == 200 and response.headers["content-type"].startswith("application/vnd.openxml")
    sheet = openpyxl.load_workbook(io.BytesIO(response.body), read_only=True).active
    assert sheet is not None
    cells = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert cells[0] == COLUMNS and cells[1:] == expected
