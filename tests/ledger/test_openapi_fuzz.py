"""schemathesis, every check, against the ledger's OpenAPI description: a request valid by
the description is answered as described (its status, its body's model), one that is not
is refused, and nothing crashes. The ledger holds an agency, a type and a status list, so
reads find something as well as nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI

from civicid.identity import Identity
from ledger.app import create_app
from ledger.settings import LedgerSettings
from tests.ledger.conftest import World
from tests.ledger.trust import publish, register_type
from tests.openapi_fuzz import UNDER_ANY_LOAD, load


@pytest.fixture
def ledger_app(world: World, agency: Identity) -> Iterator[FastAPI]:
    register_type(world, agency)
    publish(world, agency)
    yield create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)


@pytest.fixture
def ledger_api(ledger_app: FastAPI) -> Any:
    return load(ledger_app)


schema = schemathesis.pytest.from_fixture("ledger_api")


@schema.parametrize()
@UNDER_ANY_LOAD
def test_the_ledger_answers_as_it_describes(case: Any) -> None:
    case.call_and_validate()
