"""AWS emulated in-process by moto, with every table, queue and bucket created from the same
definitions the CDK stack uses (jarchi.store.tables, jarchi.resources)."""

from __future__ import annotations

import copy
import heapq
import json
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache, partial
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.signers import RequestSigner
from botocore.utils import merge_dicts
from moto import mock_aws
from moto.core import responses as moto_responses
from moto.core import utils as moto_utils
from moto.core.botocore_stubber import BotocoreStubber, MockRawResponse
from moto.core.common_models import BaseModel
from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models import dynamo_type
from moto.dynamodb.models import table as dynamo_table
from moto.dynamodb.models.utilities import bytesize, find_nested_key
from moto.dynamodb.parsing.reserved_keywords import ReservedKeywords
from moto.dynamodb.responses import DynamoHandler, ProjectionExpressionParser

from jarchi.memo import LeastRecentlyUsed
from jarchi.resources import ALL_BUCKETS, ALL_QUEUES
from jarchi.settings import Settings
from jarchi.store.tables import ALL_TABLES, TableSpec
from local import dynamo_dispatch, dynamo_requests, dynamo_responses

MOTO_CONFIG: Any = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
}
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}

# DynamoDB and SQS apply each request atomically; moto's Python backends do not when several threads
# call them at once (an UpdateItem ADD is read-modify-write). Serialising the data-plane requests gives
# the local platform the per-request atomicity the real services have.
_SERIALISED_HOSTS = ("dynamodb.", "sqs.", "s3.", "scheduler.")
_emulator_lock = threading.RLock()
_original_call = BotocoreStubber.__call__
# Sees every serialised request inside the lock, with the call that applies it (the durable journal).
RequestObserver = Callable[[Any, Callable[[], Any]], Any]
_observer: list[RequestObserver] = []


# Long polling without holding the lock: a poller whose receive came back empty waits until some
# SendMessage(Batch) to its queue passes here (or its timeout), instead of asking again and again. A send
# wakes only the pollers of its queue: waking every poller on every send made each send cost an empty
# ReceiveMessage per other queue.
_sqs_sends = threading.Condition()
_sqs_send_count = 0
_sends_by_queue: Counter[str] = Counter()
_wakes = 0  # wake_sqs_waiters() calls, and sends whose queue could not be read: they wake every poller
_SEND_TARGETS = (b"AmazonSQS.SendMessage", b"AmazonSQS.SendMessageBatch")
_HIDING_TARGETS = (*_SEND_TARGETS, b"AmazonSQS.ChangeMessageVisibility", b"AmazonSQS.ChangeMessageVisibilityBatch")
_QUEUE_URL = re.compile(rb'"QueueUrl":\s*"[^"]*/([^"/]+)"')
_HIDDEN_FOR = re.compile(rb'"(?:DelaySeconds|VisibilityTimeout)":\s*(\d+)')
# queue name -> the (monotonic) instants at which messages sent with a delay, or hidden by a visibility change,
# show again (a heap): an idle poller wakes then rather than polling for them
_shows_again: dict[str, list[float]] = {}


def _sqs_target(request: Any) -> bytes:
    target = request.headers.get("X-Amz-Target", b"")
    return target if isinstance(target, bytes) else str(target).encode()


def _body(request: Any) -> bytes:
    return request.body if isinstance(request.body, bytes) else str(request.body or "").encode()


def _note_hidden(request: Any) -> None:
    """Remember when the earliest message this request delays or hides shows again on its queue."""
    body = _body(request)
    seconds = [int(found) for found in _HIDDEN_FOR.findall(body) if int(found) > 0]
    queue = _QUEUE_URL.search(body)
    if not seconds or queue is None:
        return
    now = time.monotonic()
    with _sqs_sends:
        instants = _shows_again.setdefault(queue.group(1).decode(), [])
        for delay in set(seconds):
            heapq.heappush(instants, now + delay)


def seconds_until_shown(queue_url: str) -> float | None:
    """How long until the next delayed or hidden message of the queue shows again (None: none is known)."""
    now = time.monotonic()
    with _sqs_sends:
        instants = _shows_again.get(_queue_name(queue_url), [])
        while instants and instants[0] < now:  # shown already (the poller waits a margin past it)
            heapq.heappop(instants)
        return max(0.0, instants[0] - now) if instants else None


