"""Peak memory of a campaign export (R-REP-3): 6,000 vs 60,000 rows, CSV and Excel.

    .venv/bin/python -m bench.export_memory

Each size and format runs in a fresh Python process, which exports through the real path
(`jarchi.reports.exports.run_export`: every part's recipients page by page → `write_table` → a temporary
file → an upload that streams it) with in-memory ports: a recipient repository that makes each page of
finished recipients on demand (so the data source itself holds nothing), an export record store, and an upload
that reads the file in 64 KiB chunks. The process reports its peak RSS (`ru_maxrss`) after imports and after the
export. Target: the export's growth of peak RSS at 60,000 rows is within 8 MiB of the one at 6,000 rows
(constant memory: one page of 1,000 recipients and openpyxl's write-only row buffer, never the file)."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import IO, Any

TARGET_GROWTH_KIB = 8 * 1024
SIZES = (6_000, 60_000)
FORMATS = ("csv", "xlsx")


def _peak_kib() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def child(rows: int, file_format: str) -> dict[str, Any]:
    from jarchi.campaigns.models import (
        AudienceEntry,
        Campaign,
        CampaignContent,
        CampaignMoney,
        CampaignProgress,
        CampaignSettings,
        RecipientState,
    )
    from jarchi.campaigns.ports import CampaignPorts
    from jarchi.campaigns.statuses import CampaignStatus
    from jarchi.channels import Category, Channel
    from jarchi.reports.export_writing import ExportPorts, run_export
    from jarchi.reports.files import FileFormat
    from jarchi.reports.ports import ExportRecord, ExportStatus

    now = datetime(2026, 12, 1, tzinfo=UTC)
    campaign = Campaign(
        id="cmp_bench",
        account_id="acc_bench",
        created_at=now,
        name="bench",
        channel=Channel.SMS,
        category=Category.SERVICE,
        status=CampaignStatus.FINISHED,
        history=(),
        content=CampaignContent(sms_text="x", sender="Shop"),
        settings=CampaignSettings(),
        money=CampaignMoney(unit="segment", tariff=100),
        progress=CampaignProgress(total=rows, next_seq=rows, reconciled=True),
        audience_key="bench/",
    )

    class Recipients:
        def read_audience(self, audience_key: str, first: int, count: int) -> list[AudienceEntry]:
            return [
                AudienceEntry(seq=s, number=f"+98912{s:07d}", time_zone="Asia/Tehran", units=1)
                for s in range(first, min(first + count, rows))
            ]

        def load_many(self, campaign_id: str, seqs: Iterable[int]) -> dict[int, RecipientState]:
            return {
                s: RecipientState(
                    campaign_id,
                    s,
                    f"+98912{s:07d}",
                    1,
                    status="delivered",
                    attempts=1,
                    cost=100,
                    delivery_status="DELIVRD",
                    reason="=ignored formula" if s % 97 == 0 else None,
                )
                for s in seqs
            }

    class Campaigns:
        def get(self, campaign_id: str) -> Campaign:
            return campaign

    class Records:
        record: ExportRecord | None = None

        def create(self, record: ExportRecord) -> None:
            self.record = record

        def get(self, export_id: str) -> ExportRecord | None:
            return self.record

        def mark(self, record: ExportRecord) -> None:
            self.record = record

    class Files:
        uploaded = 0

        def key(self, account_id: str, export_id: str, file_format: FileFormat) -> str:
            return f"{export_id}.{file_format.value}"

        def upload(self, key: str, source: IO[bytes], content_type: str, filename: str) -> None:
            while chunk := source.read(64 * 1024):  # a constant buffer (boto3 sends 8 MiB parts)
                self.uploaded += len(chunk)

        def download_url(self, key: str, seconds: int) -> str:
            return key

    records, files = Records(), Files()
    records.create(
        ExportRecord("exp_bench", "acc_bench", "cmp_bench", FileFormat(file_format), ExportStatus.QUEUED, now)
    )
    campaign_ports: Any = CampaignPorts(Campaigns(), Recipients(), None, None, None, None)  # type: ignore[arg-type]
    ports = ExportPorts(records, files, None, campaign_ports, None)  # type: ignore[arg-type]
    before = _peak_kib()
    started = time.perf_counter()
    done = run_export("exp_bench", ports=ports)
    elapsed = time.perf_counter() - started
    assert done.rows == rows, done
    return {
        "rows": rows,
        "format": file_format,
        "before_kib": before,
        "peak_kib": _peak_kib(),
        "seconds": round(elapsed, 2),
        "bytes": files.uploaded,
    }


def _run_child(rows: int, file_format: str) -> Mapping[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.export_memory", "--child", str(rows), file_format],
        check=True,
        capture_output=True,
        text=True,
    )
    result: Mapping[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main(argv: Sequence[str] = ()) -> int:
    ok = True
    print(f"{'format':6} {'rows':>7} {'file MiB':>9} {'s':>6} {'RSS before':>11} {'peak':>8} {'growth':>8}  (KiB)")
    for file_format in FORMATS:
        growth = {}
        for rows in SIZES:
            r = _run_child(rows, file_format)
            growth[rows] = r["peak_kib"] - r["before_kib"]
            print(
                f"{file_format:6} {rows:>7,} {r['bytes'] / 2**20:>9.1f} {r['seconds']:>6} {r['before_kib']:>11,} "
                f"{r['peak_kib']:>8,} {growth[rows]:>8,}"
            )
        difference = growth[SIZES[1]] - growth[SIZES[0]]
        verdict = "ok" if difference <= TARGET_GROWTH_KIB else "MISSED"
        print(f"{file_format}: growth at {SIZES[1]:,} minus growth at {SIZES[0]:,} = {difference:,} KiB ({verdict})")
        ok &= difference <= TARGET_GROWTH_KIB
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(child(int(sys.argv[2]), sys.argv[3])))
        sys.exit(0)
    sys.exit(main(sys.argv[1:]))
