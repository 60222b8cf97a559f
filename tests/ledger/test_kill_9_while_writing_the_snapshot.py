"""kill -9 of a serving ledger while it writes its state snapshot (at close, after Ctrl-C):
half-way through the new file, or with it written but not yet in place. The next start
finds the previous snapshot (or none), replays the rest, loses nothing acknowledged and
answers exactly as a full replay does."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from cli.harness import free_port, wait_until_healthy
from ledger.setup import open_ledger
from tests.ledger.conftest import World
from tests.ledger.snapshots import answers, full_replay, log_digest, populate, snapshot_file

# The real `civicid ledger serve`, with the snapshot's file calls wrapped so that the process
# stops (and says so) at a chosen point of the write: the test then kills it with SIGKILL.
SERVER = textwrap.dedent("""
    import builtins, os, signal, sys, types
    from ledger import snapshot
    stage, argv = sys.argv[1], sys.argv[2:]

    def stop_here():
        print("stopped in the snapshot write", flush=True)
        signal.pause()

    class HalfWritten:
        def __init__(self, handle):
            self.handle = handle
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            self.handle.close()
        def write(self, data):
            self.handle.write(data[: len(data) // 2])
            self.handle.flush()
            stop_here()

    def opening(path, mode="r", *args, **kwargs):
        handle = builtins.open(path, mode, *args, **kwargs)
        return HalfWritten(handle) if stage == "mid-write" and "w" in mode else handle

    real_replace = os.replace
    def replacing(src, dst):
        if stage == "before-rename":
            stop_here()
        return real_replace(src, dst)

    snapshot.open = opening
    fake_os = types.SimpleNamespace(**{k: getattr(os, k) for k in dir(os) if k.isidentifier()})
    fake_os.replace = replacing  # everything else is the real os
    snapshot.os = fake_os
    sys.argv = ["civicid", "ledger", "serve", *argv]
    from cli.main import main
    main()
""")


@pytest.mark.parametrize("stage", ["mid-write", "before-rename"])
def test_the_next_start_is_correct(world: World, tmp_path: Path, stage: str) -> None:
    agency = populate(world)
    world.ledger.close()  # a snapshot at this size
    older = snapshot_file(world).read_bytes()
    script = tmp_path / "server.py"
    script.write_text(SERVER)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(script), stage, "--data-dir", str(world.root), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_healthy(url, alive=lambda: proc.poll() is None)
        # Acknowledged over HTTP after the snapshot: a rotation and a new DID (signed now:
        # the server keeps the real time).
        _, update = agency.rotate(world.head(agency), ledger=world.origin)
        acknowledged = [update, *world_create(world)]
        for text in acknowledged:
            answer = httpx.post(
                f"{url}/transactions", content=text, headers={"content-type": "application/jose"}
            )
            assert answer.status_code == 201, answer.text
        proc.send_signal(signal.SIGINT)  # Ctrl-C: close writes the snapshot...
        assert proc.stdout is not None
        assert proc.stdout.readline() == "stopped in the snapshot write\n"
    finally:
        proc.kill()  # ...and kill -9 in the middle of it
        proc.wait()
    assert snapshot_file(world).read_bytes() == older  # the old one, whole
    log = log_digest(world)
    world.ledger = open_ledger(world.root, clock=world.clock)
    assert world.ledger.snapshot_refused is None
    assert world.ledger.snapshot_size == world.ledger.size - len(acknowledged)
    assert [world.ledger.entry(world.ledger.size - 2 + i) for i in range(2)] == [
        text.encode() for text in acknowledged
    ]
    assert log_digest(world) == log
    assert answers(world.ledger) == full_replay(world)


def world_create(world: World) -> list[str]:
    """A new agency's create transaction, signed but not submitted."""
    from civicid.identity import Identity

    who = Identity.create()
    endorsement = world.governance.endorse(who.did, "agency", ledger=world.origin)
    return [who.create_tx(role="agency", endorsement=endorsement, ledger=world.origin)]
