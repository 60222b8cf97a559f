"""Ledger fixtures: a fresh ledger with a fixed clock, and identities to write with."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from civicid import transaction as tx
from civicid.accreditation import grant_body
from civicid.identity import Identity
from civicid.status_uri import status_service
from ledger.log import Ledger, Receipt
from ledger.setup import Genesis, initialize, open_ledger
from tests.ledger.trust import NATIONAL_ID

NOW = 1_780_000_000
AGENCY_BASE = "https://agency.example"  # trust.LIST_URI lives under it


class Clock:
    def __init__(self, now: int = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return float(self.now)


@dataclass
class World:
    root: Path
    genesis: Genesis
    ledger: Ledger
    clock: Clock

    @property
    def origin(self) -> str:
        return self.genesis.origin

    @property
    def governance(self) -> Identity:
        return self.genesis.governance

    def register(
        self, role: str = "agency", *, prerotate: bool = False, base: str = AGENCY_BASE
    ) -> Identity:
        """A DID endorsed by governance; an agency's first document names ``base``, the
        base URL its status lists live under."""
        services = [status_service(base)] if role == "agency" else None
        who = Identity.create(prerotate=prerotate, services=services)
        endorsement = self.governance.endorse(who.did, role, ledger=self.origin, now=self.clock.now)
        self.ledger.submit(
            who.create_tx(
                role=role, endorsement=endorsement, ledger=self.origin, now=self.clock.now
            )
        )
        return who

    def head(self, who: Identity) -> str:
        return self.ledger.state.record(who.did).current.version_id

    def sign(self, who: Identity, tx_type: str, body: dict[str, Any]) -> str:
        return who.sign(tx_type, body, ledger=self.origin, now=self.clock.now)

    def submit_as(self, who: Identity, tx_type: str, body: dict[str, Any]) -> Receipt:
        return self.ledger.submit(self.sign(who, tx_type, body))

    def accredit(
        self,
        who: Identity,
        *,
        vcts: list[str] | None = None,
        claims: dict[str, list[str]] | None = None,
        days: int = 365,
    ) -> str:
        """Governance accredits ``who`` from now for ``days``; returns the accreditation id."""
        body = grant_body(
            who.did,
            credential_types=vcts,
            claims=claims,
            valid_from=self.clock.now,
            valid_until=self.clock.now + days * 86400,
            purpose="Test purpose",
            legal_basis="Test Act, s. 1",
        )
        self.submit_as(self.governance, tx.ACCREDITATION_GRANT, body)
        return str(body["accreditation"])


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def world(tmp_path: Path, clock: Clock) -> Iterator[World]:
    genesis = initialize(tmp_path, clock=clock)
    ledger = open_ledger(tmp_path, clock=clock)
    yield World(tmp_path, genesis, ledger, clock)
    ledger.close()


@pytest.fixture
def agency(world: World) -> Identity:
    """An agency accredited to issue the national ID type."""
    who = world.register("agency")
    world.accredit(who, vcts=[NATIONAL_ID])
    return who


@pytest.fixture
def desk(world: World) -> Identity:
    return world.register("service-desk")
