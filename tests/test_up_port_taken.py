"""``civicid up`` with a port taken says what to do: which option moves that port, and that
another ``civicid up`` (over another data dir) may hold it; still ``service_port_in_use``,
exit 3, one line."""

from __future__ import annotations

import re
import socket
import subprocess
from pathlib import Path

import pytest

from civicid.errors import Error
from civicid.shell.errors import SERVICE_PORT_IN_USE
from cli import stack
from cli.harness import free_port
from cli.up import port_told
from tests.test_up import CIVICID, ENV

PORTS = stack.Ports(18700, 18701, 18702, (18703, 18704, 18705))
OPTIONS = {
    18700: "--ledger-port PORT",
    18701: "--issuer-port PORT",
    18702: "--verifier-port PORT",
    18703: "--witness-port PORT",
    18705: "--witness-port PORT",
}


@pytest.mark.parametrize("port", list(OPTIONS))
def test_each_port_taken_names_the_option_that_moves_it(port: int) -> None:
    with pytest.raises(Error) as caught, port_told(PORTS):
        raise SERVICE_PORT_IN_USE(f"cannot listen on 127.0.0.1:{port}: Address already in use")
    assert SERVICE_PORT_IN_USE.matches(caught.value)
    message = caught.value.message
    assert message.startswith(f"cannot listen on 127.0.0.1:{port}: Address already in use: ")
    assert "another `civicid up`, over another data dir?" in message
    assert message.endswith(f"stop it, or pass {OPTIONS[port]}") or (
        f"pass {OPTIONS[port]} (the three witnesses" in message
    )


def test_other_refusals_pass_as_they_are() -> None:
    with pytest.raises(Error) as caught, port_told(PORTS):
        raise SERVICE_PORT_IN_USE.kind("up_already_running", "pid 1")
    assert caught.value.code == "up_already_running" and caught.value.message == "pid 1"


def test_up_with_its_verifier_port_taken_says_how_to_move_it(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = subprocess.run(
            [CIVICID, "up", "--data-dir", str(tmp_path / "d"), "--verifier-port", port,
             "--ledger-port", str(free_port()), "--issuer-port", str(free_port()),
             "--witness-port", "0"],
            capture_output=True, text=True, env=ENV, timeout=120, check=False,
        )  # fmt: skip
    assert result.returncode == 3, result.stderr
    line = result.stderr.strip()
    assert line.endswith("[service_port_in_use]") and "\n" not in line, line
    assert f"127.0.0.1:{port}: Address already in use: another program holds it" in line
    assert "stop it, or pass --verifier-port PORT" in line


def test_up_with_several_ports_taken_names_them_all_at_once(tmp_path: Path) -> None:
    # Another `civicid up` holds them all: one run says every port to move, not one at a time.
    with socket.socket() as ledger, socket.socket() as witness:
        for taken in (ledger, witness):
            taken.bind(("127.0.0.1", 0))
            taken.listen()
        ledger_port, witness_port = (str(s.getsockname()[1]) for s in (ledger, witness))
        result = subprocess.run(
            [CIVICID, "up", "--data-dir", str(tmp_path / "d"), "--ledger-port", ledger_port,
             "--issuer-port", str(free_port()), "--verifier-port", str(free_port()),
             "--witness-port", witness_port],
            capture_output=True, text=True, env=ENV, timeout=120, check=False,
        )  # fmt: skip
    assert result.returncode == 3, result.stderr
    line = result.stderr.strip()
    assert line.endswith("[service_port_in_use]") and "\n" not in line, line
    # The witnesses take PORT to PORT+2: another program on this machine may hold one of
    # those two as well, and is then named too.
    named = re.search(
        r"cannot listen on 127\.0\.0\.1 ports ([0-9, ]+): another program holds them", line
    )
    assert named is not None, line
    ports = named.group(1).split(", ")
    assert ports[:2] == [ledger_port, witness_port], line
    assert set(ports[2:]) <= {str(int(witness_port) + 1), str(int(witness_port) + 2)}, line
    assert "pass --ledger-port PORT and --witness-port PORT (the three witnesses" in line
    assert not (tmp_path / "d" / "ledger").exists()  # told before anything was set up
