"""Every botocore session of a process reads botocore's data files through one loader (`jarchi.aws.service_data`):
a second session's first client does not parse the endpoints and the service model again; a model is found
without listing every service botocore ships."""

from __future__ import annotations

import botocore.loaders
import botocore.session
import pytest
from botocore.exceptions import UnknownServiceError

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


def test_a_service_model_is_botocore_s_own_without_listing_every_service(monkeypatch: pytest.MonkeyPatch) -> None:
    share_service_data()
    loader = type(botocore.session.get_session().get_component("data_loader"))()  # a new one: nothing read yet
    reference = botocore.loaders.Loader()  # botocore's loader as it comes
    monkeypatch.setattr(loader, "list_available_services", _no_listing)
    for service, kind in (("dynamodb", "service-2"), ("dynamodb", "paginators-1"), ("sqs", "endpoint-rule-set-1")):
        assert loader.load_service_model(service, kind) == reference.load_service_model(service, kind)
    assert loader.load_service_model("s3", "service-2", "2006-03-01") == reference.load_service_model(
        "s3", "service-2", "2006-03-01"
    )


def test_an_unknown_service_is_refused_as_botocore_refuses_it() -> None:
    share_service_data()
    loader = botocore.session.get_session().get_component("data_loader")
    for name in ("no-such-service", "dynamodb/2012-08-10"):
        with pytest.raises(UnknownServiceError, match="Valid service names are"):
            loader.load_service_model(name, "service-2")


def _no_listing(type_name: str) -> list[str]:
    raise AssertionError(f"listed every service's {type_name}")
