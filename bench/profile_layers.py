"""Where a campaign's CPU goes, by layer and by entry point, from a `py-spy record --format raw` profile
(issue 17). py-spy itself is not a dependency: install it in a virtualenv of its own, e.g.

    python3 -m venv /tmp/spy && /tmp/spy/bin/pip install py-spy
    /tmp/spy/bin/py-spy record --format raw -r 20 -o run.raw -- .venv/bin/python -m bench.campaign service_sms
    .venv/bin/python -m bench.profile_layers run.raw [--top 25]

Each sample (a stack of a thread that was running) is attributed to the leaf-most frame that names a layer,
and to the outermost entry point it is under. Left out, so that the figures are the platform's own per
campaign: the bare loop's samples (`_run_bare`), the process's setup (imports, botocore client creation, the
runtime's start, the shop), the benchmark's own work (its polling thread, whose CPU the benchmark subtracts
too) and samples whose leaf frame waits (a condition, a join, the emulator's lock). `--top` lists the
functions with the most samples under them (inclusive), ours first."""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

# (layer, pattern on a frame "function (file:line)"), tried from the leaf up; the first match wins.
LAYERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("lock waits on the emulator (_serialised_call)", re.compile(r"_serialised_call \(.*local/emulator\.py")),
    ("moto Step Functions engine", re.compile(r"moto/stepfunctions/")),
    ("moto data plane (DynamoDB, SQS, S3, request parsing)", re.compile(r"moto/")),
    ("serialisation (pynamodb, pydantic, json)", re.compile(r"pynamodb/|pydantic|/json/|jsonschema|jmespath")),
    ("botocore/boto3 client side (serialise, sign, hooks)", re.compile(r"botocore/|boto3/|s3transfer/|urllib3/")),
    ("Powertools", re.compile(r"aws_lambda_powertools/")),
    ("the benchmark's request counter (bench/_aws_requests.py)", re.compile(r"bench/_aws_requests\.py")),
    ("local runtime (pollers, scheduler, Lambda shim)", re.compile(r"\(local/|/local/")),
    ("our domain, adapters, handlers", re.compile(r"jarchi/|functions/")),
    ("the benchmark", re.compile(r"bench/")),
)

SETUP = "setup once per process (left out): imports, client creation, runtime start, the shop"
BARE = "the benchmark's bare loop (left out)"
ENTRY_POINTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (BARE, re.compile(r"_run_bare \(")),
    (
        SETUP,
        re.compile(
            r"LocalRuntime\.start \(|_new_shop \(|create_resources \(|Session\.create_client \("
            r"|<module> \((?!bench/campaign\.py)"
        ),
    ),
    ("API create (POST /v1/campaigns)", re.compile(r"functions/api/")),
    ("workflow Lambda (admission, reconciliation)", re.compile(r"functions/workflow/")),
    ("dispatch Lambda", re.compile(r"functions/dispatch/")),
    ("results Lambda", re.compile(r"functions/results/")),
    ("other Lambdas", re.compile(r"functions/")),
    ("local SQS pollers' own work", re.compile(r"local/pollers\.py")),
    ("moto Step Functions engine", re.compile(r"moto/stepfunctions/|local/stepfunctions\.py")),
    ("local scheduler", re.compile(r"local/scheduler\.py")),
    ("the benchmark's own polling", re.compile(r"_until_reconciled \(")),
)


# A thread whose leaf frame is one of these was waiting, not running (py-spy samples some waits as active).
WAITING = re.compile(r"^(Condition\.wait|Event\.wait|Thread\._wait_for_tstate_lock|Thread\.join|_serialised_call) ")


def parse(path: Path) -> list[tuple[list[str], int]]:
    """py-spy raw: one line a stack, root first, frames separated by ';', then a space and the count."""
    stacks = []
    for line in path.read_text().splitlines():
        frames, _, count = line.rpartition(" ")
        if frames and count.isdigit():
            stacks.append((frames.split(";"), int(count)))
    return stacks


def layer_of(frames: Sequence[str]) -> str:
    for frame in reversed(frames):
        for name, pattern in LAYERS:
            if pattern.search(frame):
                return name
    return "other (GC, thread start, interpreter)"


def entry_of(frames: Sequence[str]) -> str:
    for name, pattern in ENTRY_POINTS:
        if any(pattern.search(frame) for frame in frames):
            return name
    return "other"


def _function(frame: str) -> str:
    return re.sub(r":\d+\)$", ")", frame)


def report(path: Path, top: int, callers_of: str | None = None) -> None:
    stacks = parse(path)
    bare = sum(n for frames, n in stacks if entry_of(frames) == BARE)
    setup = sum(n for frames, n in stacks if entry_of(frames) == SETUP)
    platform = [(frames, n) for frames, n in stacks if entry_of(frames) not in (BARE, SETUP)]
    kept = [
        (frames, n)
        for frames, n in platform
        if not WAITING.search(frames[-1])
        and layer_of(frames) != "the benchmark"
        and entry_of(frames) != "the benchmark's own polling"
    ]
    waits: Counter[str] = Counter()
    for frames, n in platform:
        if WAITING.search(frames[-1]):
            waits[_function(frames[-1])] += n
    total = sum(n for _, n in kept) or 1
    print(
        f"{path}: {total:,} samples of the platform running ({bare:,} of the bare loop and {setup:,} of the "
        f"setup left out; waiting, "
        f"left out too: {', '.join(f'{f} {n:,}' for f, n in waits.most_common())})"
    )
    for title, key in (("layer (leaf-most frame naming one)", layer_of), ("entry point", entry_of)):
        counts: Counter[str] = Counter()
        for frames, n in kept:
            counts[key(frames)] += n
        print(f"\n| {title} | share |\n| --- | --- |")
        for name, n in counts.most_common():
            print(f"| {name} | {n / total:.1%} |")
    inclusive: Counter[str] = Counter()
    for frames, n in kept:
        for function in {_function(f) for f in frames}:
            inclusive[function] += n
    ours = [(f, n) for f, n in inclusive.most_common() if re.search(r"jarchi/|functions/|local/", f)]
    print(f"\ntop {top} functions of ours (inclusive share):")
    for function, n in ours[:top]:
        print(f"  {n / total:6.1%}  {function}")
    if callers_of:
        callers: Counter[str] = Counter()
        for frames, n in kept:
            for i, frame in enumerate(frames):
                if callers_of in frame:
                    callers[" <- ".join(_function(f) for f in reversed(frames[max(0, i - 4) : i]))] += n
                    break
        print(f"\nunder {callers_of!r}, by the frames above it:")
        for chain, n in callers.most_common(top):
            print(f"  {n / total:6.1%}  {chain}")
    print(f"\ntop {top} leaf functions (self share):")
    leaves: Counter[str] = Counter()
    for frames, n in kept:
        leaves[_function(frames[-1])] += n
    for function, n in leaves.most_common(top):
        print(f"  {n / total:6.1%}  {function}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--callers-of", help="a frame's text (e.g. 'uuid4 ('): what calls it, by share")
    args = parser.parse_args(argv)
    report(args.profile, args.top, args.callers_of)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
