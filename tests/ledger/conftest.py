"""Ledger fixtures: a fresh ledger with a fixed clock, and identities to write with."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from civicid.identity import Identity
from ledger.log import Ledger
from ledger.setup import Genesis, initialize, open_ledger

NOW = 1_780_000_000


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

    def register(self, role: str = "agency", *, prerotate: bool = False) -> Identity:
        who = Identity.create(prerotate=prerotate)
        endorsement = self.governance.endorse(who.did, role, ledger=self.origin, now=self.clock.now)
        self.ledger.submit(
            who.create_tx(
                role=role, endorsement=endorsement, ledger=self.origin, now=self.clock.now
            )
        )
        return who

    def head(self, who: Identity) -> str:
        return self.ledger.state.record(who.did).current.version_id


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def world(tmp_path: Path, clock: Clock) -> Iterator[World]:
    genesis = initialize(tmp_path, clock=clock)
    ledger = open_ledger(tmp_path, clock=clock)
    yield World(tmp_path, genesis, ledger, clock)
    ledger.close()
