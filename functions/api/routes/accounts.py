"""Accounts and their API tokens (R-ACC-1..3)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from functions.api.auth import current_caller
from functions.api.schemas.accounts import (
    AccountCreate,
    AccountOut,
    AccountPage,
    AccountPatch,
    TariffIn,
    TariffOut,
    TokenCreate,
    TokenCreated,
    TokenList,
    TokenOut,
)
from jarchi.accounts import service
from jarchi.accounts.service import NewAccount
from jarchi.billing import margins
from jarchi.campaigns import suspension

router = Router()
Limit = Annotated[int, Query(ge=1, le=200)]


@router.post("/accounts", status_code=201, tags=["accounts"], summary="Create an account")
def create_account(body: AccountCreate) -> AccountOut:
    request = NewAccount(body.name, body.type, body.timezone, body.default_region)
    return AccountOut.of(service.create_account(current_caller(), request))


@router.get("/accounts", tags=["accounts"], summary="Accounts this caller manages")
def list_accounts(limit: Limit = 50, cursor: str | None = None) -> AccountPage:
    accounts, next_cursor = service.list_accounts(current_caller(), limit, cursor)
    return AccountPage(items=[AccountOut.of(a) for a in accounts], next_cursor=next_cursor)


@router.get("/accounts/me", tags=["accounts"], summary="The caller's own account")
def my_account() -> AccountOut:
    return AccountOut.of(current_caller().account)


@router.get("/accounts/<account_id>", tags=["accounts"], summary="One account")
def get_account(account_id: str) -> AccountOut:
    return AccountOut.of(service.visible_account(current_caller(), account_id))


@router.patch(
    "/accounts/<account_id>",
    tags=["accounts"],
    summary="Settings: name, time zone, region; admin also 24 h, recipient limit, flagged, suspend",
)
def update_account(account_id: str, body: AccountPatch) -> AccountOut:
    return AccountOut.of(suspension.change_account(current_caller(), account_id, body.changes()))


@router.put(
    "/accounts/<account_id>/tariff",
    tags=["accounts"],
    summary="Set a customer's tariff (its reseller or admin; never below the reseller's cost)",
)
def set_tariff(account_id: str, body: TariffIn) -> TariffOut:
    return TariffOut.of(margins.set_tariff(current_caller(), account_id, body.tariff()))


@router.get("/accounts/<account_id>/tariff", tags=["accounts"], summary="The account's tariff per unit")
def get_tariff(account_id: str) -> TariffOut:
    return TariffOut.of(margins.tariff_of(current_caller(), account_id))


@router.post("/accounts/<account_id>/tokens", status_code=201, tags=["tokens"], summary="Create a token")
def create_token(account_id: str, body: TokenCreate) -> TokenCreated:
    return TokenCreated.of(service.create_token(current_caller(), account_id, body.name))


@router.get("/accounts/<account_id>/tokens", tags=["tokens"], summary="List tokens (never their values)")
def list_tokens(account_id: str) -> TokenList:
    return TokenList(items=[TokenOut.of(t) for t in service.list_tokens(current_caller(), account_id)])


@router.delete("/accounts/<account_id>/tokens/<token_id>", status_code=204, tags=["tokens"], summary="Revoke")
def revoke_token(account_id: str, token_id: str) -> None:
    service.revoke_token(current_caller(), account_id, token_id)
