"""A mirror follows a ledger as `monitor` does and serves its read API from the verified
copy: answers verify as the ledger's, the checkpoint is served as the ledger served it, a
ledger that rewrites history is refused (the copy and what is served stay), and a restart
resumes without fetching again what it holds."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from civicid.errors import Error
from civicid.ledger_client import LedgerClient
from ledger.app import create_app
from ledger.mirror import Mirror
from ledger.mirror_app import create_mirror_app
from ledger.monitor import REFUSED_FILE, TRUST_FILE
from ledger.settings import LedgerSettings
from ledger.setup import open_ledger
from tests.ledger.conftest import World
from tests.ledger.test_cli import civicid
from tests.verifier.world import AppTransport


@contextmanager
def served(world: World, ledger: object = None) -> Iterator[httpx.BaseTransport]:
    app = create_app(LedgerSettings(data_dir=world.root), ledger=ledger or world.ledger)  # type: ignore[arg-type]
    with TestClient(app) as client:
        yield AppTransport(client)


class Counting(httpx.BaseTransport):
    """Passes requests on, counting entry fetches; ``note`` appends lines to the checkpoint."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner, self.entries, self.extra = inner, 0, ""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.entries += request.url.path.startswith("/transactions/")
        answer = self.inner.handle_request(request)
        if request.url.path == "/checkpoint" and self.extra:
            return httpx.Response(200, text=answer.read().decode() + self.extra)
        return answer


def follower(world: World, transport: httpx.BaseTransport, into: Path) -> Mirror:
    client = LedgerClient(
        "http://ledger.test",
        world.genesis.vkey,
        transport=transport,
        trust_file=into / TRUST_FILE,
        clock=lambda: world.clock.now,
    )
    return Mirror(client, into, tiles=into.parent / "mirror-tiles")


@contextmanager
def mirror_client(world: World, mirror: Mirror) -> Iterator[LedgerClient]:
    with TestClient(create_mirror_app(mirror, interval=None)) as http:
        client = LedgerClient(
            "http://mirror.test",
            world.genesis.vkey,
            transport=AppTransport(http),
            clock=lambda: world.clock.now,
        )
        try:
            yield client
        finally:
            client.close()


def test_a_mirror_serves_verified_answers_and_the_checkpoint_as_served(
    world: World, tmp_path: Path
) -> None:
    agency = world.register()
    with served(world) as ledger:
        counting = Counting(ledger)
        mirror = follower(world, counting, tmp_path / "mirror")
        try:
            assert mirror.follow().error is None and mirror.size == world.ledger.size
            with mirror_client(world, mirror) as client:
                resolved = client.resolve(agency.did)
                assert resolved.checkpoint.size == world.ledger.size
                assert client.checkpoint_note() == world.ledger.checkpoint
                answer = client.http.post("/transactions", content="x.y.z")
                assert answer.status == 403 and answer.json()["error"] == "mirror_read_only"
                status = client.http.get("/mirror").json()
                assert status["size"] == world.ledger.size and status["error"] is None
                # The same tree under a note with one more signature line: served as is.
                counting.extra = (
                    "— witness.example/w1 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
                )
                assert mirror.follow().error is None
                assert client.checkpoint_note().endswith(counting.extra)
                assert client.resolve(agency.did).seq == resolved.seq
            tiles = tmp_path / "mirror-tiles" / "checkpoint"
            mirror.close()
            assert tiles.read_text().endswith(counting.extra)
        finally:
            mirror.close()


def test_a_mirror_restart_resumes_without_fetching_again(world: World, tmp_path: Path) -> None:
    world.register()
    with served(world) as ledger:
        first = Counting(ledger)
        mirror = follower(world, first, tmp_path / "mirror")
        mirror.follow()
        mirror.close()
        assert first.entries == world.ledger.size
        held = world.ledger.size
        world.register()
        world.register()
        again = Counting(ledger)
        mirror = follower(world, again, tmp_path / "mirror")
        try:
            assert mirror.size == held  # served at once, from what the last run verified
            assert mirror.follow().fetched == 2
            assert again.entries == 2 and mirror.size == world.ledger.size
        finally:
            mirror.close()


def fork(world: World, tmp_path: Path) -> World:
    """A second ledger under the same key, from a copy of this one's data dir."""
    root = tmp_path / "fork"
    world.ledger.close()
    shutil.copytree(world.root, root, ignore=shutil.ignore_patterns("mirror*", "fork"))
    world.ledger = open_ledger(world.root, clock=world.clock)
    return World(root, world.genesis, open_ledger(root, clock=world.clock), world.clock)


