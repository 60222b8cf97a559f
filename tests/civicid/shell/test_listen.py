"""``civicid.shell.server.listen``: a taken port is one refusal with its code, naming the
option that moves it when the command has one (``--port``); a command with several ports
(``civicid up``) names its own, so without ``option`` the line says only what failed."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from civicid.errors import Error
from civicid.shell.errors import SERVICE_PORT_IN_USE
from civicid.shell.server import listen
from ledger.errors import SERVE_PORT_IN_USE


@pytest.fixture
def taken() -> Iterator[int]:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield int(held.getsockname()[1])


def test_a_taken_port_names_the_option_that_moves_it(taken: int) -> None:
    with pytest.raises(Error) as caught:
        listen("127.0.0.1", taken, option="--port")
    assert caught.value.code == "service_port_in_use"
    assert caught.value.message == (
        f"cannot listen on 127.0.0.1:{taken}: Address already in use: another program holds"
        " the port; stop it, or choose another with --port"
    )


def test_the_code_given_is_kept(taken: int) -> None:
    with pytest.raises(Error) as caught:
        listen("127.0.0.1", taken, taken=SERVE_PORT_IN_USE, option="--port")
    assert caught.value.code == "serve_port_in_use"
    assert caught.value.message.endswith("choose another with --port")


def test_without_an_option_only_what_failed(taken: int) -> None:
    with pytest.raises(Error) as caught:
        listen("127.0.0.1", taken)
    assert SERVICE_PORT_IN_USE.matches(caught.value)
    assert caught.value.message == f"cannot listen on 127.0.0.1:{taken}: Address already in use"


def test_an_address_not_of_this_host_is_not_said_to_be_held() -> None:
    # TEST-NET-1 (RFC 5737) is no interface of this machine: nothing is sent, bind fails.
    with pytest.raises(Error) as caught:
        listen("192.0.2.1", 0, option="--port")
    assert caught.value.code == "service_port_in_use"
    assert "another program" not in caught.value.message