def _queue_name(queue_url: str) -> str:
    return queue_url.rstrip("/").rsplit("/", 1)[-1]


def sqs_sends_so_far(queue_url: str | None = None) -> int:
    """A number that changes with every send (to `queue_url` only, when given) and every wake-up."""
    if queue_url is None:
        return _sqs_send_count
    return _sends_by_queue[_queue_name(queue_url)] + _wakes


def wait_for_sqs_send(after: int, timeout_seconds: float, queue_url: str | None = None) -> None:
    """Return once `sqs_sends_so_far(queue_url)` is no longer `after` (a send, or `wake_sqs_waiters()`), or
    at the timeout."""
    with _sqs_sends:
        _sqs_sends.wait_for(lambda: sqs_sends_so_far(queue_url) != after, timeout_seconds)


def _count_send(request: Any) -> None:
    global _sqs_send_count, _wakes
    match = _QUEUE_URL.search(_body(request))
    with _sqs_sends:
        _sqs_send_count += 1
        if match is None:
            _wakes += 1
        else:
            _sends_by_queue[match.group(1).decode()] += 1
        _sqs_sends.notify_all()


def wake_sqs_waiters() -> None:
    global _sqs_send_count, _wakes
    with _sqs_sends:
        _sqs_send_count += 1
        _wakes += 1
        _sqs_sends.notify_all()


# The local scheduler lists the schedules again only after one of these (or when one it knows falls due).
_scheduler_change_count = 0


def scheduler_changes_so_far() -> int:
    """How many requests that may create, change or delete a schedule have passed so far."""
    return _scheduler_change_count


def _serialised_call(self: BotocoreStubber, event_name: str, request: Any, **kwargs: Any) -> Any:
    global _scheduler_change_count
    host = request.url.split("://", 1)[-1]
    if not host.startswith(_SERIALISED_HOSTS) and ".s3." not in host.split("/", 1)[0]:
        return _original_call(self, event_name, request, **kwargs)
    if host.startswith("dynamodb."):
        call = partial(_dynamodb_call, self, event_name, request, kwargs)
    else:
        call = partial(_original_call, self, event_name, request, **kwargs)
    with _emulator_lock:
        response = _observer[0](request, call) if _observer else call()
    if host.startswith("sqs."):
        target = _sqs_target(request)
        if target in _HIDING_TARGETS:
            _note_hidden(request)
        if target in _SEND_TARGETS:
            _count_send(request)
    elif host.startswith("scheduler.") and request.method != "GET":
        _scheduler_change_count += 1
    return response


# DynamoDB requests go to moto's handler directly (`local.dynamo_dispatch`); False: through moto's routing
dispatch_dynamodb_directly = True


def _dynamodb_call(self: BotocoreStubber, event_name: str, request: Any, kwargs: dict[str, Any]) -> Any:
    """moto's `BotocoreStubber.__call__` for a DynamoDB request, its answer from `dynamo_dispatch` when that
    serves the request."""
    if not self.enabled:
        return None
    answer = dynamo_dispatch.answer(request) if dispatch_dynamodb_directly else None
    if answer is None:
        return _original_call(self, event_name, request, **kwargs)
    status, headers, body = answer
    return AWSResponse(request.url, status, headers, MockRawResponse(body))  # type: ignore[arg-type]


def emulator_lock() -> threading.RLock:
    """Held while a serialised request is applied: holding it sees the emulated services at rest."""
    return _emulator_lock


def observe_requests(observer: RequestObserver | None) -> None:
    _observer[:] = [observer] if observer is not None else []


_method_names = cache(moto_utils.method_names_from_class)
_moto_project = dynamo_type.Item.project  # moto's own, before install_request_serialisation() replaces it


_last_projection: list[tuple[list[list[str]] | None, bool]] = [(None, False)]


