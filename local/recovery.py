"""What a restart on an existing data folder does before the pollers run (issue 15).

The journal brought back the tables, queues, buckets and schedules as they were; what lived only in the
dead process is put right here:

- in-flight SQS messages: their consumer died with the process, so they come back once the local failure
  visibility (`failed_visibility_seconds`, 5 s by default, as for a failed batch) or their own visibility
  timeout has passed, whichever is first; their receive counts stay;
- the dispatch idempotency table's `INPROGRESS` records: the invocation that wrote one is gone for sure,
  so its batch may be placed again now (the cloud would wait for the record's in-progress expiry);
- workflow executions: moto's engine kept them in threads, so each campaign that should have one gets a
  new execution of its current run (`{id}-{run}`, the name the API gives it). The workflow keeps its
  position in the campaign item (pointer, `dispatching` range, pacing), and its tasks are idempotent: the
  new execution's prepare → admit → … continues from the last completed task, repeating the one that was
  running. A campaign should have one when it is running or waiting for a window, accepted to start at
  once, or scheduled with its schedule gone (it fired, and the process died before the run began);
- a start schedule whose campaign is no longer `scheduled` fired before the crash but was not deleted:
  it is deleted now, or its campaign would run twice. The other schedules stay, and those that fell due
  while the platform was down fire once, at the scheduler's first pass.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import boto3

from jarchi import wiring
from jarchi.aws.workflows import delete_schedule, start_execution
from jarchi.campaigns.statuses import CampaignStatus
from jarchi.clock import now
from jarchi.settings import Settings
from jarchi.store.campaigns import CampaignItem
from jarchi.store.tables import IDEMPOTENCY
from local.durability import release_in_flight

LOG = logging.getLogger(__name__)

REDRIVEN = frozenset({CampaignStatus.RUNNING, CampaignStatus.WAITING_WINDOW})


@dataclass
class Recovered:
    released_messages: int = 0
    cleared_in_progress: int = 0
    redriven: int = 0
    stale_schedules: int = 0


def recover(settings: Settings, *, failed_visibility_seconds: int | None) -> Recovered:
    recovered = Recovered()
    recovered.released_messages = release_in_flight(settings.region, failed_visibility_seconds)
    recovered.cleared_in_progress = _clear_in_progress(settings)
    recovered.redriven, recovered.stale_schedules = _redrive_workflows(settings)
    LOG.warning("resumed from the data folder: %s", recovered)
    return recovered


def _clear_in_progress(settings: Settings) -> int:
    dynamodb = boto3.client("dynamodb", region_name=settings.region)
    table = settings.table_name(IDEMPOTENCY.logical)
    cleared = 0
    for page in dynamodb.get_paginator("scan").paginate(
        TableName=table,
        FilterExpression="#s = :in_progress",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":in_progress": {"S": "INPROGRESS"}},
    ):
        for item in page["Items"]:
            dynamodb.delete_item(TableName=table, Key={"id": item["id"]})
            cleared += 1
    return cleared


def _schedule_exists(settings: Settings, name: str) -> bool:
    scheduler = boto3.client("scheduler", region_name=settings.region)
    try:
        scheduler.get_schedule(Name=name, GroupName=settings.scheduler_group)
    except scheduler.exceptions.ResourceNotFoundException:
        return False
    return True


def _redrive_workflows(settings: Settings) -> tuple[int, int]:
    repository = wiring.campaigns()
    redriven = stale = 0
    for item in CampaignItem.scan(attributes_to_get=["id", "status", "schedule_name"]):
        status = CampaignStatus(item.status)
        schedule = item.schedule_name or f"start-{item.id}"
        if status is not CampaignStatus.SCHEDULED and item.schedule_name and _schedule_exists(settings, schedule):
            delete_schedule(schedule)
            stale += 1
        campaign = repository.get(item.id)
        if campaign is None:
            continue
        due = campaign.settings.start_at is None or campaign.settings.start_at <= now()
        wanted = (
            status in REDRIVEN
            or (status is CampaignStatus.ACCEPTED and campaign.settings.auto_start)
            or (status is CampaignStatus.SCHEDULED and due and not _schedule_exists(settings, schedule))
        )
        if wanted:
            arn = start_execution(campaign.id, campaign.progress.run)
            repository.set_execution(campaign.id, arn)
            redriven += 1
    return redriven, stale
