"""``civicid up``: the services left running over a named data directory, once per directory,
set up on the first run and found again on the next; Ctrl-C stops everything."""

from __future__ import annotations

import json
import os
import resource
import selectors
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from civicid.checkpoint_policy import CheckpointPolicy
from civicid.cosignature import split_cosigned
from civicid.shell.connections import FD_RESERVE
from cli.harness import free_port
from tests.slow_clients import CASES, LIMITS, Target, connect, get, response
from wallet.settings import WalletSettings

CIVICID = str(Path(sys.executable).parent / "civicid")
ENV = {**os.environ, "NO_COLOR": "1"}


def ports(issuer_url: str | None = None) -> list[str]:
    """Free ports; the issuer's that of ``issuer_url`` (a run before on the same data dir: its
    agency's DID names that address for good)."""
    issuer = free_port() if issuer_url is None else urlsplit(issuer_url).port
    return ["--ledger-port", str(free_port()), "--issuer-port", str(issuer),
            "--verifier-port", str(free_port()), "--witness-port", "0"]  # fmt: skip


@contextmanager
def up(
    data_dir: Path,
    *extra: str,
    env: dict[str, str] | None = None,
    preexec_fn: Callable[[], None] | None = None,
    stderr: Any = subprocess.PIPE,
) -> Iterator[tuple[subprocess.Popen[str], dict[str, Any]]]:
    """``stderr``: a file, where the services will log much (an unread pipe fills, and a
    service blocked writing its log stops answering)."""
    process = subprocess.Popen(
        [CIVICID, "up", "--json", "--data-dir", str(data_dir), *extra],
        stdout=subprocess.PIPE, stderr=stderr, text=True, env={**ENV, **(env or {})},
        preexec_fn=preexec_fn,
    )  # fmt: skip
    assert process.stdout is not None
    lines = []
    try:
        for line in process.stdout:  # the JSON description, printed once the services answer
            lines.append(line)
            if line.rstrip() == "}":
                break
        assert lines, process.stderr.read() if process.stderr else ""
        yield process, json.loads("".join(lines))
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)


def test_up_serves_every_part_once_per_data_dir_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    data = tmp_path / "civicid"
    with up(data, *ports()) as (process, info):
        for url in (info["ledger"]["url"], info["issuer"]["url"], info["verifier"]["url"]):
            assert httpx.get(url + "/health", timeout=5).status_code == 200
        assert "<html" in httpx.get(info["verifier"]["deskPage"], timeout=5).text.lower()
        assert httpx.get(info["ledger"]["docs"], timeout=5).status_code == 200
        # Three witnesses; the ledger serves its checkpoint with at least two cosignatures.
        members = info["witnesses"]["members"]
        assert len(members) == 3 and info["witnesses"]["quorum"] == 2
        note = httpx.get(info["ledger"]["url"] + "/checkpoint", timeout=5).text
        assert sum(f"\u2014 {m['vkey'].split('+')[0]} " in note for m in members) >= 2
        # The data dir's wallet is set to this ledger (its port is not the default one) and
        # to the witnesses' quorum, with nothing to set by hand.
        wallet = WalletSettings.load(data)
        assert wallet.ledger_url == info["ledger"]["url"]
        assert wallet.checkpoint_policy().requires_witnesses
        assert wallet.checkpoint_policy() == CheckpointPolicy.load(
            data / "stack" / "witnesses.policy"
        )
        second = subprocess.run(
            [CIVICID, "up", "--data-dir", str(data), *ports()],
            capture_output=True, text=True, env=ENV, timeout=60, check=False,
        )  # fmt: skip
        assert second.returncode == 1
        assert second.stderr.strip().endswith("[up_already_running]")
        assert f"pid {process.pid}" in second.stderr
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
    # The next run finds everything set up and starts again on the same identities.
    with up(data, *ports(info["issuer"]["url"])) as (_, again):
        assert again["issuer"]["did"] == info["issuer"]["did"]
        assert again["verifier"]["did"] == info["verifier"]["did"]


def test_up_with_a_port_taken_says_so_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = subprocess.run(
            [CIVICID, "up", "--data-dir", str(tmp_path / "d"), "--ledger-port", port],
            capture_output=True, text=True, env=ENV, timeout=60, check=False,
        )  # fmt: skip
    assert result.returncode == 3
    assert result.stderr.strip().endswith("[service_port_in_use]")
    assert "Traceback" not in result.stderr


# ``up`` runs in a process whose file-descriptor limit is this: its connection budget, shared
# by the three services, is 64 (civicid/shell/connections.py keeps 128 back).
UP_FD_LIMIT = 192
UP_BUDGET = UP_FD_LIMIT - FD_RESERVE
# Per service under that test: more than the process's share, so the shared budget binds.
UP_MAX_CONNECTIONS = 40
# Idle connections are held this long before their head is late: longer than the flood takes
# to be taken in on a loaded machine, so only the budget closes them (not the clock).
UP_HEADER_TIMEOUT = 120.0
# How long a loaded machine may take to take in the whole flood and close what it must.
SETTLE_SECONDS = 60.0
# How long the connections held are watched for one more close: the budget closes for room
# at once, so one it closed late would be seen well within this.
STILL_SECONDS = 2.0


def low_fd_limit() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (UP_FD_LIMIT, hard))


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def up_env(**limits: object) -> dict[str, str]:
    return {
        f"CIVICID_{part}_{name.upper()}": str(value)
        for part in ("LEDGER", "ISSUER", "VERIFIER")
        for name, value in {**LIMITS, "max_connections": UP_MAX_CONNECTIONS, **limits}.items()
    }


