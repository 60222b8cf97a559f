"""Where the CLI writes: the local store directly, or a running ledger over HTTP.

A ledger server holds the store's write lock, so commands run beside it must go through it
(``--ledger URL``); the client checks each receipt against the pinned checkpoint key.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Final, Protocol

import typer

from civicid.did import DID, DID_NOT_FOUND
from civicid.errors import Error, InternalError, StorageError
from civicid.ledger_client import LedgerClient
from ledger.errors import STORE_FAILED
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

# The code the HTTP client gives an error answer that carries none of ours (civicid/http.py).
HTTP_CODE: Final = re.compile(r"http_[0-9]{3}")


class Writer(Protocol):
    origin: str

    def submit(self, transaction: str) -> dict[str, Any]: ...
    def head(self, did: str) -> str: ...

    def refused(self, exc: Error) -> bool:
        """Did ``submit`` fail because the ledger refused (so nothing was written)? False
        when the outcome is unknown: the entry may be in the log."""
        ...

    def entry_of(self, did: str) -> int | None:
        """The entry of ``did``'s latest version, None if it is not on the ledger; raises
        when that cannot be found out."""
        ...


class LocalWriter:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.origin = str(ledger.state.origin)

    def submit(self, transaction: str) -> dict[str, Any]:
        return self.ledger.submit(transaction).to_json()

    def head(self, did: str) -> str:
        return self.ledger.state.record(did).current.version_id  # type: ignore[arg-type]

    def refused(self, exc: Error) -> bool:
        # The rules refuse before anything is written; a storage failure may come after.
        return not isinstance(exc, StorageError | InternalError)

    def entry_of(self, did: str) -> int | None:
        record = self.ledger.state.dids.get(DID(did))
        seq = None if record is None else record.current.seq
        durable = self.ledger.view.size
        if seq is not None and seq >= durable:
            # An entry is applied to the state before it is written: after a write or sync
            # that failed, the state is ahead of the log, and whether the entry's bytes are in
            # log.dat is known only when the log is opened again.
            raise STORE_FAILED(
                f"entry {seq} was taken in memory but never signed durable (the log was left at"
                f" {durable} entries signed): whether it is in the log is known once the"
                " ledger is opened again"
            )
        return seq


class RemoteWriter:
    def __init__(self, client: LedgerClient) -> None:
        self.client = client
        self.origin = client.origin
        self._refusal: Error | None = None

    def submit(self, transaction: str) -> dict[str, Any]:
        self._refusal = None
        try:
            receipt = self.client.send(transaction)
        except Error as exc:
            if ledger_refusal(exc):
                self._refusal = exc
            raise
        return self.client.confirm(transaction, receipt)

    def head(self, did: str) -> str:
        return str(self.client.resolve(did).metadata["versionId"])

    def refused(self, exc: Error) -> bool:
        return exc is self._refusal

    def entry_of(self, did: str) -> int | None:
        try:
            return self.client.resolve(did).seq
        except Error as exc:
            if DID_NOT_FOUND.matches(exc):  # believed only with its absence proof
                return None
            raise


def ledger_refusal(exc: Error) -> bool:
    """An answer by which the ledger judged a transaction and wrote nothing: a 4xx carrying
    the ledger's own code. A conflict (409: ``tx_replayed``, ``did_exists``) is not one: it
    may be the same transaction, sent twice on the way, already in the log. A 4xx without
    our code is some proxy's page, and 5xx or no answer at all leave the outcome unknown."""
    status = type(exc).http_status
    return 400 <= status < 500 and status != 409 and not HTTP_CODE.fullmatch(exc.code)


def client_trust_file(data_dir: Path) -> Path:
    """Where ``ledger resolve --ledger`` and the governance commands given a ledger's URL keep
    the newest checkpoint they trusted (and its record: ``forget-client-checkpoint``)."""
    return data_dir / "client" / "checkpoint"


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
    client = LedgerClient(url, vkey, trust_file=client_trust_file(data_dir), remember=True)
    try:
        yield RemoteWriter(client)
    finally:
        client.close()
