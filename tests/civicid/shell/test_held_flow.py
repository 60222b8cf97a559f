"""A connection's flow control resumes reading only while the connection may read (nothing
received is held back from its parser); uvicorn asks it to after every answer and whenever
an app asks for a body. A connection gone (held weakly) does not stop it."""

from __future__ import annotations

import gc
from typing import Any

from civicid.shell.guards import HeldFlow


class Transport:
    def __init__(self) -> None:
        self.reading = True

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True


class Connection:
    def __init__(self) -> None:
        self.may = False

    def _may_read(self) -> bool:
        return self.may


def test_reading_is_resumed_only_while_the_connection_may_read() -> None:
    transport, connection = Transport(), Connection()
    flow = HeldFlow(transport, connection)  # type: ignore[arg-type]
    flow.pause_reading()
    flow.resume_reading()
    assert not transport.reading and flow.read_paused
    connection.may = True
    flow.resume_reading()
    assert transport.reading and not flow.read_paused


def test_a_connection_gone_leaves_reading_to_resume() -> None:
    transport: Any = Transport()
    flow = HeldFlow(transport, Connection())  # type: ignore[arg-type]
    gc.collect()
    flow.pause_reading()
    flow.resume_reading()
    assert transport.reading
