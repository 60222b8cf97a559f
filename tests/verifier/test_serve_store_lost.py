"""``civicid verifier serve`` over a data dir whose desk ran (its trust file is there) and
whose store is gone: refused in one line (``verifier_store_missing``), nothing made, as
``civicid up`` refuses it; ``--new-desk-store`` starts afresh. Before, it made a new empty
store without a word, the decisions and receipts of the lost one gone."""

from __future__ import annotations

from cli.harness import serving
from ledger.app import create_app as ledger_app
from ledger.settings import LedgerSettings
from tests.clock_behind import serve_refused
from tests.verifier.test_cli import init
from tests.verifier.test_serve_store_first import clock as clock  # the system clock
from tests.verifier.world import World
from verifier.settings import VerifierSettings


def test_serve_refuses_a_lost_store_where_the_desk_ran(world: World) -> None:
    app = ledger_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with serving(app, 0) as ledger_url:
        init(world, ledger_url)
    settings = VerifierSettings.load(world.root)
    assert settings.trust_file.exists(), "the desk accepted a checkpoint at init"
    for path in settings.home.glob("verifier.db*"):
        path.unlink()
    line = serve_refused("verifier", world.root)
    assert line.endswith("[verifier_store_missing]"), line
    assert f"civicid verifier serve --data-dir {world.root} --new-desk-store" in line
    assert not settings.store_path.exists()
