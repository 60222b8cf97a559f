"""Opening a large log.dat walks it in two processes, each half of its records, every
checksum and leaf hash still computed. Whatever the file holds (intact, a torn tail, a
damaged record in either half, a log.idx that lies about where the half-way record is) and
whatever the second process does (fails to start, answers garbage), opening finds exactly
what a walk in one process finds: the same records, hashes and findings, or the same
refusal with its code."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from civicid.errors import Error
from ledger import store as stores
from ledger.store import FileLogStore
from tests.ledger.conftest import World

LOG = Path("ledger") / "log.dat"
INDEX = Path("ledger") / "log.idx"


def _found(root: Path, meanwhile: Callable[[], None] | None = None) -> tuple[Any, ...]:
    """What a read-only open finds in ``root``: records, offsets, leaf hashes, findings; or
    the refusal's code and message. ``meanwhile``: the caller's work during the walk (then
    a third process walks the first half)."""
    try:
        store = FileLogStore(root / "ledger", readonly=True, meanwhile=meanwhile)
    except Error as exc:
        return ("refused", exc.code, exc.message)
    try:
        offsets = [store._end_of(i) for i in range(store.size)]
        return (store.size, offsets, store.leaf_hashes(), store.findings)
    finally:
        store.close()


def _flip(offset_of: Callable[[int], int]) -> Callable[[Path], None]:
    def damage(root: Path) -> None:
        data = bytearray((root / LOG).read_bytes())
        data[offset_of(len(data))] ^= 0x01
        (root / LOG).write_bytes(bytes(data))

    return damage


def _append(garbage: bytes) -> Callable[[Path], None]:
    def damage(root: Path) -> None:
        with open(root / LOG, "ab") as handle:
            handle.write(garbage)

    return damage


def _index_off_by_one(root: Path) -> None:
    index = bytearray((root / INDEX).read_bytes())
    for at in range(7, len(index), 8):  # every offset one byte on: never a record's start
        index[at] ^= 0x01
    (root / INDEX).write_bytes(bytes(index))


def _no_index(root: Path) -> None:
    (root / INDEX).write_bytes(b"")


DAMAGE: dict[str, Callable[[Path], None]] = {
    "intact": lambda root: None,
    "torn-tail": _append(b"\x00\x00\x01\x00partial"),
    "second-half-record": _flip(lambda size: size * 3 // 4),
    "last-byte": _flip(lambda size: size - 1),
    "first-half-record": _flip(lambda size: size // 4),
    "index-not-at-records": _index_off_by_one,
    "no-index": _no_index,
}


@pytest.fixture
def logged(world: World) -> Path:
    for _ in range(12):
        world.register()
    world.ledger.close()
    world.ledger = None  # type: ignore[assignment]
    return world.root


@pytest.fixture
def walker_answers(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every log walked in two processes from here on; what the second one answers."""
    monkeypatch.setattr(stores, "PARALLEL_WALK_ABOVE", 0)
    answers: list[Any] = []
    result = stores._Walker.result

    def spied(self: Any) -> Any:
        answer = result(self)
        answers.append(answer)
        return answer

    monkeypatch.setattr(stores._Walker, "result", spied)
    return answers


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_two_processes_find_what_one_finds(
    logged: Path,
    tmp_path: Path,
    damage: str,
    monkeypatch: pytest.MonkeyPatch,
    walker_answers: list[Any],
) -> None:
    root = tmp_path / "copy"
    shutil.copytree(logged, root)
    DAMAGE[damage](root)
    monkeypatch.setattr(stores, "PARALLEL_WALK_ABOVE", 1 << 60)
    one = _found(root)
    monkeypatch.setattr(stores, "PARALLEL_WALK_ABOVE", 0)
    two = _found(root)
    answers = walker_answers
    assert two == one
    if damage == "intact":  # the second process walked its half, and that half was used
        assert len(answers) == 1 and answers[0] is not None and len(answers[0][0]) > 1
        assert one[0] == 13 and one[3].rebuilt == []
    if damage == "index-not-at-records":
        assert one[3].rebuilt == ["log.idx"]
    if damage in ("second-half-record", "first-half-record", "last-byte"):
        assert one[:2] == ("refused", "store_corrupt")


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_three_processes_find_what_one_finds(
    logged: Path,
    tmp_path: Path,
    damage: str,
    monkeypatch: pytest.MonkeyPatch,
    walker_answers: list[Any],
) -> None:
    """With work of its own to do meanwhile (the snapshot's load), the opening process
    leaves both halves to two walkers: the same records, hashes, findings or refusal."""
    root = tmp_path / "copy"
    shutil.copytree(logged, root)
    DAMAGE[damage](root)
    monkeypatch.setattr(stores, "ONE_WALKER_UP_TO_CORES", 0)  # however many cores this has
    monkeypatch.setattr(stores, "PARALLEL_WALK_ABOVE", 1 << 60)
    one = _found(root)
    calls: list[int] = []
    for threshold in (1 << 60, 0):  # whether the walk is shared or not, meanwhile runs once
        monkeypatch.setattr(stores, "PARALLEL_WALK_ABOVE", threshold)
        assert _found(root, lambda: calls.append(len(walker_answers))) == one
    assert calls == [0, 0]  # before any walker was waited for
    if damage == "intact":  # both halves walked elsewhere, and both used
        assert len(walker_answers) == 2 and all(answer is not None for answer in walker_answers)
        assert walker_answers[0][0][0] == 0 and len(walker_answers[0][0]) > 1
        assert sum(len(answer[0]) for answer in walker_answers) == one[0] == 13
    if damage == "first-half-record":  # the first walker failed on it: walked here
        assert walker_answers[0] is None


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_one_walker_for_the_whole_file_finds_what_one_process_finds(
    logged: Path,
    tmp_path: Path,
    damage: str,
    monkeypatch: pytest.MonkeyPatch,
    walker_answers: list[Any],
) -> None:
    """On few cores, the work meanwhile and one walker over the whole file: the same."""
    root = tmp_path / "copy"
    shutil.copytree(logged, root)
    DAMAGE[damage](root)
    monkeypatch.setattr(stores, "PARALLEL_WALK_ABOVE", 1 << 60)
    one = _found(root)
    monkeypatch.setattr(stores, "PARALLEL_WALK_ABOVE", 0)
    monkeypatch.setattr(stores, "ONE_WALKER_UP_TO_CORES", 1 << 20)
    calls: list[int] = []
    assert _found(root, lambda: calls.append(len(walker_answers))) == one
    assert calls == [0]
    # One walker, no second half (none without log.idx: no half-way record is known).
    assert len(walker_answers) == (0 if damage == "no-index" else 1)
    if damage == "intact":  # it walked every record, and its walk was used
        assert walker_answers[0] is not None and len(walker_answers[0][0]) == one[0] == 13
    if damage in ("second-half-record", "first-half-record", "last-byte"):
        assert walker_answers[0] is None  # it met the damage: walked here, and refused
    assert _found(root) == one  # without work meanwhile: two halves as before


