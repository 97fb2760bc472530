"""No request can break the API (issue 14): one regression test per finding of the fuzzing run, through the
same proxy events API Gateway sends (tests.api)."""

from __future__ import annotations

import base64
import io
import json
import threading
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from functions.api import edge
from functions.api.openapi import PUBLIC_OPERATIONS
from jarchi import limits
from jarchi.accounts.models import TokenRevocation
from jarchi.settings import Settings, reset_settings
from jarchi.store.accounts import DynamoAccounts
from tests.api import Api, assert_error


def customer(admin: Api, name: str = "Shop") -> tuple[dict[str, Any], Api]:
    account = admin.new_account(name)
    return account, admin.as_(admin.new_token(account["id"]))


def document(admin: Api) -> dict[str, Any]:
    response = admin.get("/v1/openapi.json")
    assert response.status == 200
    doc: dict[str, Any] = response.json()
    return doc


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def concrete(path: str) -> str:
    return path.replace("{action}", "start").replace("{", "x").replace("}", "")


# --- bodies ------------------------------------------------------------------------------------------------


def test_a_body_that_is_not_utf8_is_400_on_every_post_and_401_without_a_token(admin: Api) -> None:
    _, shop = customer(admin)
    posts = [path for method, path, _ in operations(document(admin)) if method == "POST"]
    assert len(posts) >= 10
    for path in posts:
        url = concrete(path)
        assert_error(Api(None).call("POST", url, raw=b"\xff\xfe\x00{"), 401, "unauthorized")
        assert_error(shop.call("POST", url, raw=b'{"name": "\xc3\x28"}'), 400, "invalid_encoding")


def test_multipart_without_boundary_and_other_media_types_are_415(admin: Api) -> None:
    _, shop = customer(admin)
    for content_type in ("multipart/form-data", "multipart/form-data; boundary=x", "text/plain", "application/xml"):
        response = shop.call("POST", "/v1/senders", raw=b"name=Shop", headers={"content-type": content_type})
        assert_error(response, 415, "unsupported_media_type")
    vendor = shop.call("POST", "/v1/senders", raw=b'{"name": "ShopB"}', headers={"content-type": "application/x+json"})
    assert_error(vendor, 415, "unsupported_media_type")
    # JSON without a declared type is read as JSON (curl --data-binary sends none)
    assert shop.call("POST", "/v1/senders", raw=b'{"name": "ShopA"}', headers={"content-type": ""}).status == 201


def test_deep_nesting_huge_numbers_and_non_json_constants_are_400(admin: Api) -> None:
    _, shop = customer(admin)
    deep = b'{"name": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    assert_error(shop.call("POST", "/v1/senders", raw=deep), 400, "invalid_json")
    nested = b'{"name": ' + b"[" * (limits.MAX_JSON_DEPTH + 1) + b"]" * (limits.MAX_JSON_DEPTH + 1) + b"}"
    assert_error(shop.call("POST", "/v1/senders", raw=nested), 400, "invalid_json")
    assert_error(shop.call("POST", "/v1/senders", raw=b'{"name": ' + b"9" * 5000 + b"}"), 400, "invalid_json")
    assert_error(shop.call("POST", "/v1/senders", raw=b'{"name": NaN}'), 400, "invalid_json")
    assert_error(shop.call("POST", "/v1/senders", raw=b'{"name": "x",'), 400, "invalid_json")
    account_id = shop.get("/v1/accounts/me").json()["id"]
    huge = admin.post(f"/v1/accounts/{account_id}/credit", {"amount": 10**40})
    assert huge.status in (400, 422) and huge.json()["error"]["code"]


def test_a_body_over_the_limit_is_413_before_anything_reads_it(admin: Api) -> None:
    _, shop = customer(admin)
    too_big = b"\xff" * (limits.MAX_REQUEST_BYTES + 1)  # not JSON, not UTF-8: never looked at
    assert_error(shop.call("POST", "/v1/contact-lists", raw=too_big), 413, "payload_too_large")
    assert_error(Api(None).call("POST", "/v1/contact-lists", raw=too_big), 413, "payload_too_large")


def test_empty_ids_never_reach_the_store(admin: Api) -> None:
    _, shop = customer(admin)
    assert_error(shop.get("/v1/credit/transactions", campaign_id=""), 400, "invalid_query_parameter")
    body = {"name": "c", "channel": "voice", "category": "service", "recipients": ["09120000001"]}
    assert_error(shop.post("/v1/campaigns", {**body, "audio_id": ""}), 422, "validation_error")
    assert_error(shop.post("/v1/campaigns", {**body, "contact_list_id": ""}), 422, "validation_error")
    quick = {"channel": "voice", "category": "service", "number": "09120000001", "audio_id": ""}
    assert_error(shop.post("/v1/quick-send", quick), 422, "validation_error")


