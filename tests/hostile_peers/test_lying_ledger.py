"""A ledger (or a server in front of it, on 127.0.0.1) that served checkpoint N to a client
and then serves a larger one without proving it extends N: a consistency proof with one
hash changed, an empty one, or a refusal to give one (with a code of its choosing); or one
that goes back to an older checkpoint. Each is refused with the client's own code, and the
checkpoint the client trusts (its trust file) stays N."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from civicid.errors import Code, Unavailable
from civicid.ledger_client import LEDGER_ANSWER_STALE, LEDGER_INCONSISTENT, LedgerClient
from tests.hostile_peers.peers import Answer, Lie, lying, refused, served
from tests.ledger.conftest import World

GROWN = 3  # entries logged after the client trusted the first checkpoint


class Trusting:
    """A client's trust file, holding the checkpoint the genuine ledger at ``url`` served
    before it grew by ``GROWN`` entries."""

    def __init__(self, world: World, url: str, trust_file: Path) -> None:
        self.world, self.url, self.trust_file = world, url, trust_file
        with self.client(url) as client:
            self.first = client.checkpoint()
        self.kept = trust_file.read_bytes()
        for _ in range(GROWN):
            world.register()

    def client(self, url: str) -> LedgerClient:
        return LedgerClient(url, self.world.genesis.vkey, trust_file=self.trust_file,
                            clock=lambda: self.world.clock.now)  # fmt: skip

    def refuses(self, lie: Lie, code: Code) -> str:
        """The ledger's next checkpoint, told through ``lie``, is refused with ``code`` (its
        message returned); the trust file still holds the first."""
        with lying(self.url, lie) as (url, liar), self.client(url) as client:
            message = refused(code, client.checkpoint).message
        assert liar.lied
        assert self.trust_file.read_bytes() == self.kept
        return message


@pytest.fixture
def trusting(world: World, tmp_path: Path) -> Iterator[Trusting]:
    world.register()
    with served(world.ledger) as url:
        yield Trusting(world, url, tmp_path / "client" / "trusted-checkpoint")


def proof_told(change: object) -> Lie:
    def lie(path: str, _: dict[str, str], answer: Answer) -> Answer | None:
        if path != "/proofs/consistency":
            return None
        if isinstance(change, Answer):
            return change
        body = answer.json()
        body["consistency"] = change(body["consistency"])  # type: ignore[operator]
        return Answer.of_json(body)

    return lie


def flipped(nodes: list[str]) -> list[str]:
    first = bytearray(base64.b64decode(nodes[0]))
    first[0] ^= 0x01
    return [base64.b64encode(bytes(first)).decode(), *nodes[1:]]


def test_a_consistency_proof_with_one_hash_changed_is_refused(trusting: Trusting) -> None:
    trusting.refuses(proof_told(flipped), LEDGER_INCONSISTENT)


def test_an_empty_consistency_proof_is_refused(trusting: Trusting) -> None:
    trusting.refuses(proof_told(lambda _: []), LEDGER_INCONSISTENT)


@pytest.mark.parametrize("status", [404, 400, 403])
def test_a_refusal_to_prove_consistency_is_refused_under_the_clients_code(
    trusting: Trusting, status: int
) -> None:
    """The server says "no" with a code that would read as something else at a desk; the
    client says the ledger did not prove its history, naming what the server answered."""
    told = Answer.of_json({"error": "status_revoked", "error_description": "no"}, status)
    message = trusting.refuses(proof_told(told), LEDGER_INCONSISTENT)
    assert "did not prove" in message and "status_revoked" in message


@pytest.mark.parametrize("status", [500, 503])
def test_a_server_failing_to_give_the_proof_is_said_to_be_down_not_inconsistent(
    trusting: Trusting, status: int
) -> None:
    """A 5xx is a server that failed, worth asking again (or another server): not a
    history refused."""
    told = Answer.of_json({"error": "server_busy", "error_description": "later"}, status)
    with (
        lying(trusting.url, proof_told(told)) as (url, _),
        trusting.client(url) as client,
        pytest.raises(Unavailable) as raised,
    ):
        client.checkpoint()
    # In the client's own code, the server's kept beside it.
    assert raised.value.code == "ledger_failed"
    assert raised.value.details["ledger_code"] == "server_busy"
    assert trusting.trust_file.read_bytes() == trusting.kept


def test_the_genuine_proof_is_taken(trusting: Trusting) -> None:
    """What the lies above change is the only reason they are refused."""
    with trusting.client(trusting.url) as client:
        assert client.checkpoint().size == trusting.first.size + GROWN


def test_a_checkpoint_older_than_the_trusted_one_is_refused(trusting: Trusting) -> None:
    older = trusting.kept.decode()  # the first checkpoint, as served and kept
    with trusting.client(trusting.url) as client:
        assert client.checkpoint().size == trusting.first.size + GROWN
    trusting.kept = trusting.trust_file.read_bytes()

    def back(path: str, _: dict[str, str], answer: Answer) -> Answer | None:
        return Answer(200, older.encode(), "text/plain") if path == "/checkpoint" else None

    trusting.refuses(back, LEDGER_ANSWER_STALE)
