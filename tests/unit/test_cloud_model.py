"""The arithmetic of `bench/cloud_model.py` (issue 17): request units, cost per 1,000 attempts, and the resource
that limits a campaign."""

from __future__ import annotations

import pytest

from bench import cloud_model as model

AD = model.COUNTED["advertising_sms"]


def test_write_units_per_attempt_count_the_campaign_item_by_its_size() -> None:
    attempt = model.per_attempt("advertising_sms", AD)
    assert attempt.wru_by_table["ad_cap"] == AD["writes.ad_cap"]
    assert attempt.wru_by_table["campaigns"] == pytest.approx(AD["writes.campaigns"] * model.CAMPAIGN_ITEM_KB)
    assert attempt.rru_by_table["suppression"] == pytest.approx(1.5)  # 3 keys, eventually consistent


def test_cost_per_thousand_is_units_times_list_price() -> None:
    counted = {"writes.recipients": 1.0, "reads.suppression_keys": 2.0}
    cost = model.cost_per_thousand("service_sms", model.per_attempt("service_sms", counted))
    assert cost["dynamodb"] == pytest.approx(1000 * (1.0 * model.PRICE_DYNAMODB_WRU + 1.0 * model.PRICE_DYNAMODB_RRU))
    parts = ("dynamodb", "sqs", "lambda", "step_functions")
    assert cost["aws_total"] == pytest.approx(sum(cost[k] for k in parts))
    assert cost["telephony"] == 1000 * model.PROVIDER_PRICE_PER_ATTEMPT_USD["service_sms"]


def test_an_advertising_campaign_is_limited_by_its_sequential_cap_claims() -> None:
    found = model.verdict("advertising_sms", model.per_attempt("advertising_sms", AD), 100_000, 1)
    assert found.rate == pytest.approx(1 / model.DYNAMODB_WRITE_SECONDS)
    assert "cap claims" in found.limit
    assert found.hours == pytest.approx(100_000 / found.rate / 3600)


def test_a_service_campaign_is_limited_by_its_recipients_partition_and_many_campaigns_by_the_table() -> None:
    attempt = model.per_attempt("service_sms", model.COUNTED["service_sms"])
    one = model.verdict("service_sms", attempt, 1_000_000, 1)
    assert one.rate == pytest.approx(model.DYNAMODB_PARTITION_WRU_PER_S)
    assert "recipients partition" in one.limit
    many = model.verdict("service_sms", attempt, 10_000, 100)
    assert many.rate > one.rate
    assert "WRU/s" in many.limit
