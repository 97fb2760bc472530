"""Benchmark: importing a 1,000,000-number telecom blacklist (R-CPL-3) within a Lambda's limits.

The file (one Iranian mobile per line, ~13 MB) is put in the lists bucket and read back as S3 streams it
(`StreamingBody.iter_chunks`, 1 MiB chunks); `jarchi.lists.suppression.file_lines` decodes it
incrementally, `import_numbers` normalises each line and hands a generator to the store, which batch-writes
25 items per BatchWriteItem. Nothing holds the whole list: memory should stay flat whatever the size.

Two stores, one run each:
- `moto`: `DynamoSuppression` on moto's DynamoDB (in this process, so moto's own copy of the million items
  is in the peak RSS as well: see `rss_growth_mb`);
- `count`: a store that only counts what it is given: the import's own CPU and memory, no DynamoDB.

Two paths: `engine` (the streaming import of `POST /v1/blacklist`, `import_numbers`) and `worker` (what the
imports function runs for an uploaded file: `jarchi.lists.imports.run_import`, ranged S3 reads, a conditional
checkpoint write on moto every 5,000 numbers; `checkpoints` counts them).

Prints seconds (wall and CPU), numbers per second and peak RSS. Run:
``.venv/bin/python -m bench.blacklist_import [--numbers 1000000] [--store moto|count|both] [--path engine|worker]``.
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Iterable, Iterator

NUMBERS = 1_000_000
CHUNK_BYTES = 1 << 20
_PREFIXES = ("912", "913", "935", "936", "901", "990", "919", "921")


def _file(count: int) -> bytes:
    return "\n".join(f"0{_PREFIXES[n % len(_PREFIXES)]}{n:07d}" for n in range(count)).encode()


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class CountingStore:
    """Takes the numbers as the DynamoDB adapter does (lazily, 25 at a time) and only counts them."""

    def add_many(self, kind: object, numbers: Iterable[str], **_: object) -> int:
        return sum(1 for _ in numbers)


def _measure(store: object, chunks: Iterator[bytes]) -> dict[str, float]:
    from jarchi.compliance.adcap import SuppressionList
    from jarchi.lists.suppression import file_lines, import_numbers

    rss_before = _peak_rss_mb()
    wall, cpu = time.perf_counter(), time.process_time()
    report = import_numbers(
        store,  # type: ignore[arg-type]
        SuppressionList.TELECOM_BLACKLIST,
        file_lines(chunks),
        region="IR",
        account_id="",
        source="import",
    )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "read": report.read,
        "added": report.added,
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "per_s": round(report.added / wall),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "rss_growth_mb": round(_peak_rss_mb() - rss_before, 1),
    }


def _measure_worker(store: object, key: str, size: int) -> dict[str, float]:
    from jarchi import clock
    from jarchi.aws.media import S3ListFiles
    from jarchi.lists import imports
    from jarchi.lists.imports import BlacklistImport, ImportPorts, ImportStatus, run_import
    from jarchi.ports import MessageQueue, resolve
    from jarchi.store.blacklist_imports import DynamoBlacklistImports

    records = DynamoBlacklistImports()
    import_id = f"imp_bench_{time.monotonic_ns()}"
    records.create(BlacklistImport(import_id, ImportStatus.QUEUED, key, clock.now(), "IR", size_bytes=size))
    ports = ImportPorts(records, S3ListFiles(), store, resolve(MessageQueue))  # type: ignore[arg-type]
    rss_before = _peak_rss_mb()
    wall, cpu = time.perf_counter(), time.process_time()
    done = run_import(import_id, time_left=lambda: True, ports=ports)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert done is not None and done.status is ImportStatus.DONE, done
    return {
        "read": done.read,
        "added": done.added,
        "checkpoints": -(-done.read // imports.CHECKPOINT_NUMBERS),
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "per_s": round(done.added / wall),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "rss_growth_mb": round(_peak_rss_mb() - rss_before, 1),
    }


def run(count: int, stores: list[str], path: str = "engine") -> list[tuple[str, dict[str, float]]]:
    import boto3

    from jarchi import wiring
    from jarchi.settings import get_settings, reset_settings
    from jarchi.store.suppression import DynamoSuppression
    from local.emulator import emulated_aws

    reset_settings()
    settings = get_settings()
    wiring.install()
    results = []
    with emulated_aws(settings):
        s3 = boto3.client("s3", region_name=settings.region)
        bucket, key = settings.bucket_name("lists"), "blacklist-imports/imp_bench/original"
        data = _file(count)
        s3.put_object(Bucket=bucket, Key=key, Body=data)
        size = len(data)
        del data
        for name in stores:
            store = DynamoSuppression() if name == "moto" else CountingStore()
            if path == "worker":
                results.append((f"{name} worker", _measure_worker(store, key, size)))
                continue
            body = s3.get_object(Bucket=bucket, Key=key)["Body"]
            results.append((name, _measure(store, body.iter_chunks(CHUNK_BYTES))))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--numbers", type=int, default=NUMBERS)
    parser.add_argument("--store", choices=("moto", "count", "both"), default="both")
    parser.add_argument("--path", choices=("engine", "worker"), default="engine")
    args = parser.parse_args(argv)
    stores = ["count", "moto"] if args.store == "both" else [args.store]
    print(f"start: peak RSS {_peak_rss_mb():.1f} MB")
    for name, figures in run(args.numbers, stores, args.path):
        print(name, " ".join(f"{k}={v}" for k, v in figures.items()), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
