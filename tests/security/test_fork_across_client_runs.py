"""Attack: showing a client a different history than it saw before. The client keeps the
last checkpoint it trusted in its trust file; a later run (a new process, a new client) loads
it and refuses a ledger that forked from it (same size, another root), that cannot prove it
grew from it, or that was rolled back below it, even under the genuine checkpoint key."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from civicid.checkpoint import NoteVerifier, open_checkpoint
from civicid.errors import Error
from civicid.ledger_client import LedgerClient
from cli.harness import free_port, serving
from ledger.app import create_app
from ledger.log import Ledger
from ledger.settings import LedgerSettings
from ledger.setup import open_ledger
from tests.ledger.conftest import World


@contextmanager
def served(ledger: Ledger) -> Iterator[str]:
    root = ledger.store.directory.parent  # type: ignore[attr-defined]
    app = create_app(LedgerSettings(data_dir=root), ledger=ledger)
    with serving(app, free_port()) as url:
        yield url


@pytest.fixture
def fork(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    """A copy of the world's ledger as it stands now: same origin, key and history so far;
    what each gets from here on is its own."""
    world.register()
    root = tmp_path_factory.mktemp("fork") / "data"
    shutil.copytree(world.root, root)
    ledger = open_ledger(root, clock=world.clock)
    yield ledger
    ledger.close()


def run(url: str, world: World, trust_file: Path) -> LedgerClient:
    """One run of a client: a new process would build exactly this from the trust file."""
    return LedgerClient(url, world.genesis.vkey, trust_file=trust_file)


def trusted_size(world: World, trust_file: Path) -> int:
    verifier = NoteVerifier(world.genesis.vkey)
    return open_checkpoint(trust_file.read_text(), verifier, origin=verifier.name).size


def refused_by(client: LedgerClient, code: str) -> None:
    with pytest.raises(Error) as info:
        client.checkpoint()
    assert info.value.code == code, info.value


def test_the_trust_file_carries_the_checkpoint_to_the_next_run(
    world: World, tmp_path: Path
) -> None:
    trust_file = tmp_path / "trusted-checkpoint"
    with served(world.ledger) as url:
        first = run(url, world, trust_file)
        assert first.trusted is None  # nothing trusted yet: the first answer is taken on faith
        first.checkpoint()
        assert trusted_size(world, trust_file) == world.ledger.size
        world.register()
        first.checkpoint()  # a newer checkpoint, proven consistent, replaces the saved one
        assert trusted_size(world, trust_file) == world.ledger.size
        first.close()
        second = run(url, world, trust_file)
        assert second.trusted is not None and second.trusted.size == world.ledger.size
        second.close()


def test_a_fork_of_the_same_size(world: World, fork: Ledger, tmp_path: Path) -> None:
    trust_file = tmp_path / "trusted-checkpoint"
    world.register()
    with served(world.ledger) as url:
        run(url, world, trust_file).checkpoint()
    fork.submit(world_register_tx(world))
    assert fork.size == world.ledger.size and fork.tree.root() != world.ledger.tree.root()
    with served(fork) as url:
        refused_by(run(url, world, trust_file), "ledger_forked")
        # Without the saved checkpoint, the same fork is believed: the file is the defence.
        naive = LedgerClient(url, world.genesis.vkey)
        assert naive.checkpoint().size == fork.size
        naive.close()


def test_a_fork_that_grew_further(world: World, fork: Ledger, tmp_path: Path) -> None:
    trust_file = tmp_path / "trusted-checkpoint"
    world.register()
    with served(world.ledger) as url:
        run(url, world, trust_file).checkpoint()
    for _ in range(3):
        fork.submit(world_register_tx(world))
    with served(fork) as url:
        refused_by(run(url, world, trust_file), "ledger_inconsistent")


def test_a_ledger_rolled_back_below_the_trusted_size(
    world: World, fork: Ledger, tmp_path: Path
) -> None:
    """The fork is the world's earlier self: every entry genuine, the newest ones withheld."""
    trust_file = tmp_path / "trusted-checkpoint"
    world.register()
    with served(world.ledger) as url:
        run(url, world, trust_file).checkpoint()
    with served(fork) as url:
        refused_by(run(url, world, trust_file), "ledger_answer_stale")


def world_register_tx(world: World) -> str:
    """A DID creation the world's ledger never sees."""
    from civicid.identity import Identity

    who = Identity.create()
    endorsement = world.governance.endorse(
        who.did, "agency", ledger=world.origin, now=world.clock.now
    )
    return who.create_tx(
        role="agency", endorsement=endorsement, ledger=world.origin, now=world.clock.now
    )
