"""The guards at their edges, without a server: a connection evicted after its loop stopped,
an answer's transport closed twice, a refusal's status line, a service budget and the
process budget it draws on, a connection heard from after it was closed."""

from __future__ import annotations

import asyncio
import logging

import pytest

from civicid.shell.connections import Budget
from civicid.shell.errors import SERVER_BUSY
from civicid.shell.guards import Guards, refusal
from tests.civicid.shell.test_one_write import HEAD, one_write


class Transport:
    def __init__(self) -> None:
        self.closed = False
        self.closes = 0

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True
        self.closes += 1


class Idle(Guards):
    """A connection waiting for its next request on ``loop`` (or, ``busy``, answering one)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, *, busy: bool = False) -> None:
        super().__init__()
        self.loop = loop
        self.transport = Transport()  # type: ignore[assignment]
        self.logger = logging.getLogger("test.guards")
        self.busy = busy

    def _busy(self) -> bool:
        return self.busy

    def _receiving(self) -> bool:
        return False


def test_an_evicted_idle_connection_is_closed_on_its_own_loop() -> None:
    loop = asyncio.new_event_loop()
    try:
        connection = Idle(loop)
        connection.evict()  # from the budget's thread: scheduled, not done here
        assert not connection.transport.is_closing()
        loop.run_until_complete(asyncio.sleep(0))
        assert connection.transport.is_closing()
    finally:
        loop.close()


def test_evicting_a_connection_whose_loop_has_stopped_is_quiet() -> None:
    """Its loop stopped (its service shut down): the connection is closed already, and the
    budget of another service that asked for room must not fail."""
    loop = asyncio.new_event_loop()
    loop.close()
    connection = Idle(loop)
    connection.evict()
    assert not connection.transport.is_closing()


def test_a_head_deadline_closes_an_idle_connection_once(caplog: pytest.LogCaptureFixture) -> None:
    loop = asyncio.new_event_loop()
    try:
        connection = Idle(loop)
        connection._late()
        assert connection.transport.closes == 1
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="test.guards"):
            connection._late()  # closing already: nothing more is done, nor logged
        assert connection.transport.closes == 1 and caplog.records == []
    finally:
        loop.close()


def test_a_head_deadline_met_while_answering_leaves_the_connection_armable() -> None:
    """The deadline is the head's: a request in flight is the app's and the body's business;
    the next head gets a deadline of its own."""
    loop = asyncio.new_event_loop()
    try:
        connection = Idle(loop, busy=True)
        connection._late()
        assert connection.transport.closes == 0
        connection._arm()
        assert connection._head_timer is not None
        connection._disarm()
    finally:
        loop.close()


def test_a_second_close_sends_nothing_more() -> None:
    wrapped, transport, cycle = one_write()
    cycle.response_started = True
    wrapped.write(HEAD)
    wrapped.close()
    wrapped.close()
    assert transport.writes == [HEAD]


def test_a_service_budget_names_the_process_budget_it_draws_on() -> None:
    process = Budget(8)
    service = Budget(4, parent=process)
    assert service.parent is process and process.parent is None


def test_a_refusal_has_the_standard_reason_phrase() -> None:
    head, _, body = refusal(SERVER_BUSY()).partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[0] == b"HTTP/1.1 503 Service Unavailable"
    assert b"content-length: %d" % len(body) in head.split(b"\r\n")


class Conn:
    def evict(self) -> None:
        pass


def test_a_closed_connection_heard_from_is_not_counted_again() -> None:
    """Its protocol may still tell the budget of a request after the close was counted: the
    budget no longer knows it, and keeps it out of every count."""
    budget = Budget(2)
    first, second = Conn(), Conn()
    assert budget.admit(first) and budget.admit(second)
    budget.release(first)
    for told in (budget.receiving, budget.busy, budget.idle, budget.release):
        told(first)
        assert (len(budget), budget.descriptors) == (1, 1)
    third = Conn()
    assert budget.admit(third)  # room for one more: the closed one holds none
    budget.busy(second)
    budget.busy(third)
    assert not budget.admit(Conn())  # both held connections are busy
