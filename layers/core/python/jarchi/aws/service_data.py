"""One botocore data loader for every botocore session of the process (issue 10, cold start).

boto3's default session, each pynamodb connection, Powertools' idempotency layer and the X-Ray SDK each make a
botocore session, and each session reads the endpoints (1.2 MB of JSON) and every service model it needs anew:
a first client in a new session cost 80–140 ms CPU here, 20–35 ms when the JSON is already loaded. The loader
only reads botocore's read-only data files, so sharing it changes no request."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def share_service_data() -> None:
    """From now on, every new botocore session reads its data files through one loader per search path."""
    import botocore.loaders
    import botocore.session

    create = botocore.loaders.create_loader
    loaders: dict[str | None, Any] = {}

    def shared_loader(search_path_string: str | None = None) -> Any:
        if search_path_string not in loaders:
            loaders[search_path_string] = create(search_path_string)
        return loaders[search_path_string]

    botocore.session.create_loader = shared_loader