def _top_level(projection_expressions: list[list[str]]) -> bool:
    """Whether a projection names top-level attributes only; asked once per request's projection (moto projects
    each item found with the same list), not once per item."""
    last = _last_projection[0]
    if last[0] is projection_expressions:  # (the list is kept with the answer: its id stays its own)
        return last[1]
    simple = all(len(expression) == 1 and "[" not in expression[0] for expression in projection_expressions)
    _last_projection[0] = (projection_expressions, simple)
    return simple


def _project(self: dynamo_type.Item, projection_expressions: list[list[str]]) -> dynamo_type.Item:
    """moto's `Item.project`, without its two costs on a wide item: the item turned into plain JSON and back
    (once per projected attribute in moto), and the new item's size checked on every attribute it gets (moto's
    `LimitedSizeDict`, quadratic in the attributes). A campaign read names 78 attributes (all but its applied
    batch ids): that made one GetItem ~40 ms of the emulator's time on a loaded machine. Projections of top-level
    names (what pynamodb sends) share the stored attribute values, as an unprojected read does (they are only
    read, inside the emulator's lock); a nested path or a list element takes the plain-JSON route. Same result."""
    if _top_level(projection_expressions):
        attrs = {name: self.attrs[name] for (name,) in projection_expressions if name in self.attrs}
    else:
        whole = self.to_regular_json()
        result: dict[str, Any] = {}
        for expression in projection_expressions:
            merge_dicts(result, find_nested_key(expression, whole))
        attrs = {
            name: dynamo_type.DynamoType(value) for name, value in dynamo_type.serializer.serialize(result)["M"].items()
        }
    item: dynamo_type.Item = object.__new__(dynamo_type.Item)
    item.hash_key, item.range_key = self.hash_key, self.range_key
    item.attrs = dynamo_type.LimitedSizeDict.__new__(dynamo_type.LimitedSizeDict)
    dict.update(item.attrs, attrs)  # no size check: a projection is never larger than the stored item
    return item


_moto_item_init = dynamo_type.Item.__init__
_MAX_ITEM_BYTES = 405_000  # moto's own limit (`LimitedSizeDict`: between AWS's measured 409 and 410 KB)


def _size(value: dynamo_type.DynamoType) -> int:
    """`DynamoType.size()`, its two commonest cases first (moto asks five type questions before a string's)."""
    if value.type == "S" and type(value.value) is str:
        return len(value.value.encode("utf-8"))
    if value.type == "N":
        return len(str(value.value))
    return value.size()


