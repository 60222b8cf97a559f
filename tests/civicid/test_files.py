"""``read_bounded``: a file at its bound is read whole, one byte past it refused without the
rest read; a file that cannot be read is the reader's code, or the OSError it chose to judge."""

from __future__ import annotations

import errno
import os
from pathlib import Path, PosixPath
from typing import Any, ClassVar

import pytest

from civicid.encoding import JSON_INVALID
from civicid.errors import Error
from civicid.files import read_bounded
from civicid.jose import JWS_MALFORMED

LIMIT = 64
# Two declared codes standing for a reader's own: one for too large, one for unreadable.
TOO_LARGE = JSON_INVALID
UNREADABLE = JWS_MALFORMED


class Reads(PosixPath):
    """A path whose open handle records how many bytes each read asked for."""

    asked: ClassVar[list[int | None]] = []

    def open(self, *args: Any, **kwargs: Any) -> Any:
        handle = super().open(*args, **kwargs)
        read = handle.read

        def counted(size: int | None = -1) -> bytes:
            Reads.asked.append(size)
            data: bytes = read(size)
            return data

        handle.read = counted
        return handle


def file_of(tmp_path: Path, size: int) -> Path:
    path = tmp_path / "f"
    path.write_bytes(bytes(range(256)) * (size // 256) + b"x" * (size % 256))
    return path


def refusal(path: Path, **kwargs: Any) -> Error:
    with pytest.raises(Error) as info:
        read_bounded(path, LIMIT, too_large=TOO_LARGE, **kwargs)
    return info.value


@pytest.mark.parametrize("size", [0, 1, LIMIT - 1, LIMIT])
def test_a_file_within_its_bound_is_read_whole(tmp_path: Path, size: int) -> None:
    path = file_of(tmp_path, size)
    assert read_bounded(path, LIMIT, too_large=TOO_LARGE) == path.read_bytes()


@pytest.mark.parametrize("size", [LIMIT + 1, 100 * LIMIT])
def test_a_file_past_its_bound_is_refused_with_the_callers_code(tmp_path: Path, size: int) -> None:
    path = file_of(tmp_path, size)
    error = refusal(path)
    assert TOO_LARGE.matches(error)
    assert error.message == f"{path} exceeds {LIMIT} bytes"
    assert refusal(path, message="too big for us").message == "too big for us"


def test_no_more_than_one_byte_past_the_bound_is_read(tmp_path: Path) -> None:
    Reads.asked = []
    path = Reads(file_of(tmp_path, 100 * LIMIT))
    assert TOO_LARGE.matches(refusal(path))
    assert Reads.asked == [LIMIT + 1]


@pytest.mark.parametrize(
    "name, raised, number",
    [("missing", FileNotFoundError, errno.ENOENT), (".", IsADirectoryError, errno.EISDIR)],
)
def test_an_unreadable_file_is_its_os_error_or_the_callers_code(
    tmp_path: Path, name: str, raised: type[OSError], number: int
) -> None:
    path = tmp_path / name
    with pytest.raises(raised):
        read_bounded(path, LIMIT, too_large=TOO_LARGE)
    error = refusal(path, unreadable=UNREADABLE)
    assert UNREADABLE.matches(error)
    assert isinstance(error.__cause__, raised)
    assert error.message == f"cannot read {path}: {os.strerror(number)}"


@pytest.mark.timeout(20)  # a named pipe opened to read would wait for a writer for ever
@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_a_file_that_is_not_regular_is_the_callers_code_at_once(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "f"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.mkdir()
    error = refusal(path, not_regular=UNREADABLE)
    assert UNREADABLE.matches(error)
    what = "a named pipe" if kind == "fifo" else "a directory"
    assert error.message == f"{path} is not a regular file ({what})"


def test_a_regular_file_checked_for_it_is_read_as_before(tmp_path: Path) -> None:
    path = file_of(tmp_path, LIMIT)
    assert read_bounded(path, LIMIT, too_large=TOO_LARGE, not_regular=UNREADABLE) == (
        path.read_bytes()
    )
    assert TOO_LARGE.matches(refusal(file_of(tmp_path, LIMIT + 1), not_regular=UNREADABLE))
