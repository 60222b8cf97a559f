"""The served ledger's state is frozen out of the cyclic collector's generations at start-up,
and start-up does not pay a full collection for it (one walks the whole state: ~0.9 s of
CPU at 1M entries)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger.app import create_app
from ledger.settings import LedgerSettings
from tests.ledger.conftest import World


@pytest.fixture
def collections() -> Iterator[list[int]]:
    """The generation of each collection that runs; the collector enabled meanwhile, and
    everything frozen by the test put back in the generations after."""
    generations: list[int] = []

    def note(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            generations.append(info["generation"])

    was = gc.isenabled()
    gc.enable()
    gc.callbacks.append(note)
    try:
        yield generations
    finally:
        gc.callbacks.remove(note)
        gc.unfreeze()
        if not was:
            gc.disable()


def test_the_state_is_frozen_without_a_full_collection(
    world: World, collections: list[int]
) -> None:
    world.register("agency")
    state = world.ledger.state
    assert any(found is state for found in gc.get_objects())
    gc.unfreeze()
    collections.clear()
    app = create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with TestClient(app) as client:
        started = list(collections)
        assert client.get("/checkpoint-key").status_code == 200
        assert gc.get_freeze_count() > 0
        assert not any(found is state for found in gc.get_objects())
        assert not any(found is state.dids for found in gc.get_objects())
    assert started and 2 not in started, started
