"""Credit: top-ups, balances and the ledger (R-BIL-1)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from functions.api.auth import current_caller
from functions.api.routes.reports import EXPORT_RESPONSES, export_answer
from functions.api.schemas.credit import CreditAdd, CreditAdded, CreditOut, EntryOut, EntryPage
from jarchi.billing import credit
from jarchi.billing.ledger import EntryFilter, EntryType
from jarchi.reports import exports
from jarchi.reports.files import FileFormat

router = Router()
Limit = Annotated[int, Query(ge=1, le=200)]


@router.post("/accounts/<account_id>/credit", status_code=201, tags=["credit"], summary="Top up or adjust")
def add_credit(account_id: str, body: CreditAdd) -> CreditAdded:
    result = credit.add_credit(current_caller(), account_id, body.amount, body.reference)
    balance = result.balance
    return CreditAdded(
        entry=EntryOut.of(result.entry),
        balance=balance.balance,
        reserved=balance.reserved,
        available=balance.available,
    )


@router.get("/credit", tags=["credit"], summary="Balance, reserved and available credit")
def get_credit(account_id: str | None = None) -> CreditOut:
    return CreditOut.of(credit.credit_of(current_caller(), account_id))


@router.get("/credit/transactions", tags=["credit"], summary="Ledger entries, newest first; by type and period")
def list_transactions(
    campaign_id: str | None = None,
    account_id: str | None = None,
    limit: Limit = 50,
    cursor: str | None = None,
    type: EntryType | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
) -> EntryPage:
    filters = EntryFilter(type, created_from, created_to)
    entries, next_cursor = credit.transactions(current_caller(), account_id, campaign_id, limit, cursor, filters)
    return EntryPage(items=[EntryOut.of(e) for e in entries], next_cursor=next_cursor)


@router.get(
    "/credit/transactions/export",
    tags=["credit"],
    summary="The ledger entries (same filters) as CSV or Excel: the file up to 10,000 rows, else 202",
    responses=EXPORT_RESPONSES,
)
def export_transactions(  # type: ignore[no-untyped-def]
    format: FileFormat = FileFormat.CSV,
    campaign_id: str | None = None,
    account_id: str | None = None,
    type: EntryType | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
):
    # No return annotation, as for the campaign export (functions/api/routes/reports.py).
    filters = EntryFilter(type, created_from, created_to)
    result = exports.export_transactions(current_caller(), account_id, campaign_id, filters, format)
    return export_answer(result)
