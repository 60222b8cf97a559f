"""A pin's files are read up to their bound and no further: a file of exactly the bound is
read whole, one byte more is refused with its code."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from civicid.errors import Error
from civicid.tlog_policy import MAX_POLICY_BYTES, POLICY_TOO_LARGE
from civicid.trust.pins import FEDERATION_INVALID, MAX_PINS_BYTES, Pins, read_policy


def test_a_policy_file_of_exactly_the_bound_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "x.policy"
    path.write_bytes(b"#" * (MAX_POLICY_BYTES - 1) + b"\n")
    assert len(read_policy(path)) == MAX_POLICY_BYTES
    path.write_bytes(b"#" * MAX_POLICY_BYTES + b"\n")
    with pytest.raises(Error) as raised:
        read_policy(path)
    assert POLICY_TOO_LARGE.matches(raised.value)


def test_an_index_of_exactly_the_bound_is_read(tmp_path: Path) -> None:
    pins = Pins(tmp_path)
    body = b'{"ledgers": []}'
    pins.index.write_bytes(body + b" " * (MAX_PINS_BYTES - len(body)))
    assert pins.load() == ()
    pins.index.write_bytes(body + b" " * (MAX_PINS_BYTES - len(body) + 1))
    with pytest.raises(Error) as raised:
        pins.load()
    assert FEDERATION_INVALID.matches(raised.value)
    assert "exceeds" in raised.value.message


def test_an_endless_index_is_read_no_further_than_its_bound(tmp_path: Path) -> None:
    """A named pipe (or a device) in place of the index: read up to the bound and refused,
    never drained to its end."""
    pins = Pins(tmp_path)
    os.mkfifo(pins.index)
    offered = 4 * MAX_PINS_BYTES  # more than the bound and the pipe's buffer together
    written = 0
    done = threading.Event()

    def feed() -> None:
        nonlocal written
        with pins.index.open("wb", buffering=0) as pipe:
            try:
                while written < offered:
                    written += pipe.write(b" " * 4096)
            except BrokenPipeError:  # the reader stopped at its bound: as it should
                return
            done.wait(10)  # a reader draining the pipe gets its end only now

    feeder = threading.Thread(target=feed)
    feeder.start()
    try:
        with pytest.raises(Error) as raised:
            pins.load()
        assert FEDERATION_INVALID.matches(raised.value)
        assert written < offered
    finally:
        done.set()
        feeder.join()


def test_a_pin_whose_policy_file_is_gone_is_refused(tmp_path: Path) -> None:
    pins = Pins(tmp_path)
    pins.index.write_text('{"ledgers": [{"name": "abroad"}]}')
    with pytest.raises(Error) as raised:
        pins.load()
    assert FEDERATION_INVALID.matches(raised.value)
