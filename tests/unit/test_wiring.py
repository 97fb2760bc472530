"""The composition root names its ports instead of importing them (cold start, issue 10): each name must be the
dotted name of the port class the services resolve, or the service would find no adapter."""

from __future__ import annotations

import importlib

from jarchi import ports, wiring


def test_every_provided_port_name_is_the_port_class_services_resolve() -> None:
    wiring.install()
    names = ports.provided()
    assert len(names) == 33
    for name in names:
        module, _, attribute = name.rpartition(".")
        kind = getattr(importlib.import_module(module), attribute)
        assert ports.port_name(kind) == name
        assert isinstance(kind, type)


def test_a_port_nobody_provided_is_a_clear_error() -> None:
    class Unprovided:
        pass

    try:
        ports.resolve(Unprovided)
    except ports.PortNotProvided as error:
        assert "Unprovided" in str(error)
    else:
        raise AssertionError("an unprovided port resolved")
