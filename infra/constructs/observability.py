"""One CloudWatch dashboard and the alarms ops watch (R-OPS): queues, DLQs, functions, workflow, the attempts'
results and the providers' reports; every alarm notifies one SNS topic (`ALARM_TOPIC_NAME`)."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import CfnOutput, Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.constants import (
    ALARM_TOPIC_NAME,
    DASHBOARD_NAME,
    LAMBDA_ERROR_RATE_ALARM_PERCENT,
    PROVIDER_FAILURE_ALARM_MIN_REPORTS,
    PROVIDER_FAILURE_ALARM_PERCENT,
    QUEUE_AGE_ALARM_SECONDS,
    RESOURCE_PREFIX,
)
from infra.constructs.topics import service_topic
from jarchi.channels import Channel
from jarchi.metrics import NAMESPACE, SERVICE, Dimension, Metric

_PERIOD = Duration.minutes(1)
_VOICE_OUTCOMES_SEARCH = (
    f"SEARCH('{{{NAMESPACE},{Dimension.CHANNEL},{Dimension.OUTCOME},{Dimension.SERVICE}}} "
    f"MetricName=\"{Metric.ATTEMPT_RESULTS}\"', 'Sum', 60)"
)
_STATUS_SEARCH = (
    f"SEARCH('{{{NAMESPACE},{Dimension.SERVICE},{Dimension.STATUS}}} "
    f"MetricName=\"{Metric.CAMPAIGNS_SETTLED}\"', 'Sum', 300)"
)


def jarchi_metric(
    metric: Metric,
    *,
    statistic: str = "Sum",
    period: Duration = _PERIOD,
    channel: Channel | None = None,
    dimensions: Mapping[Dimension, str] | None = None,
) -> cw.Metric:
    """One of our EMF metrics (`jarchi.metrics`), as the handlers emit it: `service`, maybe `channel` and the
    other dimensions given."""
    extra = {**({Dimension.CHANNEL: channel.value} if channel is not None else {}), **(dimensions or {})}
    return cw.Metric(
        namespace=NAMESPACE,
        metric_name=metric.value,
        dimensions_map={Dimension.SERVICE.value: SERVICE, **{k.value: v for k, v in extra.items()}},
        statistic=statistic,
        period=period,
        label=" ".join([metric.value, *extra.values()]) if extra else None,  # none: alarms take it plain
    )


def _rate(
    key: str, label: str, part: cw.IMetric, whole: cw.IMetric, *, at_least: int = 1, period: Duration = _PERIOD
) -> cw.MathExpression:
    """100 × part / whole, 0 while whole is below `at_least`; `key` names the pair within a graph."""
    return cw.MathExpression(
        expression=f"IF(whole_{key} >= {at_least}, 100 * part_{key} / whole_{key}, 0)",
        using_metrics={f"part_{key}": part, f"whole_{key}": whole},
        label=label,
        period=period,
    )


class Observability(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        queues: dict[str, sqs.IQueue],
        dlqs: dict[str, sqs.IQueue],
        functions: dict[str, lambda_.IFunction],
        state_machine: sfn.IStateMachine,
        tables: Mapping[str, dynamodb.ITable] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.alarms: list[cw.Alarm] = []
        self.topic = service_topic(
            self, "alarms", topic_name=ALARM_TOPIC_NAME, publisher=iam.ServicePrincipal("cloudwatch.amazonaws.com")
        )
        CfnOutput(self, "AlarmTopicArn", value=self.topic.topic_arn, description="Subscribe ops to the alarms")
        self.dashboard = cw.Dashboard(self, "Dashboard", dashboard_name=DASHBOARD_NAME)

        depth = [q.metric_approximate_number_of_messages_visible(period=_PERIOD) for q in queues.values()]
        age = [q.metric_approximate_age_of_oldest_message(period=_PERIOD) for q in queues.values()]
        dlq_depth = [q.metric_approximate_number_of_messages_visible(period=_PERIOD) for q in dlqs.values()]
        drift = jarchi_metric(Metric.RECONCILIATION_DRIFT, statistic="Maximum", period=Duration.minutes(5))
        self.dashboard.add_widgets(
            cw.GraphWidget(title="Queue depth", left=depth, width=8),
            cw.GraphWidget(title="Oldest message age (s)", left=age, width=8),
            cw.GraphWidget(title="DLQ depth", left=dlq_depth, width=8),
        )
        self.dashboard.add_widgets(
            cw.GraphWidget(
                title="Attempts placed",
                left=[jarchi_metric(Metric.ATTEMPTS_PLACED, channel=channel) for channel in Channel],
                right=[
                    cw.MathExpression(
                        expression=f"placed_{channel.value} / 60",
                        using_metrics={
                            f"placed_{channel.value}": jarchi_metric(Metric.ATTEMPTS_PLACED, channel=channel)
                        },
                        label=f"placements/s {channel.value}",
                        period=_PERIOD,
                    )
                    for channel in Channel
                ],
                width=12,
            ),
            cw.GraphWidget(
                title="Results",
                left=[jarchi_metric(Metric.RESULTS_APPLIED), jarchi_metric(Metric.RESULTS_DEFERRED)],
                right=[jarchi_metric(Metric.RESULT_DUPLICATES)],
                width=12,
            ),
        )
        self._results_widgets()
        self.dashboard.add_widgets(
            cw.GraphWidget(
                title="Lambda errors", left=[f.metric_errors(period=_PERIOD) for f in functions.values()], width=6
            ),
            cw.GraphWidget(
                title="Lambda duration p99",
                left=[f.metric_duration(period=_PERIOD, statistic="p99") for f in functions.values()],
                width=6,
            ),
            cw.GraphWidget(
                title="Lambda throttles",
                left=[f.metric_throttles(period=_PERIOD) for f in functions.values()],
                width=6,
            ),
            cw.GraphWidget(
                title="DynamoDB throttled reads and writes",
                left=[
                    table.metric(name, period=_PERIOD, statistic="Sum", label=f"{logical} {name}")
                    for logical, table in (tables or {}).items()
                    for name in ("ReadThrottleEvents", "WriteThrottleEvents")
                ],
                width=6,
            ),
            cw.GraphWidget(
                title="Campaign executions",
                left=[
                    state_machine.metric_started(period=_PERIOD),
                    state_machine.metric_failed(period=_PERIOD),
                    state_machine.metric_timed_out(period=_PERIOD),
                    state_machine.metric_throttled(period=_PERIOD),
                ],
                right=[drift],
                width=6,
            ),
        )

        for name, dlq in dlqs.items():
            self._alarm(
                f"{name}-dlq-not-empty",
                dlq.metric_approximate_number_of_messages_visible(period=_PERIOD, statistic="Maximum"),
                threshold=0,
                description=f"Messages in the {name} dead-letter queue: poison messages need a look.",
            )
        for name, queue in queues.items():
            self._alarm(
                f"{name}-queue-age",
                queue.metric_approximate_age_of_oldest_message(period=_PERIOD, statistic="Maximum"),
                threshold=QUEUE_AGE_ALARM_SECONDS,
                description=f"The {name} queue is falling behind.",
                evaluation_periods=5,
            )
        five = Duration.minutes(5)
        for name, function in functions.items():
            self._alarm(
                f"{name}-error-rate",
                _rate(
                    "errors",
                    f"{name} error %",
                    function.metric_errors(period=five, statistic="Sum"),
                    function.metric_invocations(period=five, statistic="Sum"),
                    period=five,
                ),
                threshold=LAMBDA_ERROR_RATE_ALARM_PERCENT,
                description=f"More than {LAMBDA_ERROR_RATE_ALARM_PERCENT} % of the {name} function's invocations fail.",
            )
        self._alarm(
            "campaign-executions-failed",
            state_machine.metric_failed(period=five, statistic="Sum"),
            threshold=0,
            description="Campaign workflow executions failed.",
        )
        self._alarm(
            "reconciliation-drift",
            drift,
            threshold=0,
            description="A reconciled campaign's reserved != charged + released + refunded (R-BIL-3).",
        )
        for name, connector, what in (
            ("sma-call-failures", "chime", "SIP media application calls"),
            ("eum-delivery-failures", "end_user_messaging", "End User Messaging messages"),
        ):
            self._alarm(
                name,
                self._failure_rate(connector, period=Duration.minutes(15)),
                threshold=PROVIDER_FAILURE_ALARM_PERCENT,
                description=f"More than {PROVIDER_FAILURE_ALARM_PERCENT} % of {what} failed (of at least "
                f"{PROVIDER_FAILURE_ALARM_MIN_REPORTS} reports in 15 minutes).",
            )
        self.dashboard.add_widgets(cw.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms), width=24, height=4))

    def _failure_rate(self, connector: str, *, period: Duration = _PERIOD) -> cw.MathExpression:
        by = {Dimension.CONNECTOR: connector}
        return _rate(
            connector,
            f"{connector} failure %",
            jarchi_metric(Metric.PROVIDER_FAILURES, dimensions=by, period=period),
            jarchi_metric(Metric.PROVIDER_REPORTS, dimensions=by, period=period),
            at_least=PROVIDER_FAILURE_ALARM_MIN_REPORTS,
            period=period,
        )

    def _results_widgets(self) -> None:
        voice = Channel.VOICE
        all_calls = jarchi_metric(Metric.ATTEMPT_RESULTS, channel=voice)
        answered = jarchi_metric(Metric.ATTEMPT_RESULTS, channel=voice, dimensions={Dimension.OUTCOME: "answered"})
        listened = jarchi_metric(Metric.LISTENED_SECONDS, channel=voice)
        self.dashboard.add_widgets(
            cw.GraphWidget(
                title="Attempts by channel and result",
                left=[jarchi_metric(Metric.ATTEMPT_RESULTS, channel=channel) for channel in Channel],
                right=[cw.MathExpression(expression=_VOICE_OUTCOMES_SEARCH, label="", period=_PERIOD)],
                width=8,
            ),
            cw.GraphWidget(
                title="Answer rate % and ACD (s)",
                left=[_rate("answered", "answer rate %", answered, all_calls)],
                right=[
                    cw.MathExpression(
                        expression="IF(answered > 0, listened / answered, 0)",
                        using_metrics={"answered": answered, "listened": listened},
                        label="ACD (s)",
                        period=_PERIOD,
                    )
                ],
                width=8,
            ),
            cw.GraphWidget(
                title="Provider failure %",
                left=[self._failure_rate("chime"), self._failure_rate("end_user_messaging")],
                width=8,
            ),
        )
        self.dashboard.add_widgets(
            cw.GraphWidget(
                title="Callbacks, follow-ups and campaigns",
                left=[
                    jarchi_metric(Metric.INBOUND_CALLS),
                    jarchi_metric(Metric.FOLLOW_UPS),
                    jarchi_metric(Metric.CAMPAIGNS_STARTED),
                ],
                right=[
                    jarchi_metric(Metric.CAMPAIGNS_SETTLED, dimensions={Dimension.STATUS: "finished"}),
                    cw.MathExpression(expression=_STATUS_SEARCH, label="", period=Duration.minutes(5)),
                ],
                width=24,
            )
        )

    def _alarm(
        self,
        name: str,
        metric: cw.IMetric,
        *,
        threshold: float,
        description: str,
        evaluation_periods: int = 1,
    ) -> None:
        alarm = cw.Alarm(
            self,
            name,
            alarm_name=f"{RESOURCE_PREFIX}-{name}",
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            evaluation_periods=evaluation_periods,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(actions.SnsAction(self.topic))
        self.alarms.append(alarm)
