"""The server's own log: a flood of refusals is a few lines, each saying how many it stands
for (a terminal that stops reading must not stop the services)."""

from __future__ import annotations

import gc
import logging
import socket

import pytest
import uvicorn

from civicid.shell.server import GC_YOUNG_OBJECTS, Throttle, serve


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def record(message: str, level: int = logging.WARNING) -> logging.LogRecord:
    return logging.LogRecord("uvicorn.error", level, __file__, 1, message, None, None)


def test_one_warning_of_a_kind_per_window_then_the_count() -> None:
    clock = Clock()
    throttle = Throttle(window=10.0, clock=clock)
    late = "closing a connection whose request head took too long"
    assert throttle.filter(record(late))
    assert not any(throttle.filter(record(late)) for _ in range(500))
    assert throttle.filter(record("refusing a connection: every connection is busy"))
    clock.now += 10.0
    next_one = record(late)
    assert throttle.filter(next_one)
    assert next_one.getMessage() == f"{late} (and 500 more like it before this one)"
    clock.now += 10.0
    quiet = record(late)
    assert throttle.filter(quiet) and quiet.getMessage() == late


def test_errors_always_pass() -> None:
    throttle = Throttle(window=10.0, clock=Clock())
    assert all(throttle.filter(record("a bug", logging.ERROR)) for _ in range(3))


def test_serving_runs_the_cyclic_collector_less_often(monkeypatch: pytest.MonkeyPatch) -> None:
    """``serve`` raises the collector's first threshold (requests make many short-lived
    objects); the older generations keep theirs."""
    before = gc.get_threshold()
    ran: list[bool] = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets: ran.append(True))
    try:
        with socket.socket() as sock:
            serve(uvicorn.Config(app=None), sock)  # type: ignore[arg-type]
        assert ran and gc.get_threshold() == (GC_YOUNG_OBJECTS, *before[1:])
    finally:
        gc.set_threshold(*before)
