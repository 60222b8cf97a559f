"""The guards' bookkeeping, without a server: an answer written to a closing connection marks
its request disconnected; a body of exactly ``JOIN_MAX_BYTES`` leaves with its head; the
budget hears of each change of a request's stage once, about this connection; a stalled
answer's deadline is armed again after a resume, and a connection lost after one is quiet;
the exception a connection was lost with is passed on to uvicorn's protocol."""

from __future__ import annotations

import logging
from typing import Any

from civicid.shell.guards import JOIN_MAX_BYTES, Guards, OneWrite
from tests.civicid.shell.test_one_write import HEAD


class Transport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.handed: list[tuple[bytes, ...]] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def writelines(self, parts: tuple[bytes, ...]) -> None:
        self.handed.append(tuple(parts))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed


class Cycle:
    response_started = False
    scope: dict[str, str] = {"method": "GET"}  # noqa: RUF012 (read, never changed)
    disconnected = False


def test_an_answer_written_to_a_closing_connection_marks_its_request_disconnected() -> None:
    transport, cycle = Transport(), Cycle()
    wrapped = OneWrite(transport, cycle)  # type: ignore[arg-type]
    transport.closed = True
    wrapped.write(b"HTTP/1.1 200 \r\n\r\n")
    assert cycle.disconnected is True
    assert transport.writes == [] and transport.handed == []


def test_an_answer_written_to_a_closing_connection_after_its_cycle_is_gone_is_dropped() -> None:
    transport = Transport()
    wrapped = OneWrite(transport, Cycle())  # type: ignore[arg-type]  # the cycle is gone
    transport.closed = True
    wrapped.write(b"late")
    assert transport.writes == [] and transport.handed == []


def test_a_body_of_exactly_the_join_bound_leaves_with_its_head_in_one_buffer() -> None:
    transport, cycle = Transport(), Cycle()
    wrapped = OneWrite(transport, cycle)  # type: ignore[arg-type]
    cycle.response_started = True
    body = b"b" * JOIN_MAX_BYTES
    wrapped.write(HEAD)
    wrapped.write(body)
    assert transport.writes == [HEAD + body] and transport.handed == []


def test_a_body_one_past_the_join_bound_is_handed_over_beside_its_head() -> None:
    transport, cycle = Transport(), Cycle()
    wrapped = OneWrite(transport, cycle)  # type: ignore[arg-type]
    cycle.response_started = True
    body = b"b" * (JOIN_MAX_BYTES + 1)
    wrapped.write(HEAD)
    wrapped.write(body)
    assert transport.writes == [] and transport.handed == [(HEAD, body)]


class Budget:
    """What the connection told the budget, in order."""

    def __init__(self) -> None:
        self.told: list[tuple[str, Any]] = []

    def receiving(self, connection: Any) -> None:
        self.told.append(("receiving", connection))

    def busy(self, connection: Any) -> None:
        self.told.append(("busy", connection))

    def idle(self, connection: Any) -> None:
        self.told.append(("idle", connection))


class Handle:
    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class Loop:
    """Records each timer armed; none ever fires."""

    def __init__(self) -> None:
        self.timers: list[tuple[float, Handle]] = []

    def call_later(self, delay: float, callback: Any) -> Handle:
        handle = Handle()
        self.timers.append((delay, handle))
        return handle


class Protocol:
    """Stands in for uvicorn's protocol, after the guards in the order of bases."""

    def __init__(self) -> None:
        self.lost: list[Exception | None] = []

    def pause_writing(self) -> None:
        pass

    def resume_writing(self) -> None:
        pass

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost.append(exc)


class Connection(Guards, Protocol):
    def __init__(self) -> None:
        super().__init__()
        self.budget = Budget()  # type: ignore[misc]
        self.loop = Loop()  # type: ignore[assignment]
        self.logger = logging.getLogger("test.guards")
        self.receiving = False

    def _busy(self) -> bool:
        return True

    def _receiving(self) -> bool:
        return self.receiving


def test_the_budget_hears_of_each_change_of_stage_once_about_this_connection() -> None:
    connection = Connection()
    told = connection.budget.told  # type: ignore[attr-defined]
    connection.receiving = True
    connection._track()
    connection._track()  # the body goes on: nothing new to tell
    assert told == [("receiving", connection)]
    connection.receiving = False
    connection._track()
    connection._track()
    assert told == [("receiving", connection), ("busy", connection)]
    connection._rest()
    connection._track()  # the next request, whole at once
    assert told[2:] == [("idle", connection), ("busy", connection)]


def test_a_stalled_answer_is_given_a_deadline_again_after_a_resume() -> None:
    connection = Connection()
    timers = connection.loop.timers  # type: ignore[attr-defined]
    connection.pause_writing()
    connection.pause_writing()  # still stalled: one deadline
    assert [delay for delay, _ in timers] == [Guards.send_timeout]
    connection.resume_writing()
    assert timers[0][1].cancelled
    connection.pause_writing()  # stalled again: a new deadline
    assert len(timers) == 2 and not timers[1][1].cancelled
    connection.resume_writing()
    connection.connection_lost(None)  # after a resume, nothing left to cancel: quiet
    assert timers[1][1].cancelled


def test_a_connection_lost_after_its_answer_resumed_is_quiet() -> None:
    connection = Connection()
    connection.pause_writing()
    connection.resume_writing()
    connection.connection_lost(None)
    assert connection.lost == [None]


def test_the_exception_a_connection_was_lost_with_is_passed_on() -> None:
    connection = Connection()
    reset = ConnectionResetError("reset by peer")
    connection.connection_lost(reset)
    assert connection.lost == [reset]
