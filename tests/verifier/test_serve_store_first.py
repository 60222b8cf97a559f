"""``civicid verifier serve`` opens and checks its store before it binds its port: a
damaged store is its own one line and code, and its port was never bound. It bound first,
so a desk that could not start held its port for a moment, and its messages came in a
confusing order."""

from __future__ import annotations

import socket
import time

import pytest

import verifier.service
from cli.harness import free_port, serving
from ledger.app import create_app as ledger_app
from ledger.settings import LedgerSettings
from tests.verifier.test_cli import civicid, init
from tests.verifier.world import Clock, World
from verifier.service import open_store
from verifier.settings import VerifierSettings
from verifier.store import DeskStore


@pytest.fixture
def clock() -> Clock:
    """The command line runs on the system clock: so does this world."""
    return Clock(int(time.time()) - 120)


def bound(port: int) -> bool:
    """Some socket holds ``port`` (bound, listening or not: ``serve`` binds, uvicorn listens
    later), as a bind without ``SO_REUSEADDR`` finds."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def test_a_damaged_store_is_told_and_nothing_listens(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = ledger_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with serving(app, 0) as ledger_url:
        init(world, ledger_url)
    store = VerifierSettings.load(world.root).store_path
    store.write_bytes(b"")  # emptied: damaged, not a new store
    port = free_port()
    seen: list[bool] = []

    def open_watched(settings: VerifierSettings) -> DeskStore:
        seen.append(bound(port))  # while the store opens: is the desk's port bound yet?
        return open_store(settings)

    # Where the store is opened from (``serve`` imports it from there as it runs).
    monkeypatch.setattr(verifier.service, "open_store", open_watched)
    code, _, err = civicid("verifier", "serve", "--data-dir", str(world.root), "--port", str(port))
    assert code == 3, err
    line = err.strip()
    assert "\n" not in line and line.endswith("[verifier_store_damaged]"), line
    assert str(store) in line
    assert seen and not any(seen)
    assert store.read_bytes() == b""