def test_oversized_path_and_query_parameters_are_4xx(admin: Api) -> None:
    _, shop = customer(admin)
    assert_error(shop.get("/v1/audio/" + "a" * (limits.MAX_ID_CHARS + 1)), 404, "not_found")
    assert_error(shop.get("/v1/audio", cursor="c" * (limits.MAX_QUERY_VALUE_CHARS + 1)), 400, "invalid_query_parameter")
    many = {f"p{i}": 1 for i in range(limits.MAX_QUERY_PARAMETERS + 1)}
    assert_error(shop.call("GET", "/v1/audio", query=many), 400, "invalid_query")


# --- cursors -----------------------------------------------------------------------------------------------


def _edited(cursor: str) -> list[str]:
    mac, _, inner = cursor.partition(".")
    raw = base64.urlsafe_b64decode(inner + "=" * (-len(inner) % 4))
    other = base64.urlsafe_b64encode(raw.replace(b"snd_", b"snx_")).decode().rstrip("=")
    forged = base64.urlsafe_b64encode(b'{"pk":{"N":"abc"}}').decode().rstrip("=")
    non_ascii = "\x05\xc3\xa4tM\U0008b513.\x08\xc2\x82"  # compare_digest refuses non-ASCII text: a 500 once
    return [f"{mac}.{other}", f"{mac}.{forged}", forged, inner, cursor[:-2], "9" * 5000, "x", f"{mac}.", non_ascii]


def test_edited_cursors_and_cursors_of_another_query_are_400(admin: Api) -> None:
    _, shop = customer(admin)
    _, other = customer(admin, "Other")
    for i in range(3):
        assert shop.post("/v1/senders", {"name": f"Shop{i}"}).status == 201
        assert other.post("/v1/senders", {"name": f"Other{i}"}).status == 201
    first = shop.get("/v1/senders", limit=1).json()
    cursor = first["next_cursor"]
    assert shop.get("/v1/senders", limit=1, cursor=cursor).status == 200  # the real one goes on
    for edited in _edited(cursor):
        response = shop.get("/v1/senders", limit=1, cursor=edited)
        assert response.status == 400, (edited[:60], response.status, response.body[:200])
    assert_error(other.get("/v1/senders", limit=1, cursor=cursor), 400, "invalid_cursor")  # another tenant's
    assert_error(shop.get("/v1/audio", limit=1, cursor=cursor), 400, "invalid_cursor")  # another list's
    for path in ("/v1/audio", "/v1/contact-lists", "/v1/campaigns", "/v1/credit/transactions", "/v1/senders"):
        assert_error(shop.get(path, cursor="eyJwayI6eyJOIjoiYWJjIn19"), 400, "invalid_cursor")
    assert_error(admin.get("/v1/accounts", cursor="eyJ4IjoxfQ"), 400, "invalid_cursor")


def test_a_contact_lists_first_page_goes_on_at_its_recipients(admin: Api) -> None:
    _, shop = customer(admin)
    numbers = [f"0912000000{i}" for i in range(5)]
    created = shop.post("/v1/contact-lists", {"name": "five", "numbers": numbers}).json()
    first = shop.get(f"/v1/contact-lists/{created['id']}", limit=2).json()["recipients"]
    rest = shop.get(f"/v1/contact-lists/{created['id']}/recipients", limit=10, cursor=first["next_cursor"])
    assert rest.status == 200 and len(rest.json()["items"]) == 3
    tampered = first["next_cursor"].replace(".2", ".0") if ".2" in first["next_cursor"] else "0000.0"
    bad = shop.get(f"/v1/contact-lists/{created['id']}/recipients", cursor=tampered)
    assert_error(bad, 400, "invalid_cursor")


# --- names -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("hidden", ["\x00", "\u202e", "\u200b", "\u2066", "\ufeff", "\x1b", "\ue000"])
def test_names_refuse_nul_bidi_overrides_and_zero_width_characters(admin: Api, hidden: str) -> None:
    account, shop = customer(admin)
    name = f"Shop{hidden}Name"
    assert_error(admin.post("/v1/accounts", {"name": name, "type": "customer"}), 422, "validation_error")
    assert_error(admin.post(f"/v1/accounts/{account['id']}/tokens", {"name": name}), 422, "validation_error")
    assert_error(shop.post("/v1/contact-lists", {"name": name, "numbers": ["09120000001"]}), 422, "validation_error")
    assert_error(shop.post("/v1/audio", {"title": name, "tts_text": "سلام"}), 422, "validation_error")
    assert_error(shop.post("/v1/senders", {"name": name}), 400, "sender_invalid")


