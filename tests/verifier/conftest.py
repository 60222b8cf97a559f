"""Verifier fixtures: a ledger world, its HTTP API in-process, and a desk on top of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from civicid.eligibility import checks as eligibility_checks
from tests.verifier.loopback import Desk, serve_desk
from tests.verifier.world import NOW, Clock, World, build_world, ledger_http, open_desk
from verifier.service import Verifier


@pytest.fixture(autouse=True)
def no_remembered_schemas() -> None:
    """Schema validators are cached per process: each test starts without those of the tests
    before it, so a schema check is exercised by every test that needs it."""
    eligibility_checks._VALIDATORS.clear()
    eligibility_checks._LAST_VALIDATOR.clear()


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def world(tmp_path: Path, clock: Clock) -> Iterator[World]:
    built = build_world(tmp_path, clock)
    yield built
    built.ledger.close()


@pytest.fixture
def http(world: World) -> Iterator[httpx.BaseTransport]:
    with ledger_http(world) as client:
        yield client


@pytest.fixture
def desk_clock() -> Clock:
    return Clock(NOW + 120)


@pytest.fixture
def verifier(world: World, http: httpx.BaseTransport, desk_clock: Clock) -> Iterator[Verifier]:
    opened = open_desk(world, http, desk_clock)
    yield opened
    opened.close()


@pytest.fixture
def desk(world: World, desk_clock: Clock) -> Iterator[Desk]:
    """The desk and its ledger on loopback (real HTTP)."""
    with serve_desk(world, desk_clock) as served:
        yield served
