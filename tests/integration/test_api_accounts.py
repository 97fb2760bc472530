"""Accounts, tokens and the error contract over the API (R-ACC-1, R-ACC-2, R-ACC-3, R-API)."""

from __future__ import annotations

from tests.api import Api, assert_error


def test_r_acc_1_missing_or_invalid_token_is_401(admin: Api) -> None:
    assert_error(admin.as_(None).get("/v1/accounts/me"), 401, "unauthorized")
    assert_error(admin.as_("jk_not-a-real-token").get("/v1/accounts/me"), 401, "unauthorized")
    assert_error(admin.as_("garbage").get("/v1/credit"), 401, "unauthorized")
    assert admin.get("/v1/accounts/me").json()["type"] == "admin"


def test_r_acc_1_token_shown_once_stored_as_hash_listed_and_revoked(admin: Api) -> None:
    shop = admin.new_account("Shop")
    created = admin.post(f"/v1/accounts/{shop['id']}/tokens", {"name": "backend"}).json()
    token = created["token"]
    assert token.startswith(created["prefix"]) and len(token) > 30

    listed = admin.get(f"/v1/accounts/{shop['id']}/tokens").json()["items"]
    assert [t["id"] for t in listed] == [created["id"]]
    assert "token" not in listed[0] and listed[0]["last_used_at"] is None

    as_shop = admin.as_(token)
    assert as_shop.get("/v1/accounts/me").json()["id"] == shop["id"]
    assert admin.get(f"/v1/accounts/{shop['id']}/tokens").json()["items"][0]["last_used_at"] is not None

    assert admin.delete(f"/v1/accounts/{shop['id']}/tokens/{created['id']}").status == 204
    assert_error(as_shop.get("/v1/accounts/me"), 401, "unauthorized")
    assert_error(admin.delete(f"/v1/accounts/{shop['id']}/tokens/{created['id']}"), 404, "token_not_found")


def test_r_acc_1_token_value_never_stored(admin: Api, aws: object) -> None:
    import boto3

    shop = admin.new_account("Shop")
    token = admin.new_token(shop["id"])
    dump = str(boto3.client("dynamodb").scan(TableName="jarchi-test-accounts")["Items"])
    assert token not in dump and token[len("jk_") + 8 :] not in dump


def test_r_acc_2_other_tenants_ids_answer_404_never_403(admin: Api) -> None:
    alice = admin.new_account("Alice")
    bob = admin.new_account("Bob")
    as_alice = admin.as_(admin.new_token(alice["id"]))

    assert_error(as_alice.get(f"/v1/accounts/{bob['id']}"), 404, "account_not_found")
    assert_error(as_alice.post(f"/v1/accounts/{bob['id']}/tokens", {}), 404, "account_not_found")
    assert_error(as_alice.get(f"/v1/accounts/{bob['id']}/tokens"), 404, "account_not_found")
    assert_error(as_alice.delete(f"/v1/accounts/{bob['id']}/tokens/tok_x"), 404, "account_not_found")
    assert_error(as_alice.get("/v1/credit", account_id=bob["id"]), 404, "account_not_found")
    assert_error(as_alice.get("/v1/credit/transactions", account_id=bob["id"]), 404, "account_not_found")
    assert_error(as_alice.post(f"/v1/accounts/{bob['id']}/credit", {"amount": 5}), 404, "account_not_found")
    # the same answer as for an id that does not exist at all
    assert_error(as_alice.get("/v1/accounts/acc_missing"), 404, "account_not_found")


