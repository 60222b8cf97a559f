"""The background re-hash of a snapshot's kept hashes, alone: the thread it runs in, its pauses
(none once someone waits for the verdict), what it says in the log, a verdict reached once,
a check that fails with a bug concluding nothing, and the memory given back after each run."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable

import pytest

from civicid.errors import Error
from civicid.merkle import MerkleTree
from civicid.statemap import StateMap
from ledger import integrity
from ledger.errors import SNAPSHOT_HASHES_MISMATCH

LEAVES = b"".join(i.to_bytes(32, "big") for i in range(1234))


class Tree(MerkleTree):
    """A tree whose re-hash reports ``stale`` nodes, pausing ``pauses`` times first."""

    def __init__(self, stale: int = 0, pauses: int = 3) -> None:
        super().__init__()
        self.stale, self.pauses, self.runs = stale, pauses, 0
        self.sizes: list[int] = []
        self.before: Callable[[], None] = lambda: None

    def stale_nodes(self, size: int, pause: Callable[[], None] = lambda: None) -> int:
        self.runs += 1
        self.sizes.append(size)
        self.before()
        for _ in range(self.pauses):
            pause()
        return self.stale


class Map(StateMap):
    def __init__(self, stale: int = 0) -> None:
        super().__init__()
        self.stale = stale

    def stale_hashes(self, pause: Callable[[], None] = lambda: None) -> int:
        pause()
        return self.stale


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)  # the module integrity sleeps with
    return slept


@pytest.fixture
def trims(monkeypatch: pytest.MonkeyPatch) -> list[None]:
    calls: list[None] = []
    monkeypatch.setattr(integrity, "release_freed_memory", lambda: calls.append(None))
    return calls


def test_the_re_hash_runs_in_a_daemon_thread_of_its_name(sleeps: list[float]) -> None:
    tree, seen = Tree(), threading.Event()
    release = threading.Event()
    ran_in: list[threading.Thread] = []

    def held() -> None:
        ran_in.append(threading.current_thread())
        seen.set()
        release.wait()

    tree.before = held
    check = integrity.KeptHashes(tree, 7, Map(), lambda error: None)
    check.start()
    assert seen.wait(30)
    # The thread the re-hash runs in (another test's ledger may run one of its own by now).
    [running] = ran_in
    assert running.name == "ledger-rehash" and running is not threading.main_thread()
    assert running.daemon  # a process exiting does not wait for it
    assert check.status == integrity.CHECKING
    release.set()
    assert check.wait() == integrity.VERIFIED
    assert tree.sizes == [7]  # the size it was given, not the tree's own


def test_pauses_in_the_background_none_once_waited_for(sleeps: list[float]) -> None:
    check = integrity.KeptHashes(Tree(pauses=3), 1, Map(), lambda error: None)
    check.start()
    deadline = time.monotonic() + 30
    while check.status == integrity.CHECKING and time.monotonic() < deadline:
        threading.Event().wait(0.001)  # its own pace: nobody waits for the verdict
    # Three pauses of the tree and one of the map, each a sleep of the named length.
    assert sleeps == [integrity.PAUSE_SECONDS] * 4
    sleeps.clear()
    waited = integrity.KeptHashes(Tree(pauses=3), 1, Map(), lambda error: None)
    assert waited.wait() == integrity.VERIFIED and sleeps == []  # hurried: no pause


def test_a_verdict_is_reached_once(sleeps: list[float], trims: list[None]) -> None:
    tree = Tree()
    check = integrity.KeptHashes(tree, 1, Map(), lambda error: None)
    assert check.wait() == integrity.VERIFIED
    assert check.wait() == integrity.VERIFIED
    check.start()
    assert check.wait() == integrity.VERIFIED
    assert (tree.runs, len(trims)) == (1, 1)  # re-hashed once, its memory given back once


def test_nodes_not_the_logs_fail_it_once_with_the_counts(
    sleeps: list[float], trims: list[None], caplog: pytest.LogCaptureFixture
) -> None:
    failures: list[Error] = []
    check = integrity.KeptHashes(Tree(stale=1234), 1, Map(stale=5678), failures.append)
    with caplog.at_level(logging.INFO, logger="civicid.ledger"):
        assert check.wait() == integrity.FAILED
        assert check.wait() == integrity.FAILED
    assert len(failures) == 1 and failures[0] is check.error
    assert SNAPSHOT_HASHES_MISMATCH.matches(check.error)
    assert check.error.details == {"treeNodes": 1234, "mapNodes": 5678}
    assert "1,234 tree node(s) and 5,678 state map node(s)" in check.error.message
    (record,) = caplog.records
    assert (record.name, record.levelno) == ("civicid.ledger", logging.CRITICAL)
    assert record.getMessage() == f"{check.error.message} [snapshot_hashes_mismatch]"
    assert len(trims) == 1


@pytest.mark.parametrize(("tree", "mapped"), [(1, 0), (0, 1)])
def test_one_stale_node_of_either_fails_it(sleeps: list[float], tree: int, mapped: int) -> None:
    check = integrity.KeptHashes(Tree(stale=tree), 1, Map(stale=mapped), lambda error: None)
    assert check.wait() == integrity.FAILED


def test_a_verified_re_hash_says_so_with_the_leaves_and_its_time(
    sleeps: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    tree = MerkleTree.from_leaf_hashes(LEAVES)
    check = integrity.KeptHashes(tree, tree.size, StateMap(), lambda error: None)
    with caplog.at_level(logging.INFO, logger="civicid.ledger"):
        assert check.wait() == integrity.VERIFIED
    assert check.error is None
    (record,) = caplog.records
    assert (record.name, record.levelno) == ("civicid.ledger", logging.INFO)
    found = re.fullmatch(
        r"the snapshot's kept hashes re-hashed from 1,234 leaves: all as kept \((\d+\.\d) s\)",
        record.getMessage(),
    )
    assert found is not None and float(found.group(1)) < 60  # a duration, not a time of day


def test_a_check_that_fails_with_a_bug_concludes_nothing(
    sleeps: list[float], trims: list[None], caplog: pytest.LogCaptureFixture
) -> None:
    tree = Tree()

    def broken() -> None:
        raise RuntimeError("a bug")

    tree.before = broken
    failures: list[Error] = []
    check = integrity.KeptHashes(tree, 1, Map(), failures.append)
    with caplog.at_level(logging.INFO, logger="civicid.ledger"):
        assert check.wait() == integrity.CHECKING
    assert (check.error, failures, len(trims)) == (None, [], 1)
    (record,) = caplog.records
    assert record.levelno == logging.ERROR and record.exc_info is not None
    assert "re-hash" in record.getMessage()


def test_stopped_concludes_nothing(sleeps: list[float], trims: list[None]) -> None:
    tree = Tree(stale=1, pauses=1)
    failures: list[Error] = []
    check = integrity.KeptHashes(tree, 1, Map(stale=1), failures.append)
    check.stop()  # the ledger closed: the re-hash ends at its first pause
    assert check.wait() == integrity.CHECKING
    assert (check.error, failures, tree.runs, len(trims), sleeps) == (None, [], 1, 1, [])
