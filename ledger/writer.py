"""Where the CLI writes: the local store directly, or a running ledger over HTTP.

A ledger server holds the store's write lock, so commands run beside it must go through it
(``--ledger URL``); the client checks each receipt against the pinned checkpoint key.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Protocol

import typer

from civicid.ledger_client import LedgerClient
from ledger.log import Ledger
from ledger.setup import CHECKPOINT_KEY, Paths, open_ledger

# The option every writing command takes (ledger/cli.py, ledger/governance_cli.py).
LedgerUrl = Annotated[
    str | None,
    typer.Option(
        "--ledger",
        envvar="CIVICID_LEDGER_URL",
        help="Write through a running ledger at this URL (default: the local store).",
    ),
]


class Writer(Protocol):
    origin: str

    def submit(self, transaction: str) -> dict[str, Any]: ...
    def head(self, did: str) -> str: ...


class LocalWriter:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.origin = str(ledger.state.origin)

    def submit(self, transaction: str) -> dict[str, Any]:
        return self.ledger.submit(transaction).to_json()

    def head(self, did: str) -> str:
        return self.ledger.state.record(did).current.version_id  # type: ignore[arg-type]


class RemoteWriter:
    def __init__(self, client: LedgerClient) -> None:
        self.client = client
        self.origin = client.origin

    def submit(self, transaction: str) -> dict[str, Any]:
        return self.client.submit(transaction)

    def head(self, did: str) -> str:
        return str(self.client.resolve(did).metadata["versionId"])


@contextmanager
def open_writer(data_dir: Path, url: str | None) -> Iterator[Writer]:
    if url is None:
        ledger = open_ledger(data_dir)
        try:
            yield LocalWriter(ledger)
        finally:
            ledger.close()
        return
    paths = Paths(data_dir)
    vkey = paths.keys.text(CHECKPOINT_KEY, "vkey")
    client = LedgerClient(url, vkey, trust_file=data_dir / "client" / "checkpoint")
    try:
        yield RemoteWriter(client)
    finally:
        client.close()
