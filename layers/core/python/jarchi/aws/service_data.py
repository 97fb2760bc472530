"""One botocore data loader for every botocore session of the process (issue 10, cold start).

boto3's default session, each pynamodb connection, Powertools' idempotency layer and the X-Ray SDK each make a
botocore session, and each session reads the endpoints (1.2 MB of JSON) and every service model it needs anew:
a first client in a new session cost 80–140 ms CPU here, 20–35 ms when the JSON is already loaded. The loader
only reads botocore's read-only data files, so sharing it changes no request.

The shared loader also finds a service's model without listing every service botocore ships first: botocore's
`load_service_model` lists the ~450 folders of its data (a `listdir` and a `stat` or two each, ~12 ms CPU per
kind of file, twice at the first client of a process) only to check that the name is one of them; looking in the
service's own folder answers the same question."""

from __future__ import annotations

import os
from functools import cache
from typing import Any


@cache
def share_service_data() -> None:
    """From now on, every new botocore session reads its data files through one loader per search path."""
    import botocore.loaders
    import botocore.session
    from botocore.exceptions import DataNotFoundError

    class Loader(botocore.loaders.Loader):
        @botocore.loaders.instance_cache
        def load_service_model(self, service_name: str, type_name: str, api_version: str | None = None) -> Any:
            try:
                # The versions of this service with this kind of file: none, and it is not a known service.
                versions = self.list_api_versions(service_name, type_name) if os.sep not in service_name else []
            except DataNotFoundError:
                versions = []
            if not versions:  # botocore's own answer: UnknownServiceError naming the known services
                return super().load_service_model(service_name, type_name, api_version)
            # The rest is botocore's `load_service_model` as it is (botocore 1.44).
            version = api_version if api_version is not None else max(versions)
            model = self.load_data(os.path.join(service_name, version, type_name))
            extras = self._find_extras(service_name, type_name, version)  # type: ignore[attr-defined]
            self._extras_processor.process(model, extras)  # type: ignore[attr-defined]
            return model

    create = botocore.loaders.create_loader
    loaders: dict[str | None, Any] = {}

    def shared_loader(search_path_string: str | None = None) -> Any:
        if search_path_string not in loaders:
            made = create(search_path_string)  # botocore's search paths from AWS_DATA_PATH, as it makes them
            loaders[search_path_string] = Loader(
                extra_search_paths=made.search_paths, include_default_search_paths=False
            )
        return loaders[search_path_string]

    botocore.session.create_loader = shared_loader
