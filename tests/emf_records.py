"""The EMF records a test's handlers printed (captured stdout), totalled per metric and dimensions."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from jarchi.metrics import NAMESPACE

Charted = tuple[str, frozenset[tuple[str, str]]]  # metric name, dimensions


def emitted(stdout: str) -> list[dict[str, Any]]:
    """The EMF records in captured stdout. Handlers run on several threads: a record is one write, but the
    newline after it may land after another thread's line, so records are found by their start."""
    decoder, records, start = json.JSONDecoder(), [], stdout.find('{"_aws"')
    while start != -1:
        record, end = decoder.raw_decode(stdout, start)
        records.append(record)
        start = stdout.find('{"_aws"', end)
    return records


def emitted_totals(records: list[dict[str, Any]]) -> Counter[Charted]:
    """Each emitted metric (name and dimensions) with the sum of its values."""
    totals: Counter[Charted] = Counter()
    for record in records:
        for directive in record["_aws"]["CloudWatchMetrics"]:
            assert directive["Namespace"] == NAMESPACE
            for dimension_set in directive["Dimensions"]:
                dimensions = frozenset((key, str(record[key])) for key in dimension_set)
                for metric in directive["Metrics"]:
                    values = record[metric["Name"]]
                    totals[(metric["Name"], dimensions)] += sum(values) if isinstance(values, list) else values
    return totals
