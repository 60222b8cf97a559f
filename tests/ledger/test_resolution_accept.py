"""DID Resolution's HTTP(S) binding: ``Accept: application/did-resolution`` asks for the whole
resolution result, ``application/did`` (and its JSON / JSON-LD forms) for the document alone;
with several, their weights decide."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from ledger.app import create_app
from ledger.routes.resolution import MAX_MEDIA_RANGES, wants_document
from ledger.settings import LedgerSettings
from tests.ledger.conftest import World


@pytest.mark.parametrize(
    ("accepts", "document"),
    [
        ("", False),
        ("*/*", False),
        ("application/json", False),
        ("application/did-resolution", False),
        ("Application/DID-Resolution; charset=utf-8", False),
        ("application/did", True),
        ("application/did+json", True),
        ("application/did+ld+json;profile=x", True),
        (" application/did ", True),
        ("application/did-resolution, application/did", False),
        ("application/did, application/did-resolution", True),
        ("application/did;q=0.5, application/did-resolution", False),
        ("application/did-resolution;q=0.4, application/did;q=0.5", True),
        ("application/did;q=0", False),
        ("application/did;q=abc", False),
        ("application/did;q=1e400", False),
        ("application/did;q=nan", False),
        ("application/did;q=-1", False),
        ("application/didx", False),
        ("text/html, application/did+json;q=0.9, */*;q=0.1", True),
    ],
)
def test_the_media_range_of_highest_weight_chooses(accepts: str, document: bool) -> None:
    assert wants_document(accepts) is document


def test_media_ranges_past_the_bound_are_not_read() -> None:
    filler = ", ".join(["text/plain"] * MAX_MEDIA_RANGES)
    assert wants_document(f"{filler}, application/did") is False
    assert wants_document(f"application/did, {filler}") is True


def test_a_resolution_result_asked_by_its_media_type_is_the_whole_result(world: World) -> None:
    did = world.register().did
    app = create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with TestClient(app) as http:
        whole = http.get(
            f"/1.0/identifiers/{did}", headers={"accept": "application/did-resolution"}
        )
        alone = http.get(f"/1.0/identifiers/{did}", headers={"accept": "application/did"})
    assert whole.status_code == 200
    assert whole.headers["content-type"].startswith("application/did-resolution")
    assert whole.json()["didDocument"]["id"] == did
    assert alone.status_code == 200
    assert alone.headers["content-type"] == "application/did"
    assert alone.json() == whole.json()["didDocument"]
