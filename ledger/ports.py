"""The port a ledger's or a witness's server listens on, bound with a way out if it is taken."""

from __future__ import annotations

import socket

from civicid.errors import Code, Error


def listen_on(host: str, port: int, taken: Code) -> socket.socket:
    """``civicid.shell.server.listen``; a taken port (``taken``) says how to choose another.
    Bound after the data dir is read: the first thing wrong there is named first."""
    from civicid.shell.server import listen  # the web stack, only for a server

    try:
        return listen(host, port, taken=taken)
    except Error as exc:
        if not taken.matches(exc):
            raise
        raise taken(
            f"{exc.message}: another program holds the port; stop it, or choose another with --port"
        ) from exc
