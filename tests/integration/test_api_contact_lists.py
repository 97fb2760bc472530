"""Contact lists over the API: inline, CSV, text, xlsx, presigned uploads, per-number data (R-LST-1..4)."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import boto3
import pytest
import requests
from openpyxl import Workbook

from jarchi.settings import Settings
from tests.api import Api, assert_error
from tests.campaign_harness import allow_countries


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def customer(admin: Api, name: str = "Shop", **extra: Any) -> tuple[dict[str, Any], Api]:
    account = admin.new_account(name, **extra)
    return account, admin.as_(admin.new_token(account["id"]))


def with_file(api: Api, data: bytes, file_name: str = "list.csv", name: str = "Customers") -> Any:
    return api.post("/v1/contact-lists", {"name": name, "file": {"name": file_name, "content_base64": b64(data)}})


def xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def list_items(settings: Settings) -> list[dict[str, Any]]:
    return boto3.client("dynamodb").scan(TableName=settings.table_name("contact_lists"))["Items"]


def s3_keys(settings: Settings) -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=settings.bucket_name("lists"))
    return sorted(o["Key"] for o in listed.get("Contents", []))


def mobile(i: int) -> str:
    return f"0912{i:07d}"


def test_r_lst_1_inline_numbers_are_normalised_and_counted(admin: Api, aws: Settings) -> None:
    account, shop = customer(admin)
    numbers = ["0912 123 4567", "+989121234567", "۰۹۱۲۷۶۵۴۳۲۱", "12", "not a number"]
    response = shop.post("/v1/contact-lists", {"name": "VIP", "numbers": numbers})
    assert response.status == 201, response.body
    body = response.json()
    assert (body["read"], body["invalid"], body["duplicate"], body["kept"]) == (5, 2, 1, 2)
    assert [(x["line"], x["value"]) for x in body["invalid_lines"]] == [(4, "12"), (5, "not a number")]
    assert body["format"] == "inline" and body["columns"] == [] and body["name"] == "VIP"

    page = shop.get(f"/v1/contact-lists/{body['id']}").json()
    assert [r["number"] for r in page["recipients"]["items"]] == ["+989121234567", "+989127654321"]
    assert s3_keys(aws) == [f"lists/{account['id']}/{body['id']}/recipients.jsonl"]


def test_r_lst_2_seed_example_thousand_rows_with_duplicates_and_invalid(admin: Api, aws: Settings) -> None:
    account, shop = customer(admin)
    # GIVEN 1,000 rows: 950 distinct numbers, 40 repeats written differently, 10 invalid values
    rows = [mobile(i) for i in range(950)]
    rows += [f"+98 912 {i:07d}" for i in range(40)]
    rows += [f"bad-{i}" for i in range(10)]
    data = ("phone,name\n" + "\n".join(f"{n},Name {i}" for i, n in enumerate(rows))).encode()
    # WHEN it is uploaded as CSV
    body = with_file(shop, data).json()
    # THEN every row is accounted for, the invalid ones with their editor line (header = line 1)
    assert (body["read"], body["invalid"], body["duplicate"], body["kept"]) == (1000, 10, 40, 950)
    assert body["invalid_lines"][0] == {"line": 992, "value": "bad-0", "reason": "not_a_number"}
    assert body["columns"] == ["name"] and body["format"] == "text"
    assert s3_keys(aws) == [
        f"lists/{account['id']}/{body['id']}/original",
        f"lists/{account['id']}/{body['id']}/recipients.jsonl",
    ]


def test_r_lst_1_csv_columns_text_and_xlsx(admin: Api) -> None:
    _, shop = customer(admin)
    csv_list = with_file(shop, b"Mobile;Abonent name;City\n09121234567;Ali;Tehran\n09127654321;Sara;\n").json()
    assert csv_list["columns"] == ["Abonent name", "City"] and csv_list["kept"] == 2

    text = with_file(shop, b"09121234567\n09127654321\n\n09121234567\n", "numbers.txt").json()
    assert (text["read"], text["duplicate"], text["kept"], text["columns"]) == (3, 1, 2, [])

    book = xlsx([["phone", "name"], [9121234567, "Ali"], ["09127654321", "Sara"], ["oops", "Bad"]])
    sheet = with_file(shop, book, "list.xlsx").json()
    assert (sheet["format"], sheet["kept"], sheet["invalid"], sheet["columns"]) == ("xlsx", 2, 1, ["name"])
    assert sheet["invalid_lines"] == [{"line": 4, "value": "oops", "reason": "not_a_number"}]

    detail = shop.get(f"/v1/contact-lists/{csv_list['id']}").json()
    values = [r["values"] for r in detail["recipients"]["items"]]
    assert values == [{"Abonent name": "Ali", "City": "Tehran"}, {"Abonent name": "Sara", "City": ""}]


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (b"\x00\x01\x02binary\x00", 400, "list_format_unsupported"),
        (b"", 400, "list_empty"),
        (b"name,city\nAli,Tehran\n", 400, "list_no_phone_column"),
        (b"PK\x03\x04 broken zip", 400, "list_unreadable"),
    ],
)
def test_r_lst_1_bad_files_are_refused_and_nothing_is_stored(
    admin: Api, aws: Settings, data: bytes, status: int, code: str
) -> None:
    _, shop = customer(admin)
    assert_error(with_file(shop, data), status, code)
    assert list_items(aws) == [] and s3_keys(aws) == []


def test_r_lst_1_invalid_base64_and_exactly_one_source(admin: Api, aws: Settings) -> None:
    _, shop = customer(admin)
    bad = {"name": "x", "file": {"name": "a.csv", "content_base64": "%%%"}}
    assert_error(shop.post("/v1/contact-lists", bad), 400, "invalid_base64")
    assert_error(shop.post("/v1/contact-lists", {"name": "x"}), 422, "contact_list_content_required")
    both = {"name": "x", "numbers": ["09121234567"], "file": {"name": "a.csv", "content_base64": b64(b"09121234567")}}
    assert_error(shop.post("/v1/contact-lists", both), 422, "contact_list_content_required")
    assert list_items(aws) == []


def test_r_lst_4_too_many_recipients_is_refused_with_a_hint(admin: Api, aws: Settings) -> None:
    _, shop = customer(admin)
    # the account's limit is set at creation from the deployment default: lower it for this account
    table = boto3.client("dynamodb")
    items = table.scan(TableName=aws.table_name("accounts"))["Items"]
    profile = next(i for i in items if i["name"]["S"] == "Shop" and i["sk"]["S"] == "PROFILE")
    table.update_item(
        TableName=aws.table_name("accounts"),
        Key={"pk": profile["pk"], "sk": profile["sk"]},
        UpdateExpression="SET recipient_limit = :l",
        ExpressionAttributeValues={":l": {"N": "5"}},
    )
    error = assert_error(
        shop.post("/v1/contact-lists", {"name": "x", "numbers": [mobile(i) for i in range(11)]}),
        400,
        "too_many_recipients",
    )
    assert error["limit"] == 5 and error["split_into"] == 3 and "split" in error["message"]
    assert list_items(aws) == []


def test_r_lst_1_presigned_upload_then_complete(admin: Api, aws: Settings) -> None:
    account, shop = customer(admin)
    started = shop.post("/v1/contact-lists/uploads", {"name": "Big", "file_name": "big.csv"})
    assert started.status == 201, started.body
    upload = started.json()
    assert upload["upload_url"].startswith("https://") and upload["expires_at"]
    # not uploaded yet: no list, completion refused
    assert_error(shop.post(f"/v1/contact-lists/uploads/{upload['upload_id']}/complete"), 409, "upload_incomplete")
    assert shop.get("/v1/contact-lists").json()["items"] == []
    assert_error(shop.get(f"/v1/contact-lists/{upload['upload_id']}"), 404, "contact_list_not_found")

    data = ("phone,name\n" + "\n".join(f"{mobile(i)},N{i}" for i in range(300))).encode()
    put = requests.put(upload["upload_url"], data=data, timeout=10)
    assert put.status_code == 200, put.text

    done = shop.post(f"/v1/contact-lists/uploads/{upload['upload_id']}/complete")
    assert done.status == 201, done.body
    body = done.json()
    assert body["id"] == upload["upload_id"] and body["kept"] == 300 and body["columns"] == ["name"]
    assert body["name"] == "Big" and body["file_name"] == "big.csv" and body["status"] == "ready"
    assert [x["id"] for x in shop.get("/v1/contact-lists").json()["items"]] == [body["id"]]
    assert_error(
        shop.post(f"/v1/contact-lists/uploads/{upload['upload_id']}/complete"), 409, "upload_already_completed"
    )
    _, other = customer(admin, "Other")
    assert_error(other.post(f"/v1/contact-lists/uploads/{upload['upload_id']}/complete"), 404, "upload_not_found")
    recipients = s3_keys(aws)[-1]
    assert recipients == f"lists/{account['id']}/{body['id']}/recipients.jsonl"
    raw = boto3.client("s3").get_object(Bucket=aws.bucket_name("lists"), Key=recipients)["Body"].read()
    first = json.loads(raw.decode().split("\n")[0])
    assert first == {"number": "+989120000000", "type": "mobile", "values": ["N0"]}


def test_r_lst_3_per_number_type_region_and_time_zone_with_fallback(admin: Api) -> None:
    account, shop = customer(admin)
    allow_countries(account["id"], "IR", "RU", "US")
    numbers = ["09121234567", "+79161234567", "+12125550123", "02188776655"]
    created = shop.post("/v1/contact-lists", {"name": "Mixed", "numbers": numbers}).json()

    first = shop.get(f"/v1/contact-lists/{created['id']}", limit=2).json()
    assert first["kept"] == 4 and first["recipients"]["next_cursor"]
    iran, russia = first["recipients"]["items"]
    assert (iran["type"], iran["region"], iran["time_zone"]) == ("mobile", "IR", "Asia/Tehran")
    # a Russian mobile spans many zones: the account's zone is the fallback
    assert russia["region"] == "RU" and len(russia["time_zones"]) > 1 and russia["time_zone"] == "Asia/Tehran"

    rest = shop.get(f"/v1/contact-lists/{created['id']}/recipients", limit=2, cursor=first["recipients"]["next_cursor"])
    us, fixed = rest.json()["items"]
    assert us["time_zone"] == "America/New_York" and fixed["type"] == "fixed_line"
    assert rest.json()["next_cursor"] is None
    assert_error(shop.get(f"/v1/contact-lists/{created['id']}", cursor="abc"), 400, "invalid_cursor")


def test_r_lst_2_lists_are_isolated_per_tenant_and_loaded_for_campaigns(admin: Api) -> None:
    from jarchi.audiences.service import load_list_recipients
    from jarchi.errors import NotFound

    account, shop = customer(admin)
    other, as_other = customer(admin, "Other")
    created = with_file(shop, b"phone,name\n09121234567,Ali\n").json()
    assert_error(as_other.get(f"/v1/contact-lists/{created['id']}"), 404, "contact_list_not_found")
    assert as_other.get("/v1/contact-lists").json()["items"] == []
    assert admin.get(f"/v1/contact-lists/{created['id']}").status == 200

    columns, recipients = load_list_recipients(account["id"], created["id"])
    assert columns == ("name",) and [(r.number, r.values) for r in recipients] == [("+989121234567", ("Ali",))]
    with pytest.raises(NotFound):
        load_list_recipients(other["id"], created["id"])
