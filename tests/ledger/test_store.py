"""Durability: restarts lose nothing acknowledged, torn tails are cut, one writer at a time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from civicid.errors import Error, StorageError
from ledger.audit import audit
from ledger.setup import initialize, open_ledger
from ledger.store import FileLogStore
from tests.ledger.conftest import World


def test_reopen_keeps_every_entry_and_the_same_root(world: World) -> None:
    agency = world.register()
    world.register("service-desk")
    size, root = world.ledger.size, world.ledger.tree.root()
    world.ledger.close()
    again = open_ledger(world.root, clock=world.clock)
    try:
        assert again.size == size and again.tree.root() == root
        assert (
            again.state.record(agency.did).current.version_id
            == world.ledger.state.record(agency.did).current.version_id
        )
    finally:
        again.close()
    world.ledger = open_ledger(world.root, clock=world.clock)


@pytest.mark.parametrize(
    "victim, garbage",
    [
        ("log.dat", b"\x00\x00\x01\x00partial record"),
        ("log.idx", b"\x00\x00\x00"),
        ("leaves.dat", b"\x13" * 17),
        ("log.dat", b"\xff" * 3),
    ],
)
def test_torn_tail_is_cut_back(world: World, victim: str, garbage: bytes) -> None:
    world.register()
    size, root = world.ledger.size, world.ledger.tree.root()
    world.ledger.close()
    with open(world.root / "ledger" / victim, "ab") as handle:
        handle.write(garbage)
    again = open_ledger(world.root, clock=world.clock)
    try:
        assert again.size == size and again.tree.root() == root
        assert again.store.size == size
    finally:
        again.close()
    assert audit(world.root / "ledger").size == size
    world.ledger = open_ledger(world.root, clock=world.clock)


def test_half_written_last_record_is_dropped(world: World) -> None:
    """A crash between writing an index entry and its record bytes."""
    world.register()
    size = world.ledger.size
    world.ledger.close()
    directory = world.root / "ledger"
    data_size = (directory / "log.dat").stat().st_size
    with open(directory / "log.idx", "ab") as handle:
        handle.write(data_size.to_bytes(8, "big"))
    with open(directory / "leaves.dat", "ab") as handle:
        handle.write(b"\x01" * 32)
    with open(directory / "log.dat", "ab") as handle:
        handle.write(b"\x00\x00\x00\x40\x00\x00\x00\x00short")
    again = open_ledger(world.root, clock=world.clock)
    try:
        assert again.size == size
    finally:
        again.close()
    world.ledger = open_ledger(world.root, clock=world.clock)


def test_second_writer_is_locked_out_but_readers_are_not(world: World) -> None:
    with pytest.raises(StorageError) as info:
        FileLogStore(world.root / "ledger")
    assert info.value.code == "store_locked"
    reader = open_ledger(world.root, readonly=True)
    try:
        assert reader.size == world.ledger.size
    finally:
        reader.close()


def test_readonly_ledger_refuses_writes(world: World) -> None:
    from civicid.identity import Identity

    who = Identity.create()
    endorsement = world.governance.endorse(
        who.did, "agency", ledger=world.origin, now=world.clock.now
    )
    reader = open_ledger(world.root, readonly=True, clock=world.clock)
    try:
        with pytest.raises(StorageError) as info:
            reader.submit(
                who.create_tx(
                    role="agency", endorsement=endorsement, ledger=world.origin, now=world.clock.now
                )
            )
        assert info.value.code == "store_readonly"
        assert who.did not in reader.state.dids
    finally:
        reader.close()


WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from civicid.identity import Identity
    from ledger.setup import load_governance, open_ledger, Paths
    import threading
    root = Path(sys.argv[1])
    gov = load_governance(Paths(root))
    ledger = open_ledger(root)
    origin = ledger.state.origin
    out = threading.Lock()

    def write():  # 8 writers at once: acknowledgements come from shared group commits
        while True:
            who = Identity.create()
            e = gov.endorse(who.did, "agency", ledger=origin)
            receipt = ledger.submit(who.create_tx(role="agency", endorsement=e, ledger=origin))
            with out:
                print(receipt.seq, who.did, flush=True)

    for _ in range(8):
        threading.Thread(target=write, daemon=True).start()
    threading.Event().wait()
""")


