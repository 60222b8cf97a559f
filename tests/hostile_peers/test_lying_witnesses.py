"""Witness cosignatures that lie, delivered to a client over 127.0.0.1: by witnesses that
cosign anything (a split view, a tree rolled back), by lines over another log's checkpoint,
by a key the policy does not name, or too few for the quorum; and a ledger frozen at one
checkpoint. Each is refused with its code and leaves the client's trust file as it was."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Final

import pytest

from civicid.checkpoint import Checkpoint, NoteVerifier, open_checkpoint
from civicid.checkpoint_policy import (
    CHECKPOINT_QUORUM_MISSING,
    CHECKPOINT_TOO_OLD,
    CheckpointPolicy,
)
from civicid.cosignature import COSIGNATURE_INVALID, CosignerKey
from civicid.errors import Code
from civicid.identity import Identity
from civicid.ledger_client import LEDGER_ANSWER_STALE, LEDGER_FORKED, LedgerClient
from civicid.tlog_policy import TlogPolicy
from cli.harness import free_port, serving
from ledger.log import Ledger
from ledger.witnessing import Witnessing
from tests.hostile_peers.peers import Answer, CosigningAnything, Lie, lying, refused, served
from tests.ledger.conftest import NOW, World
from tests.security.test_fork_across_client_runs import fork
from tests.security.test_witnessed_checkpoints import until

__all__ = ["fork"]

NAMES: Final = ("w1", "w2", "w3")
MAX_AGE: Final = 600


@pytest.fixture
def keys() -> dict[str, CosignerKey]:
    return {name: CosignerKey.generate(f"{name}.example") for name in NAMES}


def policy_text(keys: dict[str, CosignerKey], urls: dict[str, str] | None = None) -> str:
    """Any two of the three witnesses."""
    lines = [f"witness {n} {k.vkey()}" + (f" {urls[n]}" if urls else "") for n, k in keys.items()]
    return "\n".join([*lines, f"group main 2 {' '.join(keys)}", "quorum main"]) + "\n"


class Reader:
    """A client of the ledger under the two-of-three policy, with a trust file, at a clock
    the test moves."""

    def __init__(self, world: World, keys: dict[str, CosignerKey], trust_file: Path) -> None:
        self.world, self.trust_file, self.now = world, trust_file, NOW
        self.policy = CheckpointPolicy.parse(policy_text(keys), max_age=MAX_AGE)

    def client(self, url: str) -> LedgerClient:
        return LedgerClient(url, self.world.genesis.vkey, policy=self.policy,
                            trust_file=self.trust_file, clock=lambda: self.now)  # fmt: skip

    def checkpoint(self, url: str) -> Checkpoint:
        with self.client(url) as client:
            return client.checkpoint()

    def refused(self, url: str, code: Code) -> None:
        """The checkpoint at ``url`` is refused with ``code``; the trust file is unchanged."""
        before = self.trust_file.read_bytes() if self.trust_file.exists() else None
        with self.client(url) as client:
            refused(code, client.checkpoint)
        after = self.trust_file.read_bytes() if self.trust_file.exists() else None
        assert after == before


@pytest.fixture
def reader(world: World, keys: dict[str, CosignerKey], tmp_path: Path) -> Reader:
    return Reader(world, keys, tmp_path / "reader" / "trusted-checkpoint")


def cosigned_by(lines: Callable[[Checkpoint], str], world: World) -> Lie:
    """The ledger's checkpoint told with ``lines`` (made for it) appended."""

    def lie(path: str, _: dict[str, str], answer: Answer) -> Answer | None:
        if path != "/checkpoint":
            return None
        note = answer.body.decode()
        checkpoint = open_checkpoint(note, NoteVerifier(world.genesis.vkey))
        return Answer(200, (note + lines(checkpoint)).encode(), "text/plain")

    return lie


def as_of_another_log(checkpoint: Checkpoint) -> Checkpoint:
    return Checkpoint(
        "elsewhere.example/log", checkpoint.size, checkpoint.root, checkpoint.extensions
    )


def test_cosignatures_over_another_logs_checkpoint_are_refused(
    world: World, keys: dict[str, CosignerKey], reader: Reader
) -> None:
    """The same size, root and state, under another origin: the witnesses' genuine lines
    for that log are no cosignatures of this one."""
    lines = lambda c: "".join(keys[n].cosign(as_of_another_log(c), NOW) for n in NAMES)  # noqa: E731
    with served(world.ledger) as url, lying(url, cosigned_by(lines, world)) as (liar, _):
        reader.refused(liar, COSIGNATURE_INVALID)
    assert not reader.trust_file.exists()


STRANGER: Final = CosignerKey.generate("w2.example")  # a policy witness's name, another key


