"""A mirror's copy with a damaged record (a flipped byte with intact records after it) is
refused ``store_corrupt`` with a copy's way back (move the copy aside and fetch it again), not
the ledger's alone: a copy holds nothing the ledger lacks. Nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicid.errors import Error
from ledger.errors import STORE_CORRUPT
from tests.ledger.conftest import World
from tests.ledger.test_mirror_follows import Counting, follower, served
from tests.ledger.test_mirror_that_lost_its_log import files


def test_a_copy_with_a_damaged_record_says_a_copys_way_back(world: World, tmp_path: Path) -> None:
    into = tmp_path / "mirror"
    for _ in range(4):
        world.register()
    with served(world) as ledger:
        mirror = follower(world, ledger, into)
        assert mirror.follow().error is None
        mirror.close()
        log = into / "log.dat"
        data = bytearray(log.read_bytes())
        data[len(data) // 3] ^= 0xFF  # a record in the middle: intact ones follow it
        log.write_bytes(bytes(data))
        before = files(into)
        counting = Counting(ledger)
        with pytest.raises(Error) as raised:
            follower(world, counting, into)
    assert STORE_CORRUPT.matches(raised.value), raised.value
    message = raised.value.message
    assert "move this mirror's directory aside to start a new copy" in message, message
    assert counting.entries == 0 and files(into) == before
