"""Telecom blacklist import records in memory."""

from __future__ import annotations

import threading

from jarchi.lists.imports import BlacklistImport, ImportStatus


class FakeBlacklistImports:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.records: dict[str, BlacklistImport] = {}

    def create(self, record: BlacklistImport) -> None:
        with self._lock:
            if record.id in self.records:
                raise KeyError(f"import {record.id} exists")
            self.records[record.id] = record

    def get(self, import_id: str) -> BlacklistImport | None:
        return self.records.get(import_id)

    def save_if(self, record: BlacklistImport, *, status: ImportStatus, offset: int) -> bool:
        with self._lock:
            current = self.records.get(record.id)
            if current is None or current.status is not status or current.offset != offset:
                return False
            self.records[record.id] = record
            return True
