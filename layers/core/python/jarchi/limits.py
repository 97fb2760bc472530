"""Limits that protect the platform, in one place: the API enforces them locally and in every Lambda; the
cloud stack gives API Gateway's stage throttle and usage plan the same numbers (infra/constructs/api.py)."""

from __future__ import annotations

from typing import Final

# Per token (and, in API Gateway, per stage): a steady rate with a burst on top (R-API).
RATE_LIMIT_PER_SECOND: Final = 50
RATE_LIMIT_BURST: Final = 100
# Room for a 5 MB audio in base64 (R-AUD-1) and its JSON; anything bigger is refused before it is read.
MAX_REQUEST_BYTES: Final = 7 * 1024 * 1024
# Request shapes no client sends: refused before anything parses them.
MAX_JSON_DEPTH: Final = 32
MAX_PATH_CHARS: Final = 1024
MAX_ID_CHARS: Final = 128  # a path segment (an id) longer than this names nothing
MAX_QUERY_VALUE_CHARS: Final = 2048
MAX_QUERY_PARAMETERS: Final = 20
# The most numbers listed inline in one request (a bigger list is a file or an upload, R-LST-1).
MAX_INLINE_NUMBERS: Final = 10_000
# Message text (SMS or text-to-speech) in one request.
MAX_TEXT_CHARS: Final = 10_000
# An .xlsx is a zip: its parts together may not unpack to more than this (a decompression bomb is refused
# by its declared size, before any XML is read).
MAX_XLSX_UNCOMPRESSED_BYTES: Final = 50 * 1024 * 1024
