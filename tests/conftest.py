"""Shared fixtures: the official vectors, a fresh data directory per test; the CLI runner's
command tree and the default TLS context built once per process."""

from __future__ import annotations

import json
import socket
import ssl
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import httpx
import httpx._transports.default
import pytest
import typer
import typer.main
import typer.testing

# A throwaway PostgreSQL cluster per test process, and a fresh database per test.
from tests.postgres import database_url, postgres  # noqa: F401 - fixtures

VECTORS = Path(__file__).parent / "vectors" / "data"


def load_vector(relative: str) -> Any:
    """Load an official vector file (copied verbatim from the sources in data/README.md)."""
    return json.loads((VECTORS / relative).read_text(encoding="utf-8"))


@pytest.fixture
def taken() -> Iterator[str]:
    """A loopback port another socket holds (its number): a server started on it fails to
    bind rather than hang, so a refusal said before binding is told from one after."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield str(held.getsockname()[1])


@pytest.fixture
def vectors() -> Path:
    return VECTORS


# Typer's CliRunner rebuilds the whole click command tree from the app on every invoke
# (every command's signature and type hints read again: ~60 ms on 2 busy cores), and the
# tests invoke the CLI hundreds of times. Build each app's tree once: a click command keeps
# no state between invocations (each makes its own context), and the functions it calls are
# looked up when called, so a monkeypatched helper is still seen.
_COMMANDS: weakref.WeakKeyDictionary[typer.Typer, click.Command] = weakref.WeakKeyDictionary()


def _command_once(app: typer.Typer) -> click.Command:
    command = _COMMANDS.get(app)
    if command is None:
        command = _COMMANDS[app] = typer.main.get_command(app)
    return command


# A Typer release that stops building through this name must be noticed, not silently slow.
assert typer.testing._get_command is typer.main.get_command
typer.testing._get_command = _command_once  # type: ignore[assignment]


# Every httpx client a test builds with the defaults (``httpx.get``, ``httpx.Client()``)
# loads the whole CA bundle into a new TLS context (~0.1 s of CPU on 2 busy cores), although
# no test speaks TLS (loopback only). Share one, as ``civicid.http.tls_context`` does for
# the clients of the code under test.
_build_tls_context = httpx._transports.default.create_ssl_context


def _default_tls_context_once(
    verify: ssl.SSLContext | str | bool = True, cert: Any = None, trust_env: bool = True
) -> ssl.SSLContext:
    if verify is True and cert is None and trust_env:
        from civicid.http import tls_context

        return tls_context()
    return _build_tls_context(verify=verify, cert=cert, trust_env=trust_env)


assert _build_tls_context is httpx.create_ssl_context  # an httpx release that moves it: seen
httpx._transports.default.create_ssl_context = _default_tls_context_once  # type: ignore[assignment]