def test_a_first_walker_answering_garbage_changes_nothing(
    logged: Path, monkeypatch: pytest.MonkeyPatch, walker_answers: list[Any]
) -> None:
    monkeypatch.setattr(stores, "ONE_WALKER_UP_TO_CORES", 0)
    monkeypatch.setattr(stores, "PARALLEL_WALK_ABOVE", 1 << 60)
    one = _found(logged)
    monkeypatch.setattr(stores, "PARALLEL_WALK_ABOVE", 0)
    for part in [
        "import sys; sys.stdout.buffer.write(b'garbage')",
        # One record at the file's start, where the first half holds more.
        "import sys; sys.stdout.buffer.write((1).to_bytes(8, 'big') + bytes(40))",
        # One record far past the file's end.
        "import sys; sys.stdout.buffer.write((1).to_bytes(8, 'big') + bytes(7) + b'\\x7f'"
        " + bytes(32))",
        "import sys; sys.exit(3)",
    ]:
        monkeypatch.setattr(stores, "WALK_PART", part)
        assert _found(logged, lambda: None) == one
    # Two answers an open (the first half's walker, then the second's), none used.
    lengths = [None if answer is None else len(answer[0]) for answer in walker_answers]
    assert lengths == [None, None, 1, 1, 1, 1, None, None]


def test_a_walker_that_cannot_start_or_answers_garbage_changes_nothing(
    logged: Path, monkeypatch: pytest.MonkeyPatch, walker_answers: list[Any]
) -> None:
    monkeypatch.setattr(stores, "PARALLEL_WALK_ABOVE", 1 << 60)
    one = _found(logged)
    assert walker_answers == []  # below the size: one process
    monkeypatch.setattr(stores, "PARALLEL_WALK_ABOVE", 0)
    for part in [
        "import sys; sys.stdout.buffer.write(b'garbage')",
        "import sys; sys.stdout.buffer.write(bytes(8))",  # no records, where there are
        # One record (the file's first), where the half begins further on.
        "import sys; sys.stdout.buffer.write((1).to_bytes(8, 'big') + bytes(40))",
        "import sys; sys.exit(3)",
        "import time; time.sleep(60)",
    ]:
        monkeypatch.setattr(stores, "WALK_PART", part)
        monkeypatch.setattr(stores, "WALKER_GRACE_SECONDS", 5.0)
        assert _found(logged) == one
    assert walker_answers[0] is None and walker_answers[3:] == [None, None]
    # Well formed, but not the records from the half-way one to the end: walked here.
    assert [len(answer[0]) for answer in walker_answers[1:3]] == [0, 1]
    monkeypatch.setattr(stores.sys, "executable", str(logged / "no-such-python"))
    assert _found(logged) == one
    assert walker_answers[-1] is None


@pytest.mark.parametrize(
    ("cores", "up_to", "walkers"),
    [(2, 2, 1), (3, 2, 2), (None, 1, 1), (None, 0, 2)],  # None: a count the system cannot tell
)
def test_one_walker_up_to_so_many_cores_two_past_them(
    logged: Path,
    monkeypatch: pytest.MonkeyPatch,
    walker_answers: list[Any],
    cores: int | None,
    up_to: int,
    walkers: int,
) -> None:
    """With work meanwhile, one walker on at most ``ONE_WALKER_UP_TO_CORES`` cores (an
    unknown count taken as one), two on more; the same records either way."""
    monkeypatch.setattr(stores, "PARALLEL_WALK_ABOVE", 1 << 60)
    one = _found(logged)
    monkeypatch.setattr(stores, "PARALLEL_WALK_ABOVE", 0)
    monkeypatch.setattr(stores, "ONE_WALKER_UP_TO_CORES", up_to)
    monkeypatch.setattr(stores.os, "cpu_count", lambda: cores)
    assert _found(logged, lambda: None) == one
    assert len(walker_answers) == walkers
    assert all(answer is not None for answer in walker_answers)
