"""A client generated from `/v1/openapi.json` by openapi-python-client builds with no warning and parses every
documented answer, errors included (issue 14). It calls the API in-process: its httpx transport turns each
request into the proxy event API Gateway would send (local.apigateway)."""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from local.apigateway import HttpRequest
from local.server import invoke_api
from tests.api import Api

PACKAGE = "jarchi_generated_client"
BASE_URL = "http://jarchi.test"


def _generate(document: bytes, folder: Path) -> str:
    (folder / "openapi.json").write_bytes(document)
    bin_dir = str(Path(sys.executable).parent)  # its formatter (ruff) runs from the same environment
    run = subprocess.run(
        [
            str(Path(bin_dir) / "openapi-python-client"),
            "generate",
            "--path",
            str(folder / "openapi.json"),
            "--output-path",
            str(folder / PACKAGE),
            "--meta",
            "none",
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")},
        timeout=120,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    return output


def _transport(request: httpx.Request) -> httpx.Response:
    answer = invoke_api(
        HttpRequest(
            request.method,
            request.url.path,
            request.url.query.decode(),
            {k.lower(): v for k, v in request.headers.items()},
            request.content,
        )
    )
    return httpx.Response(answer.status, headers=answer.headers, content=answer.body)


@pytest.fixture
def generated(admin: Api, tmp_path: Path) -> Iterator[tuple[ModuleType, str]]:
    document = admin.get("/v1/openapi.json").body
    output = _generate(document, tmp_path)
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE), output
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _client(package: ModuleType, token: str | None) -> Any:
    client_module = importlib.import_module(f"{PACKAGE}.client")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    client = client_module.Client(base_url=BASE_URL)
    client.set_httpx_client(httpx.Client(base_url=BASE_URL, transport=httpx.MockTransport(_transport), headers=headers))
    return client


def _operations(package: ModuleType) -> dict[str, ModuleType]:
    api = importlib.import_module(f"{PACKAGE}.api")
    found = {}
    for tag in pkgutil.iter_modules(api.__path__):
        tag_package = importlib.import_module(f"{PACKAGE}.api.{tag.name}")
        for operation in pkgutil.iter_modules(tag_package.__path__):
            found[operation.name] = importlib.import_module(f"{PACKAGE}.api.{tag.name}.{operation.name}")
    return found


def test_the_generated_client_builds_without_a_warning(generated: tuple[ModuleType, str]) -> None:
    _, output = generated
    assert "warning" not in output.lower(), output
    assert "error" not in output.lower(), output


def test_the_generated_client_parses_every_documented_error(admin: Api, generated: tuple[ModuleType, str]) -> None:
    package, _ = generated
    error_body = importlib.import_module(f"{PACKAGE}.models.error_body").ErrorBody
    document = admin.get("/v1/openapi.json").json()
    client = _client(package, None)
    by_id = {
        re.sub("_+", "_", op["operationId"].lower()): op for item in document["paths"].values() for op in item.values()
    }
    operations = _operations(package)
    assert len(operations) == len(by_id)
    parsed = 0
    for name, module in operations.items():
        for status in by_id[name]["responses"]:
            if not status.startswith(("4", "5")):
                continue
            body = {"error": {"code": "some_code", "message": "m", "fields": [{"location": "body.x"}]}}
            answer = module._parse_response(client=client, response=httpx.Response(int(status), json=body))
            assert isinstance(answer, error_body), (name, status, answer)
            assert answer.error.code == "some_code" and answer.error.additional_properties["fields"]
            parsed += 1
    assert parsed > 200


def test_the_generated_client_parses_real_answers(admin: Api, generated: tuple[ModuleType, str]) -> None:
    package, _ = generated
    models = importlib.import_module(f"{PACKAGE}.models")
    ops = _operations(package)
    as_admin = _client(package, admin.token)

    created = ops["create_account_v1_accounts_post"].sync_detailed(
        client=as_admin, body=models.AccountCreate(name="Shop", type_=models.AccountType.CUSTOMER)
    )
    assert created.status_code == 201 and isinstance(created.parsed, models.AccountOut)
    account_id = created.parsed.id
    issued = ops["create_token_v1_accounts_account_id_tokens_post"].sync_detailed(
        account_id, client=as_admin, body=models.TokenCreate(name="sdk")
    )
    assert isinstance(issued.parsed, models.TokenCreated)
    shop = _client(package, issued.parsed.token)
    spare = ops["create_token_v1_accounts_account_id_tokens_post"].sync_detailed(
        account_id, client=shop, body=models.TokenCreate(name="spare")
    )
    revoked = ops["revoke_token_v1_accounts_account_id_tokens_token_id_delete"].sync_detailed(
        account_id, spare.parsed.id, client=shop
    )
    assert revoked.status_code == 204 and revoked.content == b""

    sender = ops["register_sender_v1_senders_post"].sync_detailed(client=shop, body=models.SenderCreate(name="ShopA"))
    assert isinstance(sender.parsed, models.SenderOut)
    listed = ops["create_contact_list_v1_contact_lists_post"].sync_detailed(
        client=shop, body=models.ContactListCreate(name="l", numbers=["09120000001", "09120000002"])
    )
    assert isinstance(listed.parsed, models.ContactListOut)
    detail = ops["get_contact_list_v1_contact_lists_list_id_get"].sync_detailed(listed.parsed.id, client=shop, limit=1)
    assert isinstance(detail.parsed, models.ContactListDetail) and detail.parsed.recipients.next_cursor

    # every GET without a path parameter, as the customer: a model, never None
    for name, module in ops.items():
        takes_path_parameters = any(
            p.default is inspect.Parameter.empty and p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
            for p in inspect.signature(module.sync_detailed).parameters.values()
        )
        if name.endswith("_get") and not takes_path_parameters and "openapi" not in name:
            answer = module.sync_detailed(client=shop)
            assert answer.status_code < 500 and answer.parsed is not None, (name, answer.status_code, answer.content)

    # and real errors
    missing = ops["get_audio_v1_audio_audio_id_get"].sync_detailed("aud_missing", client=shop)
    assert missing.status_code == 404 and missing.parsed.error.code == "audio_not_found"
    anonymous = ops["my_account_v1_accounts_me_get"].sync_detailed(client=_client(package, None))
    assert anonymous.status_code == 401 and anonymous.parsed.error.code == "unauthorized"
    invalid = ops["register_sender_v1_senders_post"].sync_detailed(client=shop, body=models.SenderCreate(name=""))
    assert invalid.status_code == 422 and invalid.parsed.error.additional_properties["fields"]
