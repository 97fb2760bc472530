"""One CloudWatch dashboard and the alarms ops watch (R-OPS): queues, DLQs, functions, workflow."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.constants import (
    DASHBOARD_NAME,
    LAMBDA_ERROR_ALARM_THRESHOLD,
    QUEUE_AGE_ALARM_SECONDS,
    RESOURCE_PREFIX,
)
from jarchi.channels import Channel
from jarchi.metrics import NAMESPACE, SERVICE, Dimension, Metric

_PERIOD = Duration.minutes(1)


def jarchi_metric(
    metric: Metric, *, statistic: str = "Sum", period: Duration = _PERIOD, channel: Channel | None = None
) -> cw.Metric:
    """One of our EMF metrics (`jarchi.metrics`), as the handlers emit it: `service` and maybe `channel`."""
    dimensions = {Dimension.SERVICE.value: SERVICE}
    if channel is not None:
        dimensions[Dimension.CHANNEL.value] = channel.value
    return cw.Metric(
        namespace=NAMESPACE,
        metric_name=metric.value,
        dimensions_map=dimensions,
        statistic=statistic,
        period=period,
        label=f"{metric.value} {channel.value}" if channel is not None else None,  # none: alarms take it plain
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
    ) -> None:
        super().__init__(scope, construct_id)
        self.alarms: list[cw.Alarm] = []
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
                width=12,
            ),
            cw.GraphWidget(
                title="Results",
                left=[jarchi_metric(Metric.RESULTS_APPLIED), jarchi_metric(Metric.RESULTS_DEFERRED)],
                right=[jarchi_metric(Metric.RESULT_DUPLICATES)],
                width=12,
            ),
        )
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
                title="Campaign executions",
                left=[
                    state_machine.metric_started(period=_PERIOD),
                    state_machine.metric_failed(period=_PERIOD),
                    state_machine.metric_timed_out(period=_PERIOD),
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
        for name, function in functions.items():
            self._alarm(
                f"{name}-errors",
                function.metric_errors(period=Duration.minutes(5), statistic="Sum"),
                threshold=LAMBDA_ERROR_ALARM_THRESHOLD,
                description=f"The {name} function is failing.",
            )
        self._alarm(
            "campaign-executions-failed",
            state_machine.metric_failed(period=Duration.minutes(5), statistic="Sum"),
            threshold=0,
            description="Campaign workflow executions failed.",
        )
        self._alarm(
            "reconciliation-drift",
            drift,
            threshold=0,
            description="A reconciled campaign's reserved != charged + refunded (R-BIL-3).",
        )
        self.dashboard.add_widgets(cw.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms), width=24, height=4))

    def _alarm(
        self,
        name: str,
        metric: cw.IMetric,
        *,
        threshold: float,
        description: str,
        evaluation_periods: int = 1,
    ) -> None:
        self.alarms.append(
            cw.Alarm(
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
        )
