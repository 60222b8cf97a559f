"""The lock beside a trust file, held and let go: the first client of a trust file makes its
directory (private) and the lock, and holds it shared until its finalizer runs or it is
collected; a lock no client can open (a directory) refuses the client, which would hold
none, and a forget alike; a client whose lock could not be taken leaves no descriptor open."""

from __future__ import annotations

import gc
import os
import stat
from pathlib import Path

import pytest

from civicid import trust_lock
from civicid.errors import Error
from civicid.trust_lock import TRUST_FILE_IN_USE, TRUST_FILE_LOCK_INVALID, alone, hold, lock_file

RUNNING = "a test's client"


class Owner:
    """What a client is to its lock: something that can be collected."""


def refused(trust_file: Path) -> str:
    """The code a forget beside ``trust_file`` is refused with."""
    with pytest.raises(Error) as caught, alone(trust_file, RUNNING):
        pass
    return caught.value.code


def forgets(trust_file: Path) -> bool:
    """Whether a forget beside ``trust_file`` goes on."""
    with alone(trust_file, RUNNING):
        return True


def closed(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return True
    return False


def test_the_first_client_in_a_new_directory_makes_it_private_and_holds_the_lock(
    tmp_path: Path,
) -> None:
    trust_file = tmp_path / "data" / "wallet" / "checkpoint"
    owner = Owner()
    release = hold(owner, trust_file)
    assert release is not None
    assert stat.S_IMODE(trust_file.parent.stat().st_mode) == 0o700  # the data directory's own
    assert stat.S_ISREG(lock_file(trust_file).lstat().st_mode)  # made by the first client
    assert refused(trust_file) == TRUST_FILE_IN_USE.name
    release()
    assert forgets(trust_file)


def test_a_client_in_a_directory_already_there_holds_the_lock(tmp_path: Path) -> None:
    trust_file = tmp_path / "checkpoint"
    owner = Owner()
    release = hold(owner, trust_file)
    assert release is not None
    assert refused(trust_file) == TRUST_FILE_IN_USE.name
    other = Owner()
    second = hold(other, trust_file)  # shared: a second client holds it too
    assert second is not None
    release()
    assert refused(trust_file) == TRUST_FILE_IN_USE.name
    second()
    assert forgets(trust_file)


def test_a_client_collected_lets_the_lock_go(tmp_path: Path) -> None:
    trust_file = tmp_path / "checkpoint"
    owner = Owner()
    assert hold(owner, trust_file) is not None
    assert refused(trust_file) == TRUST_FILE_IN_USE.name
    del owner
    gc.collect()
    assert forgets(trust_file)


def test_a_lock_that_is_a_directory_refuses_a_client_and_a_forget(tmp_path: Path) -> None:
    trust_file = tmp_path / "checkpoint"
    lock_file(trust_file).mkdir()
    with pytest.raises(Error) as caught:  # it would run holding nothing, unseen by a forget
        hold(Owner(), trust_file)
    assert caught.value.code == TRUST_FILE_LOCK_INVALID.name
    assert refused(trust_file) == TRUST_FILE_LOCK_INVALID.name


def test_a_lock_that_cannot_be_taken_leaves_no_descriptor_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trust_file = tmp_path / "checkpoint"
    opened: list[int] = []
    real_opened = trust_lock._opened

    def recording(path: Path, then: str) -> int | None:
        fd = real_opened(path, then)
        assert fd is not None
        opened.append(fd)
        return fd

    def interrupted(fd: int, operation: int) -> None:
        raise InterruptedError("a signal while waiting for the lock")

    monkeypatch.setattr(trust_lock, "_opened", recording)
    monkeypatch.setattr(trust_lock.fcntl, "flock", interrupted)
    with pytest.raises(InterruptedError):
        hold(Owner(), trust_file)
    [fd] = opened
    assert closed(fd)


def test_a_finalizer_closes_the_lock_it_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trust_file = tmp_path / "checkpoint"
    opened: list[int] = []
    real_opened = trust_lock._opened

    def recording(path: Path, then: str) -> int | None:
        fd = real_opened(path, then)
        assert fd is not None
        opened.append(fd)
        return fd

    monkeypatch.setattr(trust_lock, "_opened", recording)
    owner = Owner()
    release = hold(owner, trust_file)
    assert release is not None
    [fd] = opened
    assert not closed(fd)
    release()
    assert closed(fd)
