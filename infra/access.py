"""What each function may do to each DynamoDB table: the IAM actions its policy names, table by table (issue 10,
"each function's policy names its own tables, queues and the two or three actions it uses"), instead of CDK's
read/write group (twelve actions, Scan and the stream reads included) on every table it touches.

How they were found: every DynamoDB request the tests make is recorded with the function whose handler issued it
(`tests/dynamodb_calls.py`, a botocore hook; the function is the innermost `functions.<name>` frame), as the IAM
actions it needs (a transaction needs its items' actions). `RECORD_DYNAMODB_ACTIONS=/tmp/rec pytest ...` writes
what a run saw; `python -m tests.dynamodb_calls /tmp/rec.*` prints it beside these grants.

Kept true by tests: `tests/conftest.py` fails any test in which a function issues an action its grant lacks (in
AWS, an AccessDenied), and `tests/infra/test_least_privilege.py` checks the synthesized policies grant exactly
these. Every pair is recorded from a test that drives the function's handler (issue 10, `grants10`: the callback
answers of the telephony handler, the domains refresh, the background ledger export each got one); a table a
function's code never reaches is not granted at all (`infra.constants.FUNCTION_ACCESS`).

Imported by the tests' conftest: no CDK here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final


def actions(names: str) -> frozenset[str]:
    return frozenset(f"dynamodb:{name.strip()}" for name in names.split(",") if name.strip())


# function → logical table (jarchi.store.tables) → actions. The tables are FUNCTION_ACCESS's (infra/constants.py).
DYNAMODB_ACTIONS: Final[Mapping[str, Mapping[str, frozenset[str]]]] = {
    "api": {
        "accounts": actions("BatchGetItem, DeleteItem, GetItem, PutItem, Query, Scan, UpdateItem"),
        "ledger": actions("GetItem, PutItem, Query, UpdateItem"),
        "campaigns": actions("GetItem, PutItem, Query, UpdateItem"),
        "recipients": actions("BatchGetItem, Query"),
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
        "idempotency": actions("DeleteItem, PutItem, UpdateItem"),
    },
    "workflow": {
        "accounts": actions("GetItem"),
        "ledger": actions("GetItem, PutItem, UpdateItem"),
        "campaigns": actions("GetItem, Query, UpdateItem"),
        "recipients": actions("BatchGetItem, BatchWriteItem"),
        "ad_cap": actions("PutItem"),
        "suppression": actions("BatchGetItem, BatchWriteItem"),
        "restricted_periods": actions("Query"),
        "webhooks": actions("Query"),
        "route_capacity": actions("GetItem, PutItem"),
    },
    "dispatch": {
        "idempotency": actions("DeleteItem, PutItem, UpdateItem"),  # Powertools idempotency, one record per batch
    },
    "results": {
        "ledger": actions("PutItem, UpdateItem"),
        "campaigns": actions("GetItem, UpdateItem"),
        "recipients": actions("BatchWriteItem"),
        "ad_cap": actions("DeleteItem"),
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
        "webhooks": actions("Query"),
    },
    "telephony": {  # a callback's answer (R-OUT-4): the number's last calls, their campaign, its account's balance
        "recipients": actions("Query"),
        "campaigns": actions("GetItem"),
        "ledger": actions("GetItem"),
    },
    "domains": {
        # The pending domains of every reseller: a filtered Scan of a table of one item per white-label domain
        # (no index holds "pending" across accounts); each one advanced is saved.
        "domains": actions("PutItem, Scan"),
    },
    "exports": {
        "campaigns": actions("GetItem"),
        "recipients": actions("BatchGetItem"),
        "exports": actions("GetItem, PutItem"),
        "ledger": actions("Query"),  # a transactions export too large to answer at once (R-BIL-1)
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


# --- S3 ----------------------------------------------------------------------------------------------------------
# What each function may do to objects, bucket by bucket and key prefix by key prefix (issue 10, session F), instead
# of the same five actions on every object of every bucket it touches. The prefixes are the key layouts of
# `jarchi.aws.media` (audio, contact lists, blacklist imports, exports), `jarchi.store.recipients` (a campaign's
# audience) and the connectors' recordings. Found as the DynamoDB grants were: every S3 request the tests make is
# recorded with its function (`tests/s3_calls.py`; a presigned URL counts, it is signed with the function's role),
# and `tests/conftest.py` fails a test in which a function issues one its grant lacks.
S3_PREFIXES: Final = ("audio/", "lists/", "blacklist-imports/", "campaigns/", "exports/", "recordings/")


def s3_prefix(key: str) -> str:
    """The granted prefix a key is under: its first segment (`audio/acc-1/aud-1.wav` → `audio/`)."""
    head, slash, _ = key.partition("/")
    return f"{head}{slash}"


def s3(names: str) -> frozenset[str]:
    return frozenset(f"s3:{name.strip()}" for name in names.split(",") if name.strip())


# function → logical bucket (jarchi.resources) → key prefix → actions. The buckets are FUNCTION_ACCESS's.
S3_ACTIONS: Final[Mapping[str, Mapping[str, Mapping[str, frozenset[str]]]]] = {
    "api": {
        # uploads and generated speech, deleted with their record; played through presigned GETs
        "media": {"audio/": s3("GetObject, PutObject, DeleteObject")},
        "lists": {
            # the client's file (a presigned PUT, then its size), the parsed list, both deleted with the list
            "lists/": s3("GetObject, PutObject, DeleteObject"),
            # a telecom blacklist (R-CPL-3): its presigned PUT, then its size when the import starts
            "blacklist-imports/": s3("GetObject, PutObject"),
            "campaigns/": s3("GetObject, PutObject"),  # a campaign's audience: written at creation, read by reports
        },
        "exports": {"exports/": s3("GetObject")},  # a finished export's presigned GET
        "recordings": {"recordings/": s3("GetObject")},  # a call recording's presigned GET (R-OUT-5)
    },
    "workflow": {
        # admits the audience a page at a time; a retry or follow-up part's audience is written as it is raised
        "lists": {"campaigns/": s3("GetObject, PutObject")},
    },
    "dispatch": {  # never the media bucket: the SIP media application plays the audio from S3 itself
        "recordings": {"recordings/": s3("PutObject")},  # the simulator's stand-in recordings (R-OUT-5)
    },
    "exports": {
        "lists": {"campaigns/": s3("GetObject")},  # the recipients, every part in order
        # the file, streamed in parts; a multipart upload that fails is aborted by S3's transfer manager, so no part
        # is kept (not seen in the tests: their files are smaller than one part)
        "exports": {"exports/": s3("PutObject, AbortMultipartUpload")},
    },
    "imports": {
        "lists": {"blacklist-imports/": s3("GetObject")},  # the uploaded blacklist, streamed from where it stopped
    },
}
