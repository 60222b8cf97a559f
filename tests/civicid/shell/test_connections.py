"""The connection budget: capped per service and per process, the longest-idle connection
makes room, then the one whose body has been arriving longest, and a newcomer is refused only
when every connection is busy."""

from __future__ import annotations

import resource

import pytest

from civicid.shell import connections
from civicid.shell.connections import FD_RESERVE, Budget


class Conn:
    """A connection as the budget sees it: it can be told to close."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.evicted = False

    def evict(self) -> None:
        self.evicted = True

    def __repr__(self) -> str:
        return self.name


def test_the_longest_idle_connection_makes_room() -> None:
    budget = Budget(2)
    a, b, c = Conn("a"), Conn("b"), Conn("c")
    assert budget.admit(a) and budget.admit(b)
    budget.busy(a)
    budget.idle(a)  # a has just answered: now b has been idle longest
    assert budget.admit(c)
    assert b.evicted and not a.evicted
    assert len(budget) == 2


def test_busy_connections_are_never_closed_for_room() -> None:
    budget = Budget(2)
    a, b, c = Conn("a"), Conn("b"), Conn("c")
    for conn in (a, b):
        assert budget.admit(conn)
        budget.busy(conn)
    assert not budget.admit(c)
    assert not a.evicted and not b.evicted and len(budget) == 2
    budget.release(a)
    assert budget.admit(c)


def test_bodies_still_arriving_make_room_after_idle_ones_the_oldest_first() -> None:
    budget = Budget(3)
    a, b, c, d, e, f = (Conn(name) for name in "abcdef")
    for conn in (a, b, c):
        assert budget.admit(conn)
    budget.receiving(a)
    budget.receiving(b)
    budget.receiving(a)  # more of its body: it keeps its place, arriving longest
    assert budget.admit(d)  # c is idle: it goes first
    assert c.evicted and not a.evicted and not b.evicted
    budget.busy(d)  # d's request is whole, with the app: never closed for room
    assert budget.admit(e)
    assert a.evicted and not b.evicted and not d.evicted
    budget.receiving(e)
    budget.idle(b)  # b was answered: idle again, it goes before e
    assert budget.admit(f)
    assert b.evicted and not e.evicted
    budget.busy(e)
    budget.busy(f)
    assert not budget.admit(Conn("g")) and len(budget) == 3


def test_a_body_arriving_at_one_service_makes_room_in_the_process() -> None:
    process = Budget(2)
    ledger, issuer = Budget(10, parent=process), Budget(10, parent=process)
    slow, asking = Conn("ledger-slow"), Conn("ledger-asking")
    assert ledger.admit(slow) and ledger.admit(asking)
    issuer.receiving(slow)  # whichever budget is asked, the connection's own is marked
    ledger.busy(asking)
    newcomer = Conn("issuer-0")
    assert issuer.admit(newcomer)
    assert slow.evicted and not asking.evicted
    assert (len(process), len(ledger), len(issuer)) == (2, 1, 1)


def test_services_of_one_process_share_its_budget() -> None:
    process = Budget(3)
    ledger, issuer = Budget(10, parent=process), Budget(10, parent=process)
    first = [Conn(f"ledger-{i}") for i in range(3)]
    for conn in first:
        assert ledger.admit(conn)
    asking = Conn("issuer-0")
    assert issuer.admit(asking)  # the process is full: the ledger's longest idle made room
    assert first[0].evicted and not first[1].evicted
    assert (len(process), len(ledger), len(issuer)) == (3, 2, 1)
    for conn in (first[1], first[2], asking):
        process_busy(conn, ledger, issuer)
    assert not issuer.admit(Conn("issuer-1"))


def process_busy(conn: Conn, *budgets: Budget) -> None:
    for budget in budgets:
        budget.busy(conn)  # whichever budget is asked, the connection's own is marked


def test_a_service_cap_below_the_process_one_binds() -> None:
    process = Budget(100)
    service = Budget(1, parent=process)
    a, b = Conn("a"), Conn("b")
    assert service.admit(a)
    service.busy(a)
    assert not service.admit(b)
    assert len(process) == 1


def test_the_process_keeps_descriptors_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resource, "getrlimit", lambda _: (1024, 4096))
    assert connections.process_limit() == 1024 - FD_RESERVE
    monkeypatch.setattr(resource, "getrlimit", lambda _: (resource.RLIM_INFINITY, 4096))
    assert connections.process_limit() == connections.MAX_PROCESS_CONNECTIONS
    monkeypatch.setattr(resource, "getrlimit", lambda _: (64, 64))
    assert connections.process_limit() == connections.MIN_PROCESS_CONNECTIONS


def test_a_budget_holds_at_least_one() -> None:
    with pytest.raises(ValueError):
        Budget(0)


def test_services_share_the_process_lock_even_when_it_holds_no_connection() -> None:
    """An empty budget is still a parent: its services keep their books under its one lock
    (a budget's length is its open connections, so "if parent" alone once read it as none)."""
    process = Budget(3)
    ledger, issuer = Budget(10, parent=process), Budget(10, parent=process)
    assert ledger._lock is process._lock and issuer._lock is process._lock
