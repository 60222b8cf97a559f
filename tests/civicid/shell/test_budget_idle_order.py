"""The budget's order of candidates for room: a connection that goes idle again is the most
recently idle; one whose next body arrives is the most recently arriving; one closed while
its body arrived is no candidate at all."""

from __future__ import annotations

import threading

from civicid.shell.connections import Budget


class Conn:
    def __init__(self, name: str) -> None:
        self.name = name
        self.evicted = False

    def evict(self) -> None:
        self.evicted = True

    def __repr__(self) -> str:
        return self.name


def test_a_connection_idle_again_may_make_room_when_the_others_are_busy() -> None:
    budget = Budget(2)
    a, b = Conn("a"), Conn("b")
    assert budget.admit(a) and budget.admit(b)
    budget.busy(a)
    budget.busy(b)
    budget.idle(a)  # its answer is sent: it waits for its next request
    assert budget.admit(Conn("c"))
    assert (a.evicted, b.evicted) == (True, False)


def test_a_connection_idle_again_is_the_most_recently_idle() -> None:
    budget = Budget(2)
    a, b = Conn("a"), Conn("b")
    assert budget.admit(a) and budget.admit(b)
    budget.idle(a)  # a request answered since: a is now idle more recently than b
    assert budget.admit(Conn("c"))
    assert (a.evicted, b.evicted) == (False, True)


def test_a_body_arriving_again_is_the_most_recently_arriving() -> None:
    budget = Budget(2)
    a, b = Conn("a"), Conn("b")
    assert budget.admit(a) and budget.admit(b)
    budget.receiving(a)
    budget.receiving(b)
    budget.idle(a)  # a's request was answered; its next request's body now arrives
    budget.receiving(a)
    assert budget.admit(Conn("c"))
    assert (a.evicted, b.evicted) == (False, True)


def test_a_connection_closed_while_its_body_arrived_is_no_candidate() -> None:
    budget = Budget(2)
    a, b, c = Conn("a"), Conn("b"), Conn("c")
    assert budget.admit(a) and budget.admit(b)
    budget.receiving(a)
    budget.release(a)
    assert budget.admit(c)
    budget.busy(b)
    budget.busy(c)
    answers: list[bool] = []
    asking = threading.Thread(target=lambda: answers.append(budget.admit(Conn("d"))), daemon=True)
    asking.start()
    asking.join(5)
    assert answers == [False]  # both held connections are busy: refused, none closed
    assert not a.evicted
