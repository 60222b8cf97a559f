"""A file written whole or not at all stays so when several writers write it at once (threads
of one process, or the processes of one data directory): each writes its own temporary
file, so none renames another's away or installs another's half-written bytes."""

from __future__ import annotations

import threading
from pathlib import Path

from civicid.keystore import write_private

WRITERS = 8
ROUNDS = 40


def test_writers_at_once_each_install_a_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "ledger-checkpoint"
    bodies = [bytes([65 + n]) * (64 * 1024) for n in range(WRITERS)]
    failures: list[BaseException] = []
    start = threading.Barrier(WRITERS)

    def write(n: int) -> None:
        start.wait()
        try:
            for _ in range(ROUNDS):
                write_private(target, bodies[n])
                assert target.read_bytes() in bodies  # never half of one, or two mixed
        except BaseException as exc:  # reported below, with the others
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert target.read_bytes() in bodies
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no temporary file left