def test_persian_names_keep_their_zero_width_non_joiner(admin: Api) -> None:
    _, shop = customer(admin)
    name = "می\u200cخواهم"  # the non-joiner Persian needs
    created = shop.post("/v1/contact-lists", {"name": name, "numbers": ["09120000001"]})
    assert created.status == 201 and created.json()["name"] == name
    assert_error(shop.post("/v1/senders", {"name": "Shop A"}), 400, "sender_invalid")  # R-SMS-3: no space


# --- limits ------------------------------------------------------------------------------------------------


def test_inline_lists_are_bounded(admin: Api) -> None:
    _, shop = customer(admin)
    numbers = ["09120000001"] * (limits.MAX_INLINE_NUMBERS + 1)
    assert_error(shop.post("/v1/contact-lists", {"name": "big", "numbers": numbers}), 422, "validation_error")


def _xlsx_bomb(unpacked_bytes: int) -> bytes:
    """A valid-looking workbook whose sheet XML unpacks to `unpacked_bytes` (zeros compress ~1000:1)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            chunk = b"<row/>" * 100_000
            for _ in range(unpacked_bytes // len(chunk) + 1):
                sheet.write(chunk)
    return out.getvalue()


def test_an_xlsx_decompression_bomb_is_refused_by_its_unpacked_size(admin: Api) -> None:
    _, shop = customer(admin)
    bomb = _xlsx_bomb(limits.MAX_XLSX_UNCOMPRESSED_BYTES + 1)
    assert len(bomb) < 1024 * 1024  # small on the wire
    file = {"name": "bomb.xlsx", "content_base64": base64.b64encode(bomb).decode()}
    error = assert_error(shop.post("/v1/contact-lists", {"name": "bomb", "file": file}), 413, "list_too_large")
    assert error["max_bytes"] == limits.MAX_XLSX_UNCOMPRESSED_BYTES


@pytest.fixture
def low_rate_limit(monkeypatch: pytest.MonkeyPatch, aws: Settings) -> Iterator[None]:
    monkeypatch.setenv("JARCHI_API_RATE_LIMIT_PER_SECOND", "1")
    monkeypatch.setenv("JARCHI_API_RATE_LIMIT_BURST", "3")
    reset_settings()
    edge.reset_rate_limiter()
    yield
    monkeypatch.undo()
    reset_settings()
    edge.reset_rate_limiter()


def test_each_token_is_rate_limited_with_retry_after(admin: Api, low_rate_limit: None) -> None:
    answers = [admin.get("/v1/accounts/me") for _ in range(4)]
    assert [a.status for a in answers[:3]] == [200, 200, 200]
    refused = answers[3]
    assert_error(refused, 429, "rate_limited")
    assert int(refused.headers["retry-after"]) >= 1
    assert Api(None).get("/v1/openapi.json").status == 200  # public, and not this token's


def test_the_rate_limiter_refills_at_its_rate() -> None:
    now = [0.0]
    limiter = edge.RateLimiter(rate=2, burst=2, clock=lambda: now[0])
    assert [limiter.take("t"), limiter.take("t")] == [0.0, 0.0]
    assert limiter.take("t") == pytest.approx(0.5)
    assert limiter.take("other") == 0.0  # per token
    now[0] = 0.5
    assert limiter.take("t") == 0.0


# --- answers -----------------------------------------------------------------------------------------------


def test_the_last_admin_token_cannot_be_revoked(admin: Api) -> None:
    me = admin.get("/v1/accounts/me").json()
    tokens = admin.get(f"/v1/accounts/{me['id']}/tokens").json()["items"]
    assert len(tokens) == 1
    assert_error(admin.delete(f"/v1/accounts/{me['id']}/tokens/{tokens[0]['id']}"), 409, "last_admin_token")
    spare = admin.post(f"/v1/accounts/{me['id']}/tokens", {"name": "spare"}).json()
    assert admin.delete(f"/v1/accounts/{me['id']}/tokens/{tokens[0]['id']}").status == 204  # two: one may go
    assert_error(admin.get("/v1/accounts/me"), 401, "unauthorized")  # the seeded token is gone
    keeper = admin.as_(spare["token"])
    assert_error(keeper.delete(f"/v1/accounts/{me['id']}/tokens/{spare['id']}"), 409, "last_admin_token")


def test_two_concurrent_revocations_of_the_last_two_admin_tokens_one_succeeds(admin: Api) -> None:
    """Each token revokes itself (so neither request can lose its own token before it is checked)."""
    me = admin.get("/v1/accounts/me").json()
    for _ in range(4):
        (held,) = admin.get(f"/v1/accounts/{me['id']}/tokens").json()["items"]
        spare = admin.post(f"/v1/accounts/{me['id']}/tokens", {"name": "spare"}).json()
        callers = {held["id"]: admin, spare["id"]: admin.as_(spare["token"])}
        start = threading.Barrier(2, timeout=10)

        def revoke_itself(token_id: str, caller: Api, start: threading.Barrier = start) -> int:
            start.wait()
            return caller.delete(f"/v1/accounts/{me['id']}/tokens/{token_id}").status

        with ThreadPoolExecutor(max_workers=2) as pool:
            statuses = dict(zip(callers, pool.map(revoke_itself, callers, callers.values()), strict=True))
        assert sorted(statuses.values()) == [204, 409], statuses
        (kept,) = [token_id for token_id, status in statuses.items() if status == 409]
        admin = callers[kept]
        assert [t["id"] for t in admin.get(f"/v1/accounts/{me['id']}/tokens").json()["items"]] == [kept]


def test_a_revocation_read_before_another_committed_is_refused_by_the_store(admin: Api) -> None:
    """Both revocations read two tokens; the second's conditional write sees the first's and is refused."""
    me = admin.get("/v1/accounts/me").json()
    admin.post(f"/v1/accounts/{me['id']}/tokens", {"name": "spare"})
    store = DynamoAccounts()
    first_read, second_read = store.token_state(me["id"]), store.token_state(me["id"])
    assert first_read == second_read and len(first_read.token_ids) == 2
    one, other = sorted(first_read.token_ids)
    assert store.revoke_at(first_read, one) is TokenRevocation.REVOKED
    assert store.revoke_at(second_read, other) is None  # the tokens changed since it read them: nothing written
    assert store.revoke_at(store.token_state(me["id"]), other) is TokenRevocation.LAST_TOKEN
    assert store.token_state(me["id"]).token_ids == {other}


def test_a_204_has_no_body_and_no_content_type(admin: Api) -> None:
    account, shop = customer(admin)
    spare = admin.post(f"/v1/accounts/{account['id']}/tokens", {"name": "spare"}).json()
    revoked = shop.delete(f"/v1/accounts/{account['id']}/tokens/{spare['id']}")
    assert revoked.status == 204
    assert revoked.body == b""
    assert "content-type" not in revoked.headers


def test_errors_on_every_route_are_in_the_error_shape(admin: Api) -> None:
    _, shop = customer(admin)
    for method, path, _ in operations(document(admin)):
        if (method.lower(), path) in PUBLIC_OPERATIONS:
            continue
        response = Api(None).call(method, concrete(path))
        assert_error(response, 401, "unauthorized")
        response = shop.call(method, concrete(path), raw=b"[" if method == "POST" else None)
        assert response.status < 500, (method, path, response.status)
        if response.status >= 400:
            assert set(response.json()) == {"error"} and response.headers["content-type"] == "application/json"


# --- the OpenAPI document ----------------------------------------------------------------------------------


def test_the_document_lists_every_error_with_the_error_schema(admin: Api) -> None:
    doc = document(admin)
    error_ref = {"$ref": "#/components/schemas/ErrorBody"}
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    assert doc["components"]["schemas"]["ErrorBody"]["required"] == ["error"]
    for method, path, operation in operations(doc):
        if (method.lower(), path) in PUBLIC_OPERATIONS:
            continue
        responses = operation["responses"]
        expected = {"400", "401", "403", "404", "422", "429"}
        if "requestBody" in operation:
            expected |= {"413", "415"}
        if method in ("POST", "PUT", "PATCH", "DELETE"):
            expected.add("409")
            header = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
            assert header and header[0]["in"] == "header", (method, path)
        assert expected <= set(responses), (method, path, sorted(responses))
        for status in expected:
            assert responses[status]["content"]["application/json"]["schema"] == error_ref
        assert "Retry-After" in responses["429"]["headers"]
        for status, response in responses.items():
            if status == "204":
                assert "content" not in response


def test_no_two_schemas_share_a_title(admin: Api) -> None:
    schemas = document(admin)["components"]["schemas"]
    titles = [schema.get("title", name) for name, schema in schemas.items()]
    assert len(titles) == len(set(titles)), sorted(t for t in titles if titles.count(t) > 1)
    assert not [name for name in schemas if "__" in name]  # no module-qualified duplicates


def test_the_served_document_is_json_and_stable(admin: Api) -> None:
    first = admin.get("/v1/openapi.json")
    assert first.headers["content-type"] == "application/json"
    assert first.body == admin.get("/v1/openapi.json").body
    json.loads(first.body)


def test_the_docs_page_shows_the_completed_document(admin: Api) -> None:
    page = Api(None).get("/v1/docs")
    assert page.status == 200 and page.headers["content-type"] == "text/html"
    assert b"ErrorBody" in page.body and b"Idempotency-Key" in page.body and b"HTTPValidationError" not in page.body
