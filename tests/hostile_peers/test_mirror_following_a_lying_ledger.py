"""A mirror following a ledger through a proxy on 127.0.0.1 that lies about entries or
checkpoints: each round is refused with its code, the copy it holds and serves is left as
it was, and once the ledger answers honestly again the mirror catches up (the lie left
nothing behind that it would have to be repaired of)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from civicid.ledger_client import LedgerClient
from civicid.merkle import leaf_hash
from ledger.mirror import Mirror
from ledger.monitor import TRUST_FILE
from tests.hostile_peers.peers import Answer, Lie, files, lying, served
from tests.ledger.conftest import World

KEPT = 2  # entries the mirror holds before the lie (the genesis and one DID)
MORE = 3  # entries logged after, which the lie is about


def client(world: World, url: str, into: Path) -> LedgerClient:
    return LedgerClient(url, world.genesis.vkey, trust_file=into / TRUST_FILE,
                        clock=lambda: world.clock.now, remember=True)  # fmt: skip


class Following:
    """A mirror in ``into`` that followed the genuine ledger at ``url`` up to ``KEPT``
    entries; the ledger has ``MORE`` since."""

    def __init__(self, world: World, url: str, into: Path) -> None:
        self.world, self.url, self.into = world, url, into
        self.mirror = Mirror(client(world, url, into), into)
        assert self.mirror.follow().error is None and self.mirror.size == KEPT
        self.note = self.mirror.served.ledger.checkpoint if self.mirror.served else None
        self.copy = self.held()
        for _ in range(MORE):
            world.register()

    def held(self) -> dict[str, bytes]:
        """The copy's files, without the checkpoint its client trusts (a genuine, signed
        checkpoint may be taken before the entries it is about are found to be a lie)."""
        return {name: data for name, data in files(self.into).items()
                if not name.startswith(TRUST_FILE)}  # fmt: skip

    def round_through(self, url: str) -> str | None:
        """One round through ``url``: the code it was refused with (None: it advanced)."""
        self.mirror.client.close()
        self.mirror.client = client(self.world, url, self.into)
        done = self.mirror.follow()
        return None if done.error is None else done.error.code

    def unchanged(self) -> None:
        assert self.mirror.size == KEPT
        assert self.mirror.served is not None and self.mirror.served.ledger.checkpoint == self.note
        assert self.held() == self.copy

    def catches_up(self) -> None:
        assert self.round_through(self.url) is None
        assert self.mirror.size == KEPT + MORE


@pytest.fixture
def following(world: World, tmp_path: Path) -> Iterator[Following]:
    world.register()
    with served(world.ledger) as url:
        kept = Following(world, url, tmp_path / "mirror")
        try:
            yield kept
        finally:
            kept.mirror.close()


def entries_of(url: str) -> dict[str, Answer]:
    """Every entry's genuine answer, by its path."""
    size = int(httpx.get(f"{url}/checkpoint").text.split("\n")[1])
    paths = [f"/transactions/{seq}" for seq in range(size)]
    return {p: Answer(200, httpx.get(url + p).content) for p in paths}


def served_as(told: dict[str, str], genuine: dict[str, Answer]) -> Lie:
    """Entry path P answered with the genuine answer of path ``told[P]``."""

    def lie(path: str, _: dict[str, str], answer: Answer) -> Answer | None:
        return genuine[told[path]] if path in told else None

    return lie


def test_an_entry_left_out_is_refused(following: Following) -> None:
    genuine = entries_of(following.url)
    left_out = {f"/transactions/{KEPT + 1}": f"/transactions/{KEPT + 2}",
                f"/transactions/{KEPT + 2}": f"/transactions/{KEPT + 2}"}  # fmt: skip
    with lying(following.url, served_as(left_out, genuine)) as (url, liar):
        assert following.round_through(url) == "checkpoint_mismatch"
    assert liar.lied
    following.unchanged()
    following.catches_up()


def test_two_entries_swapped_are_refused(following: Following) -> None:
    genuine = entries_of(following.url)
    a, b = f"/transactions/{KEPT}", f"/transactions/{KEPT + 1}"
    with lying(following.url, served_as({a: b, b: a}, genuine)) as (url, liar):
        assert following.round_through(url) == "checkpoint_mismatch"
    assert liar.lied == 2
    following.unchanged()
    following.catches_up()


def test_an_entry_never_logged_in_its_place_is_refused(following: Following) -> None:
    """A well-formed transaction, signed by governance, that was never logged, where entry
    KEPT should be."""
    forged = following.world.sign(following.world.governance, "did.update", {"did": "x"})
    leaf = leaf_hash(forged.encode("ascii")).hex()
    told = Answer.of_json({"seq": KEPT, "leafHash": leaf, "transaction": forged})

    def lie(path: str, _: dict[str, str], answer: Answer) -> Answer | None:
        return told if path == f"/transactions/{KEPT}" else None

    with lying(following.url, lie) as (url, liar):
        assert following.round_through(url) == "checkpoint_mismatch"
    assert liar.lied
    following.unchanged()
    following.catches_up()


def test_an_older_checkpoint_after_a_newer_one_is_refused(following: Following) -> None:
    older = following.note
    assert older is not None
    following.catches_up()
    caught_up = following.held()
    for _ in range(2):
        following.world.register()

    def lie(path: str, _: dict[str, str], answer: Answer) -> Answer | None:
        return Answer(200, older.encode(), "text/plain") if path == "/checkpoint" else None

    with lying(following.url, lie) as (url, liar):
        assert following.round_through(url) == "ledger_answer_stale"
    assert liar.lied
    assert following.mirror.size == KEPT + MORE
    # The signed note proving the rollback is kept; nothing else of the copy changed.
    kept = following.held()
    assert kept.pop("refused-checkpoint") == older.encode()
    assert kept == caught_up
    assert following.round_through(following.url) is None
    assert following.mirror.size == KEPT + MORE + 2
