"""Transparency page fixtures: the ledger fixtures, and public bodies that name themselves."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from civicid.identity import Identity
from civicid.names import names_service
from civicid.status_uri import status_service
from ledger.app import create_app
from ledger.settings import LedgerSettings
from tests.ledger.conftest import AGENCY_BASE, World, clock, world

__all__ = ["clock", "world"]


def register_named(
    world: World, role: str, names: dict[str, str], base: str = AGENCY_BASE
) -> Identity:
    """A public body endorsed by governance, named ``names`` in its first document."""
    services = [names_service(names)]
    if role == "agency":
        services.append(status_service(base))
    who = Identity.create(services=services)
    endorsement = world.governance.endorse(who.did, role, ledger=world.origin, now=world.clock.now)
    world.ledger.submit(
        who.create_tx(role=role, endorsement=endorsement, ledger=world.origin, now=world.clock.now)
    )
    return who


@pytest.fixture
def http(world: World) -> Iterator[TestClient]:
    app = create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with TestClient(app) as client:
        yield client
