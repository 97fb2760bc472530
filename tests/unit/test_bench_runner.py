"""`make bench` (`python -m bench`) runs every benchmark with its defaults (issue 17): each one it discovers has a
`main` callable without arguments, and the diagnostic tools, which need arguments, are not among them."""

from __future__ import annotations

import ast
from pathlib import Path

from bench.__main__ import BENCH_DIR, TOOLS, discover


def _main_of(name: str) -> ast.FunctionDef:
    tree = ast.parse((BENCH_DIR / f"{name}.py").read_text())
    mains = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "main"]
    assert mains, f"bench/{name}.py has no main()"
    return mains[0]


def test_every_discovered_benchmark_runs_with_its_defaults() -> None:
    names = discover()
    assert "campaign" in names and "cloud_model" in names
    for name in names:
        arguments = _main_of(name).args
        positional = arguments.posonlyargs + arguments.args
        assert len(arguments.defaults) == len(positional), f"bench/{name}.py: main() needs arguments"


def test_the_diagnostic_tools_are_not_run_as_benchmarks() -> None:
    assert TOOLS and not TOOLS & set(discover())
    assert all((BENCH_DIR / f"{tool}.py").exists() for tool in TOOLS)
    assert not any(Path(BENCH_DIR / f"{name}.py").name.startswith("_") for name in discover())
