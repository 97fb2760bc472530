"""The generic HTTPS provider connector (R-DSP-4): each attempt is POSTed as signed JSON to the configured
endpoint (`jarchi.signing`), with `Idempotency-Key: <attempt id>` (`Attempt.idempotency_key`) so that a
provider can drop a re-sent attempt (a batch placed again after a crash mid-placement). A 2xx means accepted
(`submitted`; the result comes in the signed callback, `jarchi.connectors.https.events`). 429, 5xx, timeouts
and connection errors are retried inside the budget; 400/404/409/422 refuse the attempt for good (a final
free result); 401/403 and anything else send the batch back.

The request body is `{"attempt": <Attempt.to_message()>}`; the provider reports with the attempt's
`attempt_id`, `campaign_id`, `number` and `units` echoed (see `ProviderEvent`)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any, Final

from jarchi.attempts import Attempt, Placement
from jarchi.connectors.https.config import HttpsConfig
from jarchi.connectors.placing import place_each
from jarchi.connectors.retrying import Budget, Verdict
from jarchi.ports import ConnectorError
from jarchi.signing import HEADER, signature

CONNECTOR_NAME: Final = "https"
_REFUSED_STATUSES: Final = frozenset({400, 404, 409, 422})


class ProviderError(Exception):
    def __init__(self, status: int | None, message: str) -> None:
        super().__init__(message)
        self.status = status  # None: no answer (timeout, connection refused)


def judge(error: Exception) -> Verdict:
    if not isinstance(error, ProviderError):
        return Verdict.BROKEN
    if error.status is None or error.status == 429 or error.status >= 500:
        return Verdict.RETRY
    return Verdict.REFUSED if error.status in _REFUSED_STATUSES else Verdict.BROKEN


class HttpsConnector:
    """`Connector` for a provider with a signed JSON API. `budget` and `clock` are for tests."""

    def __init__(
        self,
        config: HttpsConfig,
        *,
        budget: Callable[[], Budget] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self._budget = budget or (lambda: Budget(config.budget_seconds))
        self._clock = clock

    @property
    def name(self) -> str:
        return CONNECTOR_NAME

    def post(self, attempt: Attempt) -> str | None:
        """POST one attempt; its provider reference (None if the provider gave none)."""
        body = json.dumps({"attempt": attempt.to_message()}, separators=(",", ":")).encode()
        request = urllib.request.Request(
            self.config.endpoint,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                HEADER: signature(self.config.secret, body, int(self._clock())),
                "Idempotency-Key": attempt.idempotency_key,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.config.timeout_seconds) as answer:
                payload: Any = json.loads(answer.read() or b"{}")
        except urllib.error.HTTPError as error:
            raise ProviderError(error.code, f"HTTP {error.code} from the provider") from error
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise ProviderError(None, f"no answer from the provider: {error}") from error
        except json.JSONDecodeError:
            return None
        reference = payload.get("reference") if isinstance(payload, dict) else None
        return str(reference) if reference is not None else None

    def place(self, attempts: Sequence[Attempt]) -> list[Placement]:
        if not self.config.endpoint or not self.config.secret:
            raise ConnectorError("the https connector needs an endpoint and a secret", retryable=False)
        return place_each(
            attempts,
            connector=CONNECTOR_NAME,
            send=self.post,
            judge=judge,
            refusal=lambda error: f"refused:http_{getattr(error, 'status', None)}",
            budget=self._budget(),
            in_flight=self.config.in_flight,
        )
