"""Attack: two credentials sharing a status index (revoking one revokes the other), or an
index a verifier can link to the order of issuance. The allocator never hands out an index
already used, whatever mix of used and free indices it starts from, stays within the list,
and draws from the randomness it is given."""

from __future__ import annotations

import random

import pytest

from civicid.errors import Error
from civicid.status_list import MAX_ENTRIES, MAX_REJECTION_DRAWS, IndexAllocator, StatusList


def seeded(seed: int) -> random.Random:
    return random.Random(seed)  # noqa: S311  (reproducible draws are the point here)


@pytest.mark.parametrize("size, used", [(4, [0, 1, 2]), (8, [1, 3, 5, 7, 0]), (1, [])])
def test_only_free_indices_are_handed_out(size: int, used: list[int]) -> None:
    allocator = IndexAllocator(size, used=used, rng=seeded(7))
    handed = [allocator.allocate() for _ in range(size - len(used))]
    assert sorted(handed) == sorted(set(range(size)) - set(used))
    assert all(allocator.is_used(i) for i in range(size))
    with pytest.raises(Error) as info:
        allocator.allocate()
    assert info.value.code == "status_list_full"


class Scripted(random.Random):
    """Draws a script of indices, then the last one forever."""

    def __init__(self, draws: list[int]) -> None:
        super().__init__(0)
        self.draws = draws

    def randrange(self, *args: object, **kwargs: object) -> int:  # type: ignore[override]
        return self.draws.pop(0) if len(self.draws) > 1 else self.draws[0]


def test_no_index_twice_after_sampling_missed() -> None:
    """Random draws that keep hitting used indices make the allocator fall back to its list
    of free ones; from then on it picks from that list only, so an index drawn at random
    can never also be picked from the list."""
    size = 64
    allocator = IndexAllocator(size, used=[0], rng=Scripted([0] * MAX_REJECTION_DRAWS + [5, 7, 0]))
    handed = [allocator.allocate() for _ in range(size - 1)]
    assert len(set(handed)) == size - 1 and 0 not in handed


def test_is_used_outside_the_list_is_false() -> None:
    allocator = IndexAllocator(3, used=[0, 2])
    assert [allocator.is_used(i) for i in (-1, 0, 1, 2, 3)] == [False, True, False, True, False]


@pytest.mark.parametrize("size", [0, -1, MAX_ENTRIES + 1, True, 2.0])
def test_sizes_outside_the_bounds(size: object) -> None:
    with pytest.raises(Error) as info:
        IndexAllocator(size)  # type: ignore[arg-type]
    assert info.value.code == "status_list_size_invalid"


def test_the_bounds_themselves() -> None:
    assert IndexAllocator(1).allocate() == 0
    assert IndexAllocator(MAX_ENTRIES, rng=seeded(1)).size == MAX_ENTRIES


def test_the_given_randomness_is_the_one_drawn_from() -> None:
    draws = [IndexAllocator(1000, rng=seeded(42)).allocate() for _ in range(3)]
    assert draws[0] == draws[1] == draws[2]
    assert draws[0] == seeded(42).randrange(1000)


def test_lists_equal_only_in_every_part() -> None:
    base = StatusList(16, 2)
    same = StatusList(16, 2)
    assert base == same
    other_bits = StatusList(16, 2)
    other_bits.set(3, 1)
    assert base != other_bits
    assert base != StatusList(16, 1) and base != StatusList(17, 2)
    assert base != StatusList(16, 2, aggregation_uri="https://agency.example/agg")
    assert base != object() and base != [0] * 16
