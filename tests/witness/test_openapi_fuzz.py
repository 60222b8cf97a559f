"""schemathesis, every check, against the witness's OpenAPI description: a request valid by
the description is answered as described, one that is not is refused, and nothing crashes.
The witness holds a cosigned checkpoint and a piece of evidence, so reads find something."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI

from civicid.errors import Error
from ledger.witness.app import create_app
from ledger.witness.settings import WitnessSettings
from tests.openapi_fuzz import UNDER_ANY_LOAD, load
from tests.witness.logs import Log, open_test_witness


@pytest.fixture
def witness_app(tmp_path: Path) -> Iterator[FastAPI]:
    witness = open_test_witness(tmp_path)
    log = Log().grow(8)
    witness.add_checkpoint(log.body(0))
    with pytest.raises(Error):
        witness.add_checkpoint(log.fork(5).grow(3).body(8))
    yield create_app(WitnessSettings(data_dir=tmp_path), witness=witness)
    witness.close()


@pytest.fixture
def witness_api(witness_app: FastAPI) -> Any:
    return load(witness_app)


schema = schemathesis.pytest.from_fixture("witness_api")


@schema.parametrize()
@UNDER_ANY_LOAD
def test_the_witness_answers_as_it_describes(case: Any) -> None:
    case.call_and_validate()