def _item_init(self: dynamo_type.Item, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
    """moto's `Item.__init__` with its size check made linear. moto adds the attributes one by one to a
    `LimitedSizeDict`, which sums the size of every attribute already there on each addition: quadratic in the
    attributes, so a recipient's result (16 attributes) cost ~8 times the size work of a 4-attribute item per
    write, in every BatchWriteItem of the results path. Here the sizes are summed once; the same limit raises
    the same `ItemSizeTooLarge` (sizes are never negative, so the whole item is over the limit exactly when
    one of moto's partial sums is)."""
    self.hash_key, self.range_key = hash_key, range_key
    values = {key: dynamo_type.DynamoType(value) for key, value in attrs.items()}
    if sum(bytesize(str(key)) + _size(value) for key, value in values.items()) > _MAX_ITEM_BYTES:
        raise ItemSizeTooLarge
    self.attrs = dynamo_type.LimitedSizeDict.__new__(dynamo_type.LimitedSizeDict)
    dict.update(self.attrs, values)


def _shared(item: dynamo_type.Item) -> dynamo_type.Item:
    """A new item with its own attribute dict, sharing the stored attribute values."""
    copied: dynamo_type.Item = object.__new__(dynamo_type.Item)
    copied.hash_key, copied.range_key = item.hash_key, item.range_key
    copied.attrs = dynamo_type.LimitedSizeDict.__new__(dynamo_type.LimitedSizeDict)
    dict.update(copied.attrs, item.attrs)
    return copied


class _ResultCopy:
    """What moto's table module sees as `copy`. `Table.query` and `Table.scan` deep-copy every item they found
    (a list of 20 campaigns: 2,000 attribute values copied, a third of the emulator's time for the API's list)
    before projecting, filtering and writing the answer, which only read the values, inside the emulator's lock
    (a write waits for the lock: no value changes meanwhile). Here an item, or a list of items, is copied one
    level, as `_project` does; everything else the module copies (backups, a table's items) is deep-copied."""

    copy = staticmethod(copy.copy)

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        if type(value) is dynamo_type.Item:
            return _shared(value)
        if type(value) is list and all(type(member) is dynamo_type.Item for member in value):
            return [_shared(member) for member in value]
        return copy.deepcopy(value, memo)


_moto_value_size = dynamo_type.DynamoType.size
_moto_item_size = dynamo_type.Item.size
_SETS = {"SS": "S", "NS": "N", "BS": "B"}
_DynamoType = dynamo_type.DynamoType


def _value_size(value: dynamo_type.DynamoType) -> int:
    """moto's `DynamoType.size`, without re-wrapping every member of a map in a new DynamoType (which copies
    its whole subtree) to ask its size: a query counts each item's size twice, and a campaign holds maps."""
    kind, inner = value.type, value.value
    if kind == "N":
        return len(str(inner))
    if kind in _SETS:
        return sum(_value_size(dynamo_type.DynamoType({_SETS[kind]: member})) for member in inner)
    if kind == "L":
        return sum(_value_size(member) for member in inner)
    if kind == "M":
        return sum(
            bytesize(name)
            + _value_size(member if type(member) is dynamo_type.DynamoType else dynamo_type.DynamoType(member))
            for name, member in inner.items()
        )
    if isinstance(inner, bool):
        return 1
    return bytesize(inner)


_moto_cast_value = dynamo_type.DynamoType.cast_value


def _cast_value(self: dynamo_type.DynamoType) -> Any:
    """moto's `DynamoType.cast_value` (what keys are compared and sorted by), strings first: moto asks five type
    questions before it answers a string's value as it is. A query on an index compares the partition key of
    every item in the table and sorts the partition's by their keys (~2,400 casts for a list of campaigns)."""
    if self.type == "S":
        return self.value
    return _moto_cast_value.fget(self)  # type: ignore[attr-defined]


def _item_size(item: dynamo_type.Item) -> int:
    known = _sizes.get(id(item))
    if known is None or known[0] is not item:
        if len(_sizes) >= dynamo_responses.KEPT_LIMIT:
            _sizes.clear()
        known = _sizes[id(item)] = (item, _counted_size(item))  # (the item kept: its id stays its own)
    return known[1]


def _counted_size(item: dynamo_type.Item) -> int:
    return sum(bytesize(name) + _value_size(value) for name, value in item.attrs.items())


# moto's `Table.query` and `Table.scan` ask each item found for its size twice (is the page over 1 MB with it?
# then add it), and once more for the item after a full page: on a list of 20 campaigns (~80 attributes each)
# that was 41 size counts, ~60 % of the query's time in the emulator (issue 14, the read latency). Each item's
# size is kept from one read to the next until the next write (`_forgetting_on_writes`), as the answers' forms are
# (`dynamo_responses.plain`): a stored item changes only inside a write request.
_sizes: dict[int, tuple[dynamo_type.Item, int]] = {}
_moto_all_items = dynamo_table.Table.all_items
# moto's `Table.all_items` sorts every item of the table by its keys, on each query (which then keeps its
# partition's and sorts those again by the index's keys) and scan: on the campaigns table of the benchmark (~300
# items) that was ~5 % of a list of 20 campaigns. The sorted list is kept for each table until the next write,
# as the sizes are (a table's items change only inside a write request); each caller gets its own copy.
_all_items: dict[int, tuple[Any, list[dynamo_type.Item]]] = {}


def _kept_all_items(self: Any) -> list[dynamo_type.Item]:
    kept = _all_items.get(id(self))
    if kept is None or kept[0] is not self:
        kept = _all_items[id(self)] = (self, _moto_all_items(self))  # (the table kept: its id stays its own)
    return list(kept[1])


_moto_parse_projection = ProjectionExpressionParser.parse
# moto's parse of a request's ProjectionExpression, by the expression and its names: it checks every name against
# the reserved words and the list for duplicates, pairwise (~0.15 ms for the 78–96 names of a campaign read, on
# every GetItem and Query of the API's reads; issue 14). It depends on nothing but the two, and each request gets
# its own copy of the lists. A request moto refuses is parsed (and refused) again each time.
_parsed_projections: LeastRecentlyUsed[tuple[str, tuple[tuple[str, str], ...]], tuple[list[list[str]], list[str]]]
_parsed_projections = LeastRecentlyUsed(256)


def _parse_projection(self: ProjectionExpressionParser) -> list[list[str]]:
    expression, names = self.projection_expression, self.expression_attribute_names
    if not expression or type(names) is not dict or not all(type(v) is str for v in names.values()):
        return _moto_parse_projection(self)
    key = (expression, tuple(names.items()))
    kept = _parsed_projections.get(key)
    if kept is None:
        parsed = _moto_parse_projection(self)
        _parsed_projections.put(key, ([list(path) for path in parsed], list(self.expr_attr_names_found)))
        return parsed
    self.expr_attr_names_found.extend(kept[1])
    return [list(path) for path in kept[0]]


_READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan"})
_moto_call_action = DynamoHandler.call_action


def forget_derived() -> None:
    """Forget every size and answer form kept from earlier reads."""
    _sizes.clear()
    _all_items.clear()
    dynamo_responses.forget_derived()


def _forgetting_on_writes(self: DynamoHandler) -> Any:
    """moto's `DynamoHandler.call_action`; a request that is not a read forgets what earlier reads kept, before it
    (it may read through a condition) and after it (what it changed)."""
    if self._get_action() in _READS:
        return _moto_call_action(self)
    forget_derived()
    try:
        return _moto_call_action(self)
    finally:
        forget_derived()


# moto's BaseModel keeps every instance it ever made in a class-level list (for its dashboard, which the local
# platform does not serve). For DynamoDB and SQS that is every item copy a read or a query made and every
# message: a read-only load grew the platform by ~0.1 MB a request, kept for good (issue 14, memory).
_UNTRACKED_MODULES = ("moto.dynamodb.", "moto.sqs.")
_tracked_new = BaseModel.__new__


def _new_untracked(cls: type[BaseModel], *args: Any, **kwargs: Any) -> BaseModel:
    if cls.__module__.startswith(_UNTRACKED_MODULES):
        return object.__new__(cls)
    return _tracked_new(cls, *args, **kwargs)


class _Keywords(list[str]):
    """moto's list of DynamoDB's reserved words, looked up by hash: moto checks each name of a projection against
    the list (~570 words, one by one), and a campaign read projects 78 names (~5 % of an API read's CPU)."""

    def __init__(self, words: list[str]) -> None:
        super().__init__(words)
        self._words = frozenset(words)

    def __contains__(self, word: object) -> bool:
        return word in self._words


_sign = RequestSigner.sign


def _sign_unless_emulated_dynamodb(
    self: RequestSigner, operation_name: str, request: Any, *args: Any, **kwargs: Any
) -> Any:
    """botocore signs every request (SigV4: a canonical request, its hash, four HMACs): ~0.6 ms of each DynamoDB
    call of an API read, two or three calls a read (issue 14). The emulator checks no signature: moto takes the
    region from the URL and, with no access key, its default account, the one the fake credentials map to. So
    DynamoDB requests go out unsigned in the emulated platform (a presigned URL still signs)."""
    if self.signing_name == "dynamodb" and kwargs.get("signing_type", "standard") == "standard" and not args:
        return None
    return _sign(self, operation_name, request, *args, **kwargs)


_moto_parse_qsl = moto_responses.parse_qsl  # type: ignore[attr-defined]


def _json_body_not_a_query_string(body: str, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
    """moto reads every request body as a query string too (for the Query protocol's form bodies), and takes the
    operation and parameters from it before the `X-Amz-Target` header (moto 5.2, `BaseResponse.setup_class`): an
    SQS message or a DynamoDB item holding `x&Action=PurgeQueue&y` (an SMS text, a campaign name) ran PurgeQueue on
    the queue, `&QueueUrl=` would have redirected it. A body that is a JSON object is never a form body, so it stays
    whole, one key with no value: what moto already made of a JSON body with no `&` or `=` in it."""
    if body.startswith("{"):
        return [(body, "")]
    result: list[tuple[str, str]] = _moto_parse_qsl(body, *args, **kwargs)
    return result


def install_request_serialisation() -> None:
    BotocoreStubber.__call__ = _serialised_call  # type: ignore[method-assign]
    RequestSigner.sign = _sign_unless_emulated_dynamodb  # type: ignore[method-assign]
    ReservedKeywords.KEYWORDS = _Keywords(list(ReservedKeywords.get_reserved_keywords()))
    dynamo_type.Item.project = _project  # type: ignore[method-assign]
    dynamo_type.Item.__init__ = _item_init  # type: ignore[method-assign]
    dynamo_type.DynamoType.size = _value_size  # type: ignore[method-assign,assignment]
    dynamo_type.Item.size = _item_size  # type: ignore[method-assign,assignment]
    dynamo_type.DynamoType.cast_value = property(_cast_value)  # type: ignore[method-assign,assignment]
    DynamoHandler.call_action = _forgetting_on_writes  # type: ignore[method-assign]
    ProjectionExpressionParser.parse = _parse_projection  # type: ignore[method-assign]
    dynamo_table.copy = _ResultCopy  # type: ignore[attr-defined,assignment]
    dynamo_table.Table.all_items = _kept_all_items  # type: ignore[method-assign]
    dynamo_responses.install()
    dynamo_requests.install()
    # moto lists a handler class's methods (inspect.getmembers) on every request; the classes never change
    moto_responses.method_names_from_class = _method_names  # type: ignore[attr-defined]
    moto_responses.parse_qsl = _json_body_not_a_query_string  # type: ignore[attr-defined,assignment]
    BaseModel.__new__ = staticmethod(_new_untracked)  # type: ignore[method-assign]


def set_fake_credentials(region: str) -> None:
    for key, value in FAKE_CREDENTIALS.items():
        os.environ.setdefault(key, value)
    os.environ["AWS_DEFAULT_REGION"] = region


@contextmanager
def emulated_aws(settings: Settings) -> Iterator[None]:
    """Start moto, create every resource, and stop it on exit."""
    set_fake_credentials(settings.region)
    install_request_serialisation()
    with mock_aws(config=MOTO_CONFIG):
        create_resources(settings)
        yield


def create_resources(settings: Settings) -> None:
    dynamodb = boto3.client("dynamodb", region_name=settings.region)
    for spec in ALL_TABLES:
        create_table(dynamodb, settings.table_name(spec.logical), spec)
    sqs = boto3.client("sqs", region_name=settings.region)
    for queue in ALL_QUEUES:
        dlq_url = sqs.create_queue(QueueName=settings.queue_name(queue.dlq_logical))["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sqs.create_queue(
            QueueName=settings.queue_name(queue.logical),
            Attributes={
                "VisibilityTimeout": str(queue.visibility_timeout_seconds),
                "RedrivePolicy": json.dumps(
                    {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": queue.max_receive_count}
                ),
            },
        )
    s3 = boto3.client("s3", region_name=settings.region)
    for bucket in ALL_BUCKETS:
        s3.create_bucket(
            Bucket=settings.bucket_name(bucket.logical),
            CreateBucketConfiguration={"LocationConstraint": settings.region},  # type: ignore[typeddict-item]
        )


def create_table(client: Any, name: str, spec: TableSpec) -> None:
    def key_schema(partition: Any, sort: Any) -> list[dict[str, str]]:
        schema = [{"AttributeName": partition.name, "KeyType": "HASH"}]
        if sort is not None:
            schema.append({"AttributeName": sort.name, "KeyType": "RANGE"})
        return schema

    args: dict[str, Any] = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": key_schema(spec.partition, spec.sort),
        "AttributeDefinitions": [
            {"AttributeName": attr, "AttributeType": kind} for attr, kind in spec.key_attributes().items()
        ],
    }
    if spec.indexes:
        args["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": key_schema(index.partition, index.sort),
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in spec.indexes
        ]
    client.create_table(**args)
    if spec.ttl_attribute:
        client.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute}
        )
