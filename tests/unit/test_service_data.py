"""Every botocore session of a process reads botocore's data files through one loader (`jarchi.aws.service_data`):
a second session's first client does not parse the endpoints and the service model again."""

from __future__ import annotations

import botocore.session

from jarchi.aws.service_data import share_service_data


def test_new_sessions_share_one_loader_and_what_it_has_read() -> None:
    share_service_data()
    first, second = botocore.session.get_session(), botocore.session.get_session()
    loader = first.get_component("data_loader")
    assert second.get_component("data_loader") is loader
    first.create_client("sqs", region_name="eu-central-1", aws_access_key_id="x", aws_secret_access_key="x")
    read = dict(loader._cache)  # botocore's instance cache: what the loader has parsed
    second.create_client("sqs", region_name="eu-central-1", aws_access_key_id="x", aws_secret_access_key="x")
    assert loader._cache.keys() == read.keys()
