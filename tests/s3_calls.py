"""Which S3 actions each function issues, on which bucket and key prefix: recorded from every request the tests make
to moto and checked against the grants the stack gives the function (`infra.access.S3_ACTIONS`, issue 10: "each
function's policy names its own buckets/prefixes and only the S3 actions it uses").

As `tests/dynamodb_calls.py` does for DynamoDB: a botocore `before-parameter-build.s3` handler sees every S3 request
of every session, presigned URLs included (botocore builds their parameters the same way: the URL is signed with the
function's credentials, so its role needs the action). The request is the function's whose handler is the innermost
`functions.<name>` frame; S3's transfer manager (the exports' streamed upload) sends from threads of its own pool,
so a thread started inside a function's frames is that function's too. The request becomes the IAM action it needs
(a multipart upload's parts are `s3:PutObject`, `HeadObject` is `s3:GetObject`) on the key's first segment, the
prefix the grant names (`audio/`, `lists/`, `campaigns/`, ...). An action a function issues that its grant lacks
is a violation; `tests/conftest.py` fails the test that issued it. `RECORD_S3_ACTIONS=<file>` writes every
(function, bucket, prefix, action) seen to that file instead (how the grants were derived;
`python -m tests.s3_calls /tmp/s3.*` prints them beside the grants)."""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Mapping
from typing import Any

import botocore.handlers

from infra.access import S3_ACTIONS, s3_prefix
from jarchi.resources import ALL_BUCKETS
from jarchi.settings import get_settings
from tests import dynamodb_calls

RECORD_PATH = os.environ.get("RECORD_S3_ACTIONS")

_IAM_ACTION = {
    "PutObject": "s3:PutObject",
    "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "AbortMultipartUpload": "s3:AbortMultipartUpload",
    "GetObject": "s3:GetObject",
    "HeadObject": "s3:GetObject",
    "DeleteObject": "s3:DeleteObject",
    "ListObjectsV2": "s3:ListBucket",
    "ListObjects": "s3:ListBucket",
}

_lock = threading.Lock()
seen: set[tuple[str, str, str, str]] = set()
violations: list[str] = []


def _function() -> str | None:
    found = dynamodb_calls._function()
    if found is not None:
        return found
    if getattr(dynamodb_calls._local, "outside", False):
        return None
    started_by: str | None = getattr(threading.current_thread(), "_jarchi_function", None)
    return started_by


def _logical(bucket: str) -> str:
    settings = get_settings()
    return next((spec.logical for spec in ALL_BUCKETS if settings.bucket_name(spec.logical) == bucket), bucket)


def _on_request(model: Any, params: Mapping[str, Any], **_: Any) -> None:
    action = _IAM_ACTION.get(model.name)
    if action is None or "Bucket" not in params:
        return  # buckets themselves are the emulator's and the stack's, never a function's
    function = _function()
    if function is None:
        return
    bucket = _logical(str(params["Bucket"]))
    prefix = s3_prefix(str(params.get("Key", params.get("Prefix", ""))))
    entry = (function, bucket, prefix, action)
    with _lock:
        if entry in seen:
            return
        seen.add(entry)
        if RECORD_PATH is not None:
            with open(f"{RECORD_PATH}.{os.getpid()}", "a", encoding="utf-8") as out:
                out.write(json.dumps(entry) + "\n")
        elif action not in S3_ACTIONS.get(function, {}).get(bucket, {}).get(prefix, ()):
            violations.append(
                f"the {function} function issued {action} on {prefix!r} in the {bucket} bucket, which its grant "
                f"lacks (infra/access.py S3_ACTIONS): in AWS this request is AccessDenied"
            )


_thread_start = threading.Thread.start


def _start(thread: threading.Thread) -> None:
    thread._jarchi_function = _function()  # type: ignore[attr-defined]  # the function whose frames started it
    _thread_start(thread)


def install() -> None:
    """Idempotent; before the first botocore session is made."""
    handler = ("before-parameter-build.s3", _on_request)
    if handler not in botocore.handlers.BUILTIN_HANDLERS:
        botocore.handlers.BUILTIN_HANDLERS.append(handler)
    threading.Thread.start = _start  # type: ignore[method-assign, assignment]


def take_violations() -> list[str]:
    with _lock:
        found = list(dict.fromkeys(violations))
        violations.clear()
    return found


if __name__ == "__main__":  # python -m tests.s3_calls /tmp/s3.*: what the recorded functions issued
    recorded: dict[str, dict[str, dict[str, set[str]]]] = {}
    for path in sys.argv[1:]:
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                function, bucket, prefix, action = json.loads(line)
                recorded.setdefault(function, {}).setdefault(bucket, {}).setdefault(prefix, set()).add(action)
    for function, buckets in sorted(recorded.items()):
        print(f"{function}:")
        for bucket, prefixes in sorted(buckets.items()):
            for prefix, actions in sorted(prefixes.items()):
                granted = set(S3_ACTIONS.get(function, {}).get(bucket, {}).get(prefix, ()))
                beyond = sorted(actions - granted)
                print(f"    {bucket} {prefix}: {sorted(actions)}" + (f"  beyond the grant: {beyond}" if beyond else ""))
