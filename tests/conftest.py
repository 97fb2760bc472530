from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime

import pytest

os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Jarchi")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "jarchi")
os.environ.setdefault("JARCHI_STAGE", "local")
os.environ.setdefault("JARCHI_RESOURCE_PREFIX", "jarchi-test")
os.environ.setdefault("AWS_DEFAULT_REGION", "eu-central-1")
# Every test account is new: its campaigns would all wait for a reviewer (R-CPL-4). Tests of moderation ask
# for it (the `campaign_moderation` fixture); the product's default is 7 days.
os.environ.setdefault("JARCHI_CAMPAIGN_MODERATION_DAYS", "0")

from jarchi import wiring
from jarchi.clock import LocalClock, use_clock
from jarchi.ids import restart_sequence
from jarchi.settings import Settings, get_settings, reset_settings
from local.emulator import emulated_aws
from local.runtime import LocalRuntime
from local.stepfunctions import stop_executions
from tests import dynamodb_calls, s3_calls
from tests.api import Api

dynamodb_calls.install()  # before any botocore session exists (importing makes none)
s3_calls.install()
wiring.install()

# 2026-03-02 is a Monday; 10:00 in Tehran.
DEFAULT_NOW = datetime.fromisoformat("2026-03-02T10:00:00+03:30")


@pytest.fixture
def clock() -> LocalClock:
    local_clock = LocalClock(DEFAULT_NOW, ticking=False)
    use_clock(local_clock)
    restart_sequence()  # ids sort by this clock (ledger periods are id ranges)
    return local_clock


@pytest.fixture
def settings() -> Settings:
    reset_settings()
    return get_settings()


@pytest.fixture
def campaign_moderation(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """Campaigns of accounts younger than 7 days start in moderation, as in the product (R-CPL-4)."""
    monkeypatch.setenv("JARCHI_CAMPAIGN_MODERATION_DAYS", "7")
    reset_settings()
    yield 7
    monkeypatch.undo()
    reset_settings()


@pytest.fixture
def aws(settings: Settings, clock: LocalClock) -> Iterator[Settings]:
    """moto with every Jarchi table, queue and bucket created; a frozen local clock."""
    with emulated_aws(settings):
        yield settings
        stop_executions(settings)  # moto's execution threads outlive mock_aws


@pytest.fixture
def platform(aws: Settings) -> Iterator[LocalRuntime]:
    """The whole local platform: functions, the campaign state machine, SQS pollers, the scheduler."""
    with LocalRuntime(aws, failed_visibility_seconds=0) as runtime:
        yield runtime


@pytest.fixture
def admin(aws: Settings) -> Api:
    """The API as the seeded admin."""
    from local.seed import seed_admin

    return Api(seed_admin().secret)


@pytest.fixture(autouse=True)
def _dynamodb_and_s3_grants() -> Iterator[None]:
    """Every DynamoDB and S3 request a function makes in a test is one its IAM grant allows (tests/dynamodb_calls.py,
    tests/s3_calls.py)."""
    dynamodb_calls.take_violations()
    s3_calls.take_violations()
    yield
    violations = dynamodb_calls.take_violations() + s3_calls.take_violations()
    assert not violations, "\n".join(violations)
