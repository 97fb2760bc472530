"""What each function may do to each DynamoDB table: the IAM actions its policy names, table by table (issue 10,
"each function's policy names its own tables, queues and the two or three actions it uses"), instead of CDK's
read/write group (twelve actions, Scan and the stream reads included) on every table it touches.

How they were found: every DynamoDB request the tests make is recorded with the function whose handler issued it
(`tests/dynamodb_calls.py`, a botocore hook; the function is the innermost `functions.<name>` frame), as the IAM
actions it needs (a transaction needs its items' actions). `RECORD_DYNAMODB_ACTIONS=/tmp/rec pytest ...` writes
what a run saw; `python -m tests.dynamodb_calls /tmp/rec.*` prints it beside these grants.

Kept true by tests: `tests/conftest.py` fails any test in which a function issues an action its grant lacks (in
AWS, an AccessDenied), and `tests/infra/test_least_privilege.py` checks the synthesized policies grant exactly
these. A pair granted `UNSEEN` was not reached through the function's handler by any recorded test (the function
uses the table only on paths the tests drive through the services directly, e.g. the telephony handler's callback
answers): it keeps every item action the adapters can issue, without Scan, DescribeTable and the stream reads, until
a test drives that path through the handler and a recording narrows it.

Imported by the tests' conftest: no CDK here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final


def actions(names: str) -> frozenset[str]:
    return frozenset(f"dynamodb:{name.strip()}" for name in names.split(",") if name.strip())


UNSEEN: Final = actions(
    "GetItem, PutItem, UpdateItem, DeleteItem, Query, BatchGetItem, BatchWriteItem, ConditionCheckItem"
)

# function → logical table (jarchi.store.tables) → actions. The tables are FUNCTION_ACCESS's (infra/constants.py).
DYNAMODB_ACTIONS: Final[Mapping[str, Mapping[str, frozenset[str]]]] = {
    "api": {
        "accounts": actions("BatchGetItem, DeleteItem, GetItem, PutItem, Query, Scan, UpdateItem"),
        "ledger": actions("GetItem, PutItem, Query, UpdateItem"),
        "campaigns": actions("GetItem, PutItem, Query, UpdateItem"),
        "recipients": actions("BatchGetItem, Query"),
        "ad_cap": UNSEEN,
        "suppression": actions("BatchWriteItem, DeleteItem, GetItem, PutItem, Query"),
        "audio": actions("DeleteItem, GetItem, PutItem, Query, UpdateItem"),
        "contact_lists": actions("DeleteItem, GetItem, PutItem, Query"),
        "senders": actions("GetItem, PutItem, Query, UpdateItem"),
        "domains": actions("DeleteItem, GetItem, PutItem, Query"),
        "restricted_periods": actions("DeleteItem, PutItem, Query"),
        "otp": actions("GetItem, PutItem, UpdateItem"),
        "exports": actions("GetItem, PutItem"),
        "webhooks": actions("DeleteItem, GetItem, PutItem, Query"),
        "caller_ids": actions("DeleteItem, GetItem, PutItem, Query, Scan"),
        "route_capacity": UNSEEN,
        "idempotency": actions("DeleteItem, PutItem, UpdateItem"),
    },
    "workflow": {
        "accounts": actions("GetItem"),
        "ledger": actions("GetItem, PutItem, UpdateItem"),
        "campaigns": actions("GetItem, Query, UpdateItem"),
        "recipients": actions("BatchGetItem, BatchWriteItem"),
        "ad_cap": actions("PutItem"),
        "suppression": actions("BatchGetItem, BatchWriteItem"),
        "audio": UNSEEN,
        "contact_lists": UNSEEN,
        "senders": UNSEEN,
        "restricted_periods": actions("Query"),
        "otp": UNSEEN,
        "exports": UNSEEN,
        "webhooks": actions("Query"),
        "caller_ids": UNSEEN,
        "route_capacity": actions("GetItem, PutItem"),
        "idempotency": UNSEEN,
    },
    "dispatch": {
        "campaigns": UNSEEN,
        "recipients": UNSEEN,
        "ad_cap": UNSEEN,
        "suppression": actions("PutItem"),
        "audio": UNSEEN,
        "idempotency": actions("DeleteItem, PutItem, UpdateItem"),
        "webhooks": UNSEEN,
    },
    "results": {
        "accounts": UNSEEN,
        "ledger": actions("PutItem, UpdateItem"),
        "campaigns": actions("GetItem, UpdateItem"),
        "recipients": actions("BatchWriteItem"),
        "ad_cap": UNSEEN,
        "suppression": actions("BatchGetItem, PutItem"),
        "idempotency": actions("PutItem"),
        "webhooks": actions("Query"),
        "route_capacity": actions("GetItem, PutItem"),
    },
    "connector_events": {
        "idempotency": actions("PutItem"),
        "campaigns": actions("GetItem, UpdateItem"),
        "recipients": actions("UpdateItem"),
        "ledger": actions("PutItem, UpdateItem"),
        "webhooks": UNSEEN,
    },
    "telephony": {
        "recipients": UNSEEN,
        "campaigns": UNSEEN,
        "ledger": UNSEEN,
        "webhooks": UNSEEN,
    },
    "domains": {
        "domains": UNSEEN,
    },
    "exports": {
        "campaigns": actions("GetItem"),
        "recipients": actions("BatchGetItem"),
        "exports": actions("GetItem, PutItem"),
        "ledger": UNSEEN,
    },
    "webhooks": {
        "webhooks": actions("GetItem, PutItem"),
    },
    "authorizer": {
        "accounts": actions("GetItem, Query, UpdateItem"),
    },
    "imports": {
        "suppression": actions("BatchWriteItem, GetItem, PutItem"),
    },
}