@pytest.mark.parametrize("second", ["stranger", "w1 again"])
def test_one_witness_with_a_key_outside_the_policy_or_itself_again_is_not_a_quorum(
    world: World, keys: dict[str, CosignerKey], reader: Reader, second: str
) -> None:
    again = STRANGER if second == "stranger" else keys["w1"]
    lines = lambda c: keys["w1"].cosign(c, NOW) + again.cosign(c, NOW - 1)  # noqa: E731
    with served(world.ledger) as url, lying(url, cosigned_by(lines, world)) as (liar, _):
        reader.refused(liar, CHECKPOINT_QUORUM_MISSING)
        # Two of them: the same checkpoint is taken.
        two = lambda c: keys["w1"].cosign(c, NOW) + keys["w3"].cosign(c, NOW)  # noqa: E731
        with lying(url, cosigned_by(two, world)) as (honest, _):
            assert reader.checkpoint(honest).size == world.ledger.size


def test_a_frozen_ledger_is_refused_once_its_newest_quorum_is_too_old(
    world: World, keys: dict[str, CosignerKey], reader: Reader
) -> None:
    """The ledger serves the same checkpoint, cosigned at NOW, for ever after."""
    lines = lambda c: keys["w1"].cosign(c, NOW) + keys["w2"].cosign(c, NOW)  # noqa: E731
    with served(world.ledger) as url, lying(url, cosigned_by(lines, world)) as (liar, _):
        reader.now = NOW + MAX_AGE
        assert reader.checkpoint(liar).size == world.ledger.size
        kept = reader.trust_file.read_bytes()
        reader.now = NOW + MAX_AGE + 1
        reader.refused(liar, CHECKPOINT_TOO_OLD)
        assert reader.trust_file.read_bytes() == kept


@contextmanager
def cosigning_anything(world: World, keys: dict[str, CosignerKey]) -> Iterator[str]:
    """Three witnesses on 127.0.0.1 that cosign whatever the log signed: the policy text
    that names them with their URLs."""
    with ExitStack() as stack:
        urls = {}
        for name, key in keys.items():
            witness = CosigningAnything(key, world.genesis.vkey, NOW)
            urls[name] = stack.enter_context(serving(witness, free_port()))
        yield policy_text(keys, urls)


@contextmanager
def witnessed(ledger: Ledger, policy: str) -> Iterator[None]:
    """``ledger`` sending its checkpoints to the witnesses ``policy`` names, over HTTP,
    until its newest is cosigned by all three."""
    running = Witnessing(ledger, TlogPolicy.parse(policy), interval=3600, timeout=5.0,
                         clock=lambda: NOW)  # fmt: skip
    running.start()
    try:
        until(lambda: ledger.size == ledger.view.size
              and all(f"{n}.example" in ledger.view.checkpoint for n in NAMES),
              "the newest checkpoint cosigned")  # fmt: skip
        yield
    finally:
        running.close()


def grow(world: World, ledger: Ledger) -> None:
    """One more DID on ``ledger`` (each side of the fork logs its own)."""
    who = Identity.create()
    endorsement = world.governance.endorse(who.did, "agency", ledger=world.origin,
                                           now=world.clock.now)  # fmt: skip
    ledger.submit(who.create_tx(role="agency", endorsement=endorsement, ledger=world.origin,
                                now=world.clock.now))  # fmt: skip


def test_a_split_view_cosigned_by_lying_witnesses_is_refused_by_a_client_that_saw_one_side(
    world: World, keys: dict[str, CosignerKey], reader: Reader, fork: Ledger
) -> None:
    """A quorum that cosigns both histories gives no protection of its own; the client's
    trust file still refuses the side it did not see first: the same size with another root
    is a fork, a smaller tree after a larger one is stale."""
    grow(world, world.ledger)
    grow(world, fork)  # the same size as A, another root: B
    assert fork.size == world.ledger.size
    with cosigning_anything(world, keys) as policy, ExitStack() as stack:
        stack.enter_context(witnessed(world.ledger, policy))
        stack.enter_context(witnessed(fork, policy))
        a_url = stack.enter_context(served(world.ledger))
        b_url = stack.enter_context(served(fork))
        assert reader.checkpoint(a_url).size == world.ledger.size
        reader.refused(b_url, LEDGER_FORKED)
        grow(world, world.ledger)  # A grows past B
        until(lambda: world.ledger.view.size == fork.size + 1
              and "w3.example" in world.ledger.view.checkpoint, "A's next cosigned")  # fmt: skip
        assert reader.checkpoint(a_url).size == fork.size + 1
        reader.refused(b_url, LEDGER_ANSWER_STALE)
