"""StatusList.count against a plain loop over every entry, for each width, with lists whose
size leaves padding slots in the last byte (those are not entries, whatever they hold)."""

from __future__ import annotations

import pytest

from civicid.status_list import StatusList


@pytest.mark.parametrize("bits", [1, 2, 4, 8])
@pytest.mark.parametrize("size", [1, 7, 13, 64])
def test_count_matches_the_entries(bits: int, size: int) -> None:
    status_list = StatusList(size, bits)
    values = [(i * 7 + 3) % (1 << bits) for i in range(size)]
    for index, value in enumerate(values):
        status_list.set(index, value)
    for value in range(min(1 << bits, 16)):
        count = status_list.count(value)
        assert count == values.count(value) and type(count) is int, (bits, size, value)