def up_targets(info: dict[str, Any]) -> list[Target]:
    return [
        Target(info["ledger"]["url"], post="/transactions", too_large="tx_too_large",
               max_connections=UP_MAX_CONNECTIONS),
        Target(info["issuer"]["url"], post="/token", too_large="invalid_request",
               max_connections=UP_MAX_CONNECTIONS),
        Target(info["verifier"]["url"], post="/requests", too_large="request_body_too_large",
               max_connections=UP_MAX_CONNECTIONS),
    ]  # fmt: skip


def answers(target: Target) -> None:
    with connect(target) as sock:
        sock.sendall(get(target))
        head, _ = response(sock)
        assert head.startswith(b"HTTP/1.1 200"), head


def still_open(
    socks: list[socket.socket], keep: int, seconds: float = SETTLE_SECONDS
) -> list[socket.socket]:
    """Those of ``socks`` the server has not closed, once it holds ``keep`` of them (or after
    ``seconds``): a connection the server closed reads as the end of the stream."""
    left = list(socks)
    deadline = time.monotonic() + seconds
    with selectors.DefaultSelector() as waiting:
        for sock in left:
            waiting.register(sock, selectors.EVENT_READ)
        while len(left) > keep and (wait := deadline - time.monotonic()) > 0:
            for key, _ in waiting.select(timeout=wait):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                assert sock.recv(1) == b"", "an idle connection was sent something"
                waiting.unregister(sock)
                left.remove(sock)
    return left


def test_up_holds_every_service_to_the_server_limits(tmp_path: Path) -> None:
    """The ledger, issuer and desk under ``up`` are served as their own ``serve`` serves
    them: the slow-client cases against each. The desk's data is private (it was 0755 and
    0644 under ``up``)."""
    data = tmp_path / "civicid"
    log = (tmp_path / "up.log").open("w", encoding="utf-8")
    env = up_env()
    with log, up(data, *ports(), env=env, preexec_fn=low_fd_limit, stderr=log) as (_, info):
        for target in up_targets(info):
            for case in CASES:
                case(target)
        assert stat.S_IMODE((data / "verifier").stat().st_mode) == 0o700
        assert stat.S_IMODE((data / "verifier" / "verifier.db").stat().st_mode) == 0o600


def test_up_holds_idle_connections_far_past_its_descriptors_to_its_budget(
    tmp_path: Path,
) -> None:
    """Five times the process's budget of idle connections, spread over the three services
    and all arriving at once (the process stopped meanwhile, as a loaded machine deschedules
    it): once it has taken them in, the process holds exactly its budget of them, the rest
    closed for room, its descriptors as before plus those; and every service answers."""
    data = tmp_path / "civicid"
    log = (tmp_path / "up.log").open("w", encoding="utf-8")
    env = up_env(header_timeout=UP_HEADER_TIMEOUT)
    with log, up(data, *ports(), env=env, preexec_fn=low_fd_limit, stderr=log) as (process, info):
        targets = up_targets(info)
        for target in targets:
            answers(target)
        before = open_fds(process.pid)
        os.kill(process.pid, signal.SIGSTOP)
        try:
            idle = [connect(targets[i % 3]) for i in range(5 * UP_BUDGET)]
        finally:
            os.kill(process.pid, signal.SIGCONT)
        try:
            held = still_open(idle, UP_BUDGET)
            assert len(held) == UP_BUDGET
            # ... and keeps them: no connection more is closed (a smaller cap would go on).
            assert still_open(held, UP_BUDGET - 1, STILL_SECONDS) == held
            assert open_fds(process.pid) <= before + UP_BUDGET < UP_FD_LIMIT
            for target in targets:
                answers(target)
        finally:
            for sock in idle:
                sock.close()


def test_up_with_a_database_url_keeps_the_ledger_in_postgresql(
    tmp_path: Path, database_url: str
) -> None:
    import psycopg

    data = tmp_path / "civicid"
    with up(data, *ports(), "--database-url", database_url) as (_, info):
        checkpoint = httpx.get(info["ledger"]["url"] + "/checkpoint", timeout=5).text
        with psycopg.connect(database_url) as conn:
            stored = conn.execute("SELECT size, note FROM ledger.checkpoint").fetchone()
        # The ledger stores the note it signed; it serves it with its witnesses' cosignatures.
        assert stored is not None and stored[1] == split_cosigned(checkpoint).log_note()
        assert stored[0] > 1  # genesis, the two bodies, their grants and the type
        # The issuer's and the desk's stores are there too, none in the data directory.
        with psycopg.connect(database_url) as conn:
            clerks = conn.execute("SELECT name FROM issuer.clerks").fetchall()
            lists = conn.execute("SELECT token IS NOT NULL FROM issuer.lists").fetchall()
            desk = conn.execute("SELECT max(version) FROM verifier.schema_version").fetchone()
        assert clerks == [("front-desk",)] and lists == [(True,)] and desk == (1,)
    assert not (data / "ledger" / "log.dat").exists()
    assert not (data / "issuer" / "issuer.db").exists()
    assert not (data / "verifier" / "verifier.db").exists()


def test_up_serves_with_the_services_collector_setting(tmp_path: Path, monkeypatch: Any) -> None:
    """``up`` serves the three services in its own process: it sets the collector as each
    one's own ``serve`` command does, before anything is served."""
    import pytest

    import civicid.shell.server
    from cli import stack

    tuned: list[bool] = []
    monkeypatch.setattr(civicid.shell.server, "tune_collector", lambda: tuned.append(True))
    blocked = tmp_path / "a file, not a directory"
    blocked.write_text("")
    with pytest.raises(OSError), stack.running(blocked, stack.Ports(0, 0, 0)):
        pass
    assert tuned == [True]