def test_a_mirror_refuses_a_ledger_that_rewrites_history(world: World, tmp_path: Path) -> None:
    world.register()
    other = fork(world, tmp_path / "elsewhere")
    try:
        world.register()
        other.register()
        into = tmp_path / "mirror"
        with served(world) as honest:
            mirror = follower(world, honest, into)
            mirror.follow()
        size, note = mirror.size, world.ledger.checkpoint
        for _ in range(2):  # the fork grows past the copy: not an extension of it
            other.register()
        with served(other, other.ledger) as rewritten:
            mirror.client = LedgerClient(
                "http://ledger.test",
                world.genesis.vkey,
                transport=rewritten,
                trust_file=into / TRUST_FILE,
            )
            done = mirror.follow()
        assert done.error is not None and done.error.code == "ledger_inconsistent"
        assert mirror.size == size and mirror.served is not None
        assert mirror.served.ledger.checkpoint == note
        assert (into / REFUSED_FILE).read_text() == other.ledger.checkpoint
        with mirror_client(world, mirror) as client:
            assert client.http.get("/mirror").json()["error"]["code"] == "ledger_inconsistent"
        mirror.close()
    finally:
        other.ledger.close()


def test_a_mirror_with_nothing_verified_yet_says_so(world: World, tmp_path: Path) -> None:
    mirror = follower(world, httpx.MockTransport(lambda r: httpx.Response(503)), tmp_path / "m")
    assert mirror.follow().error is not None
    with mirror_client(world, mirror) as client, pytest.raises(Error) as caught:
        client.checkpoint()
    # A mirror's failure, in the client's own code; the mirror's kept beside it.
    assert caught.value.code == "ledger_failed"
    assert caught.value.details["ledger_code"] == "mirror_not_ready"


def test_the_command_follows_once(world: World, tmp_path: Path) -> None:
    from cli.harness import free_port, serving

    app = create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with serving(app, free_port()) as url:
        args = ["--data-dir", str(tmp_path), "--ledger-key", world.genesis.vkey, "--once"]
        code, out, err = civicid("ledger", "mirror", url, *args)
        assert code == 0, err
        assert out.startswith(f"ok: {world.ledger.size} entries ({world.ledger.size} new)")
    code, out, err = civicid("ledger", "mirror", url, *args)  # the ledger is gone
    assert code != 0 and err.strip().endswith("[http_unreachable]")


def test_a_mirror_follows_the_tiles(world: World, tmp_path: Path) -> None:
    from ledger.monitor import client_for
    from ledger.setup import Paths
    from ledger.tiles import follow

    agency = world.register()
    writer = follow(world.ledger, Paths(world.root).tiles)
    world.register()
    writer.stop()
    into = tmp_path / "mirror"
    client = client_for(None, str(Paths(world.root).tiles), world.genesis.vkey, into / TRUST_FILE)
    mirror = Mirror(client, into)
    try:
        assert mirror.follow().error is None and mirror.size == world.ledger.size
        with mirror_client(world, mirror) as reader:
            assert reader.resolve(agency.did).checkpoint.size == world.ledger.size
    finally:
        mirror.close()
        client.close()


def test_a_restart_drops_entries_no_checkpoint_proved(world: World, tmp_path: Path) -> None:
    """A round killed between writing entries and storing their checkpoint: the entries
    are not served, and the next round fetches them again."""
    from civicid.merkle import leaf_hash
    from ledger.store import FileLogStore

    world.register()
    into = tmp_path / "mirror"
    with served(world) as ledger:
        mirror = follower(world, ledger, into)
        mirror.follow()
        mirror.close()
        held = world.ledger.size
        store = FileLogStore(into)
        store.append([b"not proven"], [leaf_hash(b"not proven")])
        store.sync()
        store.close()
        mirror = follower(world, ledger, into)
        try:
            assert mirror.size == held and mirror.served is not None
            assert mirror.served.ledger.checkpoint == world.ledger.checkpoint
            world.register()
            assert mirror.follow().error is None and mirror.size == world.ledger.size
        finally:
            mirror.close()


def test_a_mirror_holds_checkpoints_to_its_witness_policy(world: World, tmp_path: Path) -> None:
    from civicid.checkpoint_policy import CheckpointPolicy
    from civicid.cosignature import CosignerKey

    witness = CosignerKey.generate("w1.example")
    rule = CheckpointPolicy.parse(f"witness w1 {witness.vkey()}\nquorum w1\n")
    into = tmp_path / "mirror"
    with served(world) as ledger:
        client = LedgerClient("http://ledger.test", world.genesis.vkey, transport=ledger,
                              trust_file=into / TRUST_FILE, policy=rule,
                              clock=lambda: world.clock.now)  # fmt: skip
        mirror = Mirror(client, into)
        try:
            done = mirror.follow()
            assert done.error is not None and done.error.code == "checkpoint_quorum_missing"
            assert mirror.served is None and not (into / "log.dat").exists()
        finally:
            mirror.close()
            client.close()
