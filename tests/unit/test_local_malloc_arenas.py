"""The local platform limits glibc's malloc arenas at start, unless the environment already does (issue 17)."""

from __future__ import annotations

import ctypes
from typing import Any

import pytest

import local.__main__ as local_main


class _Libc:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

    def mallopt(self, parameter: int, value: int) -> int:
        self.calls.append((parameter, value))
        return 1


def test_two_arenas_are_asked_of_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    libc = _Libc()
    monkeypatch.setattr(ctypes, "CDLL", lambda name: libc if name == "libc.so.6" else None)
    assert local_main.limit_malloc_arenas({}) is True
    assert libc.calls == [(-8, 2)]  # M_ARENA_MAX in glibc's malloc.h


def test_the_environment_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    libc = _Libc()
    monkeypatch.setattr(ctypes, "CDLL", lambda name: libc)
    assert local_main.limit_malloc_arenas({"MALLOC_ARENA_MAX": "8"}) is False
    assert libc.calls == []


def test_without_glibc_nothing_happens(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> Any:
        raise OSError(f"{name}: cannot open shared object file")

    monkeypatch.setattr(ctypes, "CDLL", missing)
    assert local_main.limit_malloc_arenas({}) is False
