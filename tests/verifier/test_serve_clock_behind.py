"""``civicid verifier serve`` on a clock that reads a day before its store was last written
is refused in one line (``service_clock_behind``) before the store is opened: before, only
``civicid up`` checked."""

from __future__ import annotations

from cli.harness import serving
from ledger.app import create_app as ledger_app
from ledger.settings import LedgerSettings
from tests.clock_behind import assert_serve_refused, moved_back
from tests.verifier.test_cli import init
from tests.verifier.test_serve_store_first import clock as clock  # the system clock
from tests.verifier.world import World
from verifier.settings import VerifierSettings


def test_serve_refuses_a_clock_moved_back(world: World) -> None:
    app = ledger_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with serving(app, 0) as ledger_url:
        init(world, ledger_url)
    moved_back(VerifierSettings.load(world.root).home)
    assert_serve_refused("verifier", world.root)
