"""kill -9 of a serving witness during ``add-checkpoint``: half-way through writing the new
record, before it is fsynced, and after it is durable but before the cosignature is
answered. The next start has the last state it promised (or a newer one it never answered),
and never cosigns a checkpoint that contradicts a cosignature it gave."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from civicid.cosignature import CosignatureVerifier
from cli.harness import free_port, wait_until_healthy
from ledger.witness.settings import WitnessSettings
from ledger.witness.setup import initialize, log_setting, read_status
from tests.witness.logs import ORIGIN, Log

pytestmark = pytest.mark.xdist_group("loopback")
ROOT = Path(__file__).parents[2]

# The real `civicid witness serve`, made to die with SIGKILL at a chosen point of its second
# state write: ``torn_write`` with half the new record written over its slot, ``before_sync``
# with all of it written but not fsynced, ``after_sync`` once it is durable, before the answer.
SERVER = textwrap.dedent("""
    import os, signal, sys, types
    from ledger.witness import state
    stage, argv = sys.argv[1], sys.argv[2:]
    puts = []

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    def pwrite(fd, data, offset):
        if stage == "torn_write" and len(puts) == 2:
            os.pwrite(fd, bytes(data[: len(data) // 2]), offset)
            die()
        return os.pwrite(fd, data, offset)

    def fsync(fd):
        if stage == "before_sync" and len(puts) == 2:
            die()
        return os.fsync(fd)

    real_put = state.StateStore.put
    def put(self, record):
        puts.append(record)
        real_put(self, record)
        if stage == "after_sync" and len(puts) == 2:
            die()

    fake_os = types.SimpleNamespace(**{k: getattr(os, k) for k in dir(os) if k.isidentifier()})
    fake_os.fsync = fsync  # everything else is the real os
    fake_os.pwrite = pwrite
    state.os = fake_os
    state.StateStore.put = put
    sys.argv = ["civicid", "witness", "serve", *argv]
    from cli.main import main
    main()
""")


class Served:
    def __init__(self, root: Path, tmp: Path) -> None:
        self.root = root
        self.script = tmp / "server.py"
        self.script.write_text(SERVER)
        self.procs: list[subprocess.Popen[str]] = []

    def start(self, stage: str | None) -> str:
        port = free_port()
        argv = ["--data-dir", str(self.root), "--port", str(port)]
        command = (
            [sys.executable, str(self.script), stage, *argv]
            if stage
            else [sys.executable, "-m", "cli", "witness", "serve", *argv]
        )
        proc = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True
        )
        self.procs.append(proc)
        url = f"http://127.0.0.1:{port}"
        wait_until_healthy(url, alive=lambda: proc.poll() is None)
        return url

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=20)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    root = tmp_path / "witness"
    initialize(root, "witness.example/w1", [log_setting(Log().signer.vkey())])
    runner = Served(root, tmp_path)
    yield runner
    runner.stop()


def post(url: str, body: bytes) -> httpx.Response:
    return httpx.post(url + "/add-checkpoint", content=body, timeout=20)


@pytest.mark.parametrize("stage", ["torn_write", "before_sync", "after_sync"])
def test_nothing_promised_is_lost_and_nothing_contradicts_it(served: Served, stage: str) -> None:
    log = Log().grow(5)
    url = served.start(stage)
    answered = post(url, log.body(0))
    assert answered.status_code == 200  # the promise: size 5, this root
    cosigner = CosignatureVerifier(read_status(WitnessSettings.load(served.root)).vkey)
    cosigner.verify_line(log.checkpoint(), answered.text)
    log.grow(3)
    with pytest.raises(httpx.HTTPError):  # killed mid-request: no answer, no cosignature
        post(url, log.body(5))
    assert served.procs[-1].wait(timeout=20) == -signal.SIGKILL

    status = read_status(WitnessSettings.load(served.root))
    size = status.logs[0].tree_size
    # A record cut short is found damaged: the one before it stands. Written whole, it is found
    # whole even unsynced (a kill, unlike a power cut, leaves what the kernel holds): it was
    # never answered, and holding to it only makes the witness stricter.
    assert size == (5 if stage == "torn_write" else 8)

    url = served.start(None)
    # A history that contradicts the promise (same key, diverging at leaf 2) is never cosigned.
    fork = Log().grow(2).fork(2, salt=b"fork").grow(3)
    assert fork.tree.size == 5 and fork.tree.root() != log.tree.root(5)
    for old in (0, 5):
        refused = post(url, fork.body(old))
        assert refused.status_code == 409, refused.text
    assert post(url, fork.body(8)).status_code == 400  # old 8 > its size 5
    longer_fork = Log().grow(2).fork(2, salt=b"fork").grow(20)
    for old in (0, 5, 8):
        assert post(url, longer_fork.body(old)).status_code in (409, 422)
    # A fork of the very size the witness holds is caught as such, and kept.
    same_size = Log().grow(2).fork(2, salt=b"fork").grow(size - 2)
    conflict = post(url, same_size.body(size))
    assert (conflict.status_code, conflict.json()["error"]) == (409, "witness_checkpoint_conflict")
    # Nor a rollback to before the promise.
    assert post(url, log.body(0, 3)).status_code in (400, 409)
    # The honest log goes on from wherever the witness is.
    again = post(url, log.body(size))
    assert again.status_code == 200
    cosigner.verify_line(log.checkpoint(), again.text)
    status = read_status(WitnessSettings.load(served.root))
    assert (status.logs[0].origin, status.logs[0].tree_size) == (ORIGIN, 8)
    assert len(status.evidence) >= 1
    assert not list((served.root / "witness" / "state").glob(".*.tmp"))
