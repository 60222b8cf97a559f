"""A foreign ledger pinned with ``civicid verifier federate add`` through a server on
127.0.0.1 that later lies: a checkpoint of another log under the pinned key, one older than
the pin's, one of a history forked from it. Pinning it again refuses with the code and the
pin's files stay as they were; the desk refuses the foreign credential with the same code
at its issuer step."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from civicid.checkpoint import Checkpoint, NoteVerifier, open_checkpoint
from civicid.identity import Identity
from ledger.log import Ledger
from ledger.setup import open_ledger
from tests.federation.test_cli import add, failed, run
from tests.federation.world import Countries, desk, policy_text
from tests.hostile_peers.peers import Answer, files, lying
from tests.verifier.attacks import fresh, passes, refused
from tests.verifier.world import NATIONAL_ID, World, settings_for


def register_on(world: World, ledger: Ledger) -> None:
    """A DID of the world's governance logged on ``ledger`` (the world's, or a fork of it)."""
    who, now = Identity.create(), world.clock.now
    endorsement = world.genesis.governance.endorse(
        who.did, "service-desk", ledger=world.origin, now=now
    )
    ledger.submit(
        who.create_tx(role="service-desk", endorsement=endorsement, ledger=world.origin, now=now)
    )


@dataclass
class Told:
    """What the proxy says at ``/checkpoint`` (None: the ledger's own)."""

    note: str | None = None


@dataclass
class Pinned:
    countries: Countries
    policy: Path
    told: Told
    older: str  # the checkpoint the pin was made at
    fork: Ledger  # the foreign ledger's history as it stood before the pin, grown apart

    @property
    def where(self) -> Path:
        return settings_for(self.countries.home.root).federation_path

    def pinned_again_is_refused(self, code: str) -> None:
        before = files(self.where)
        failed(code, *add(self.countries, self.policy, "--type", NATIONAL_ID))
        assert files(self.where) == before

    def desk_refuses(self, code: str) -> None:
        abroad = self.countries.abroad
        with desk(self.countries) as verifier:
            presentation, nonce = fresh(abroad, verifier, abroad.credential())
            refused(verifier, presentation, code, nonce=nonce, step="issuer")
            home = self.countries.home
            presentation, nonce = fresh(home, verifier, home.credential())
            passes(verifier, presentation, nonce=nonce)  # its own ledger's: untouched


@pytest.fixture
def pinned(countries: Countries, tmp_path: Path) -> Iterator[Pinned]:
    abroad, told = countries.abroad, Told()
    root = tmp_path / "fork"
    shutil.copytree(abroad.root, root)
    fork = open_ledger(root, clock=abroad.clock)
    register_on(abroad, abroad.ledger)  # the pin is made past where the fork parts

    def lie(path: str, _: dict[str, str], answer: Answer) -> Answer | None:
        if path == "/checkpoint" and told.note is not None:
            return Answer(200, told.note.encode(), "text/plain")
        return None

    try:
        with lying(countries.abroad_url, lie) as (url, _):
            policy = tmp_path / "abroad.policy"
            policy.write_text(policy_text(abroad).replace(
                f"log {abroad.genesis.vkey}", f"log {abroad.genesis.vkey} {url}"
            ))  # fmt: skip
            status, _, err = run(*add(countries, policy, "--type", NATIONAL_ID))
            assert status == 0, err
            older = httpx.get(f"{url}/checkpoint").text
            yield Pinned(countries, policy, told, older, fork)
    finally:
        fork.close()


def test_a_checkpoint_of_another_log_under_the_pinned_key_is_refused(pinned: Pinned) -> None:
    abroad = pinned.countries.abroad
    genuine = open_checkpoint(abroad.ledger.checkpoint, NoteVerifier(abroad.genesis.vkey))
    assert abroad.ledger.signer is not None
    other = Checkpoint("abroad.example/another-log", genuine.size + 1, genuine.root,
                       genuine.extensions)  # fmt: skip
    pinned.told.note = abroad.ledger.signer.sign_checkpoint(other)
    pinned.pinned_again_is_refused("checkpoint_origin_mismatch")
    pinned.desk_refuses("checkpoint_origin_mismatch")


def test_a_checkpoint_older_than_the_pins_is_refused(pinned: Pinned) -> None:
    register_on(pinned.countries.abroad, pinned.countries.abroad.ledger)
    # Pinned again while it tells the truth: the pin now holds the newer checkpoint.
    assert run(*add(pinned.countries, pinned.policy, "--type", NATIONAL_ID))[0] == 0
    pinned.told.note = pinned.older  # then the one before it: a rollback
    pinned.pinned_again_is_refused("ledger_answer_stale")
    pinned.desk_refuses("ledger_answer_stale")


def test_a_forked_history_is_refused(pinned: Pinned) -> None:
    abroad = pinned.countries.abroad
    for _ in range(2):
        register_on(abroad, pinned.fork)
    assert pinned.fork.size > abroad.ledger.size
    pinned.told.note = pinned.fork.checkpoint
    # The ledger's consistency proofs are its own history's: the fork's tree extends nothing
    # the pin holds.
    pinned.pinned_again_is_refused("ledger_inconsistent")
    pinned.desk_refuses("ledger_inconsistent")
