"""``civicid up`` with a port past 65535 (the witnesses take the first witness port and the
two after it) or one port given to two services: one line (``up_ports_invalid``) naming the
options, before anything is made. Before, a witness port of 65534 was a traceback
(OverflowError, its third witness at 65536), and two services on one port made half a first
run, then blamed "another program" for the port."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app


def up(data: Path, *ports: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, ["up", "--data-dir", str(data), *ports], env={"COLUMNS": "200", "NO_COLOR": "1"}
    )
    return result.exit_code, result.stderr


@pytest.mark.parametrize(
    ("ports", "said"),
    [
        (["--witness-port", "65534"], "--witness-port 65534 (and the two after it"),
        (["--ledger-port", "70000"], "--ledger-port 70000 is past the ports there are"),
        (["--rule-port", "-1"], "--rule-port -1 is past"),
        (["--issuer-port", "15701", "--witness-port", "15701"], "both --issuer-port and "),
        (["--witness-port", "15700", "--verifier-port", "15702"], "port 15702 is given to both"),
    ],
)
def test_ports_refused_before_anything_is_made(tmp_path: Path, ports: list[str], said: str) -> None:
    data = tmp_path / "d"
    code, err = up(data, "--ledger-port", "15690", "--issuer-port", "15691",
                   "--verifier-port", "15692", "--witness-port", "15693", *ports)  # fmt: skip
    line = err.strip()
    assert code == 1 and "\n" not in line, err
    assert line.endswith("[up_ports_invalid]") and said in line, line
    assert not data.exists()
