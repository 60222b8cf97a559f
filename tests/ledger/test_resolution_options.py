"""A resolution option named twice is refused (which one the client meant is not known),
the same by the direct answer and the framework's route."""

from __future__ import annotations

from fastapi.testclient import TestClient

from ledger.app import create_app
from ledger.routes import resolution as resolution_routes
from ledger.settings import LedgerSettings
from tests.ledger.conftest import World


def test_an_option_given_twice_is_resolution_options_invalid(world: World) -> None:
    did = world.register().did
    app = create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with TestClient(app) as http:
        twice = http.get(f"/1.0/identifiers/{did}?versionId=1&versionId=9")
        once = http.get(f"/1.0/identifiers/{did}?versionId=1")
    assert twice.status_code == 400
    metadata = twice.json()["didResolutionMetadata"]
    assert metadata["error"]["code"] == "resolution_options_invalid", metadata
    assert metadata["error"]["title"] == "option 'versionId' given more than once", metadata
    assert metadata["error"]["type"] == "https://www.w3.org/ns/did#INVALID_OPTIONS"
    assert once.status_code == 200


def test_repeated_names_the_first_option_named_again() -> None:
    assert resolution_routes.repeated(b"") is None
    assert resolution_routes.repeated(b"versionId=1&withProof=true") is None
    assert resolution_routes.repeated(b"withProof=true&versionId=&withProof=") == "withProof"
    assert resolution_routes.repeated(b"a=1&b=2&b=3&a=4") == "b"


def test_an_option_longer_than_allowed_is_refused_whichever_it_is(world: World) -> None:
    did = world.register().did
    longest = resolution_routes.MAX_OPTION_CHARS
    app = create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with TestClient(app) as http:
        for name, value in [("versionId", "1"), ("versionTime", "2030-01-01T00:00:00Z")]:
            too_long = http.get(f"/1.0/identifiers/{did}", params={name: value.ljust(longest + 1)})
            metadata = too_long.json()["didResolutionMetadata"]
            assert too_long.status_code == 400, name
            assert metadata["error"]["code"] == "resolution_options_invalid", metadata
            assert metadata["error"]["title"] == "option value too long", metadata
            # At the bound it is read (and found to name no version, or not to be a time).
            at_bound = http.get(f"/1.0/identifiers/{did}", params={name: value.ljust(longest)})
            metadata = at_bound.json()["didResolutionMetadata"]
            assert metadata["error"]["title"] != "option value too long", metadata
