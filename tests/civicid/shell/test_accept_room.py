"""The room a process has to accept a connection (``Budget.room_to_accept``, asked by asyncio's
listener before each accept; ``Budget.arrived``, asked as each connection is made): the
descriptors its connections hold, those accepted and not yet admitted included, within its
cap and ``ACCEPT_HEADROOM``; one accepted and never admitted is counted for ``ACCEPT_WAIT``
and no longer."""

from __future__ import annotations

from typing import Final

import pytest

from civicid.shell import connections
from civicid.shell.connections import ACCEPT_HEADROOM, ACCEPT_WAIT, Budget

LIMIT: Final = 2
BOUND: Final = LIMIT + ACCEPT_HEADROOM  # descriptors the process's connections may hold


class Conn:
    def evict(self) -> None:
        pass


class Clock:
    """``time.monotonic`` as the budget reads it, moved by hand."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = 100.0
        monkeypatch.setattr(connections.time, "monotonic", lambda: self.now)


def test_connections_accepted_and_not_admitted_take_room() -> None:
    budget = Budget(LIMIT)
    assert budget.admit(Conn())  # one open
    for _ in range(BOUND - 2):
        budget.accepted()
    assert budget.room_to_accept()  # one short of the bound
    budget.accepted()
    assert not budget.room_to_accept()  # open and accepted, at the bound


def test_one_accepted_and_never_admitted_is_counted_for_accept_wait_and_no_longer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock(monkeypatch)
    budget = Budget(LIMIT)
    budget.accepted()  # its transport failed to start: never admitted
    clock.now += ACCEPT_WAIT / 2
    for _ in range(BOUND - 1):
        budget.accepted()
    clock.now += ACCEPT_WAIT / 2  # the first was accepted ACCEPT_WAIT ago, exactly
    assert not budget.room_to_accept()
    clock.now += ACCEPT_WAIT / 100  # now longer ago: counted no more (the others still are)
    assert budget.room_to_accept()
    budget.accepted()
    assert not budget.room_to_accept()


def test_a_connection_made_counts_its_own_descriptor_once() -> None:
    """Accepted by asyncio's listener within the bound, it is not refused when made."""
    budget = Budget(LIMIT)
    for _ in range(BOUND):
        budget.accepted()
    assert budget.arrived()


def test_a_connection_made_past_the_descriptors_to_spare_is_refused() -> None:
    """Made by a loop that asked nothing (uvloop): the connections open, those closing for
    room included, and those accepted and not yet made, with it, within the bound."""
    budget = Budget(LIMIT)
    closing = [Conn() for _ in range(BOUND - 1)]
    for connection in closing:  # each past the cap closes another for room: all held
        assert budget.admit(connection)
    assert budget.arrived()  # with it, at the bound
    assert budget.admit(Conn())
    assert not budget.arrived()  # with it, past the bound
    budget.release(closing[0])  # its close is made
    budget.accepted()
    budget.accepted()  # two accepted, not yet made
    assert not budget.arrived()  # the first made: the other still holds a descriptor
    assert budget.arrived()
