"""A pin's files are read up to their bound and no further: a file of exactly the bound is
read whole, one byte more is refused with its code."""

from __future__ import annotations

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