def test_kill_9_loses_nothing_acknowledged(tmp_path: Path) -> None:
    initialize(tmp_path)
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    acknowledged: list[tuple[int, str]] = []
    for _ in range(3):
        proc = subprocess.Popen(
            [sys.executable, str(script), str(tmp_path)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).parents[2],
        )
        assert proc.stdout is not None
        deadline = time.monotonic() + 30
        # Wait until it has acknowledged a few, then kill it mid-stride.
        seen = 0
        while seen < 40 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            seq, did = line.split()
            acknowledged.append((int(seq), did))
            seen += 1
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        for line in proc.stdout:
            if line.endswith("\n") and len(line.split()) == 2:  # not a line cut by the kill
                seq, did = line.split()
                acknowledged.append((int(seq), did))
        assert seen == 40
    ledger = open_ledger(tmp_path, readonly=True)
    try:
        for seq, did in acknowledged:
            assert ledger.state.record(did).versions[0].seq == seq  # type: ignore[arg-type]
    finally:
        ledger.close()
    assert audit(tmp_path / "ledger").size >= len(acknowledged) + 1


def test_a_bug_in_a_rule_refuses_that_entry_only(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from civicid import transaction as tx
    from ledger import ruleset

    def broken(*_: object) -> object:
        raise KeyError("oops")

    monkeypatch.setitem(ruleset.RULES, tx.DID_DEACTIVATE, broken)
    agency = world.register()
    with pytest.raises(Error) as info:
        world.ledger.submit(
            agency.deactivate_tx(world.head(agency), ledger=world.origin, now=world.clock.now)
        )
    assert info.value.code == "internal_error"
    world.register()  # the ledger still takes what is valid


def test_a_failed_sync_stops_the_ledger_until_restart(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_disk() -> None:
        raise StorageError("store_sync_failed", "disk gone")

    monkeypatch.setattr(world.ledger.store, "sync", no_disk)
    with pytest.raises(Error) as info:
        world.register()
    assert info.value.code == "store_failed"
    with pytest.raises(Error) as info:
        world.register()
    assert info.value.code == "store_failed"
    monkeypatch.undo()
    world.ledger.close()
    world.ledger = open_ledger(world.root, clock=world.clock)
    world.register()


def test_a_log_walked_page_by_page_out_of_memory_reads_the_same(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening hands the pages of log.dat it walked past back to the kernel (so a large log
    is not held resident); what it reads, and what it then serves, is unchanged."""
    from ledger import store as stores

    for _ in range(12):
        world.register()
    entries = [leaf for _, leaf in world.ledger.entries()]
    world.ledger.close()
    assert (world.root / "ledger" / "log.dat").stat().st_size > 4 * 4096
    monkeypatch.setattr(stores, "RELEASE_EVERY", 1)
    ledger = open_ledger(world.root, readonly=True, clock=world.clock)
    try:
        assert [leaf for _, leaf in ledger.entries()] == entries
        assert ledger.store.findings.rebuilt == []  # type: ignore[attr-defined]
    finally:
        ledger.close()


@pytest.mark.parametrize("readonly", [True, False])
def test_an_open_reads_leaves_dat_once(
    world: World, monkeypatch: pytest.MonkeyPatch, readonly: bool
) -> None:
    """A reader keeps leaves.dat as found (audit compares with it) and compares it with the
    hashes of the walk from that one read; a writer reads it once, after the walk."""
    world.register()
    world.ledger.close()
    reads: list[int] = []
    read_all = FileLogStore._read_all

    def counted(self: FileLogStore, fd: int) -> bytes:
        reads.append(fd)
        return read_all(self, fd)

    monkeypatch.setattr(FileLogStore, "_read_all", counted)
    store = FileLogStore(world.root / "ledger", readonly=readonly)
    try:
        assert store.size > 1 and reads.count(store._hashes) == 1, reads
        assert store.findings.rebuilt == []
        assert len(store.found_leaf_hashes) == (32 * store.size if readonly else 0)
    finally:
        store.close()
    (world.root / "ledger" / "leaves.dat").write_bytes(b"")  # found wrong: still said
    store = FileLogStore(world.root / "ledger", readonly=True)
    try:
        assert store.findings.rebuilt == ["leaves.dat"] and store.found_leaf_hashes == b""
    finally:
        store.close()
