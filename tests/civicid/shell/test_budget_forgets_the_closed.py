"""A connection closed while idle is forgotten by the budget whole: no longer a candidate to
close for room, so the next newcomer at a full budget closes one still open. Left among the
idle, it would be chosen, found unknown, and chosen again for ever, the budget's lock held
(each admit is watched from another thread: one that never returns fails the test)."""

from __future__ import annotations

from civicid.shell.connections import Budget
from tests.civicid.shell.test_connections_mutants import Conn, admit


def test_a_connection_closed_while_idle_is_not_chosen_to_make_room() -> None:
    budget = Budget(1)
    gone, held, newcomer = Conn("gone"), Conn("held"), Conn("newcomer")
    assert admit(budget, gone)
    budget.release(gone)  # closed by its client while idle
    assert admit(budget, held)
    assert admit(budget, newcomer)  # the open idle one makes room
    assert (gone.evictions, held.evictions, newcomer.evictions) == (0, 1, 0)
    assert len(budget) == 1 and budget.descriptors == 2


def test_a_connection_closed_while_its_body_arrived_is_not_chosen_to_make_room() -> None:
    budget = Budget(1)
    gone, held, newcomer = Conn("gone"), Conn("held"), Conn("newcomer")
    assert admit(budget, gone)
    budget.receiving(gone)
    budget.release(gone)  # closed by its client while its body was arriving
    assert admit(budget, held)
    budget.receiving(held)
    assert admit(budget, newcomer)  # the open one whose body arrives makes room
    assert (gone.evictions, held.evictions, newcomer.evictions) == (0, 1, 0)
    assert len(budget) == 1 and budget.descriptors == 2