def test_r_acc_3_reseller_creates_and_sees_only_its_customers(admin: Api) -> None:
    reseller = admin.new_account("Reseller", "reseller_1")
    other = admin.new_account("Someone else")
    as_reseller = admin.as_(admin.new_token(reseller["id"]))

    customer = as_reseller.new_account("Bakery", timezone="Europe/Moscow", default_region="RU")
    assert customer["parent_id"] == reseller["id"]
    assert customer["timezone"] == "Europe/Moscow" and customer["default_region"] == "RU"
    assert as_reseller.get(f"/v1/accounts/{customer['id']}").status == 200
    assert [a["id"] for a in as_reseller.get("/v1/accounts").json()["items"]] == [customer["id"]]
    assert_error(as_reseller.get(f"/v1/accounts/{other['id']}"), 404, "account_not_found")
    assert_error(as_reseller.post("/v1/accounts", {"name": "x", "type": "reseller_1"}), 403, "account_type_not_allowed")

    # a customer's own token sees itself, not its reseller
    as_customer = admin.as_(as_reseller.new_token(customer["id"]))
    assert_error(as_customer.get(f"/v1/accounts/{reseller['id']}"), 404, "account_not_found")
    assert_error(
        as_customer.post("/v1/accounts", {"name": "x", "type": "customer"}), 403, "account_creation_not_allowed"
    )


def test_r_acc_2_admin_sees_all_accounts(admin: Api) -> None:
    ids = {admin.new_account(f"Tenant {i}")["id"] for i in range(3)}
    listed = {a["id"] for a in admin.get("/v1/accounts", limit=200).json()["items"]}
    assert ids <= listed


def test_r_api_account_validation_errors_use_the_error_contract(admin: Api) -> None:
    error = assert_error(admin.post("/v1/accounts", {"name": "x", "type": "emperor"}), 422, "validation_error")
    assert any("type" in f["location"] for f in error["fields"])
    assert_error(admin.post("/v1/accounts", {"name": "x"}), 422, "validation_error")
    assert_error(admin.post("/v1/accounts", {"name": "x", "type": "customer", "colour": 1}), 422, "validation_error")
    assert_error(
        admin.post("/v1/accounts", {"name": "x", "type": "customer", "timezone": "Mars/Base"}), 422, "invalid_timezone"
    )
    assert_error(
        admin.post("/v1/accounts", {"name": "x", "type": "customer", "default_region": "XX"}), 422, "invalid_region"
    )
    assert_error(admin.post("/v1/accounts", raw=b"{not json"), 400, "invalid_json")
    assert_error(admin.post("/v1/accounts", raw=b"[1, 2]"), 422, "validation_error")
    # curl without -H 'content-type: application/json' sends a form: told so, not a field list
    as_form = {"content-type": "application/x-www-form-urlencoded"}
    body = b'{"name": "x", "type": "customer"}'
    form = assert_error(admin.post("/v1/accounts", raw=body, headers=as_form), 415, "unsupported_media_type")
    assert "application/json" in form["message"]
    charset = {"content-type": "application/json; charset=utf-8"}
    assert admin.post("/v1/accounts", raw=body, headers=charset).status == 201
    assert_error(admin.get("/v1/nowhere"), 404, "route_not_found")
    # like API Gateway with an authorizer: authentication comes before routing
    assert_error(admin.as_(None).get("/v1/nowhere"), 401, "unauthorized")
    # and before validation: a caller without a valid token learns nothing about the body
    assert_error(admin.as_(None).post("/v1/accounts", {"colour": 1}), 401, "unauthorized")
    assert_error(admin.as_("jk_wrong").post("/v1/accounts", raw=b"{not json"), 401, "unauthorized")
    assert_error(admin.get("/v1/accounts", limit=0), 422, "validation_error")
    assert_error(admin.get("/v1/accounts", cursor="%%%"), 400, "invalid_cursor")


def test_r_api_openapi_document_and_offline_swagger_ui(admin: Api) -> None:
    anonymous = admin.as_(None)
    document = anonymous.get("/v1/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert "/v1/accounts" in document["paths"] and "post" in document["paths"]["/v1/accounts"]
    assert "/v1/credit/transactions" in document["paths"]
    docs = anonymous.get("/v1/docs")
    assert docs.status == 200 and b"SwaggerUIBundle" in docs.body
    assert b"https://" not in docs.body.split(b"<script")[0]  # assets are inlined, not fetched
