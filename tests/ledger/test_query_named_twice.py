"""A query parameter given twice is refused (request_invalid) by the ledger's routes, where
the framework took the last (``?seq=1&seq=2`` answered a proof of entry 2, while a cache or a
proxy in front may key on the first); a parameter a route takes as a list may repeat, and
resolution answers a repeated option in its own format."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from ledger.app import create_app
from ledger.settings import LedgerSettings
from tests.ledger.conftest import World


@pytest.fixture
def http(world: World) -> Iterator[TestClient]:
    world.register()
    app = create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with TestClient(app) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/proofs/inclusion?seq=1&seq=0&treeSize=2", "seq"),
        ("/proofs/consistency?from=1&from=2&to=2", "from"),
        ("/issuance-rules?rule=a&rule=b", "rule"),
        ("/accreditations/verifier?vct=x&claims=a&subject=y&subject=z", "subject"),
    ],
)
def test_a_parameter_given_twice_is_refused(http: TestClient, path: str, name: str) -> None:
    answer = http.get(path)
    assert answer.status_code == 400, answer.text
    assert answer.json() == {
        "error": "request_invalid",
        "error_description": f"query parameter {name!r} given more than once",
    }


def test_once_each_is_answered_and_a_list_may_repeat(http: TestClient) -> None:
    answer = http.get("/proofs/inclusion?seq=1&treeSize=2")
    assert answer.status_code == 200 and answer.json()["seq"] == 1
    listed = http.get("/accreditations/verifier?claims=a&claims=b&claims=a")
    assert "more than once" not in listed.text  # refused, if at all, for the missing did
