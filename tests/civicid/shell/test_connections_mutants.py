"""The connection budget makes room once per connection: one closed for room is no longer
idle, nor receiving, nor held, so the next newcomer closes another (asked to close the same
one again, admit would wait for ever, the budget's lock held, every service of the process
with it). Each admit is watched from another thread, so that one that never returns fails
the test rather than hanging it."""

from __future__ import annotations

import threading

from civicid.shell.connections import Budget

# Far longer than an admit takes: one that has not returned by then never will.
PATIENCE = 5.0


class Conn:
    def __init__(self, name: str) -> None:
        self.name = name
        self.evictions = 0

    def evict(self) -> None:
        self.evictions += 1

    def __repr__(self) -> str:
        return self.name


def admit(budget: Budget, connection: Conn) -> bool:
    """``budget.admit(connection)``, which must return within ``PATIENCE``."""
    answers: list[bool] = []
    thread = threading.Thread(target=lambda: answers.append(budget.admit(connection)))
    thread.daemon = True  # one that spins for ever must not keep the test run alive
    thread.start()
    thread.join(PATIENCE)
    assert not thread.is_alive(), f"admitting {connection} did not return"
    return answers[0]


def test_each_idle_connection_is_closed_for_room_once() -> None:
    budget = Budget(1)
    a, b, c = Conn("a"), Conn("b"), Conn("c")
    assert admit(budget, a)
    assert admit(budget, b)
    assert (a.evictions, b.evictions) == (1, 0)
    assert admit(budget, c)  # b makes room now: a is closing already
    assert (a.evictions, b.evictions, c.evictions) == (1, 1, 0)
    assert len(budget) == 1 and budget.descriptors == 3


def test_each_receiving_connection_is_closed_for_room_once() -> None:
    budget = Budget(1)
    a, b, c = Conn("a"), Conn("b"), Conn("c")
    assert admit(budget, a)
    budget.receiving(a)  # its body still arriving
    assert admit(budget, b)
    budget.receiving(b)
    assert admit(budget, c)  # b makes room now: a is closing already
    assert (a.evictions, b.evictions, c.evictions) == (1, 1, 0)
    assert len(budget) == 1 and budget.descriptors == 3


def test_a_connection_of_a_service_closed_for_room_is_counted_closing_in_the_process() -> None:
    process = Budget(8)
    service = Budget(1, parent=process)
    a, b = Conn("a"), Conn("b")
    assert admit(service, a)
    assert admit(service, b)
    assert a.evictions == 1
    assert (len(service), len(process)) == (1, 1)
    assert (service.descriptors, process.descriptors) == (2, 2)
