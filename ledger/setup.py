"""Creating a ledger (genesis) and opening an existing one from a data directory.

Layout: ``<data>/ledger/`` holds the log; ``<data>/keys/`` (0700) holds the checkpoint seed
and the governance identity, each file 0600.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from civicid.checkpoint import NoteSigner
from civicid.encoding import b64_decode, b64_encode
from civicid.errors import Error
from civicid.identity import Identity
from civicid.keystore import KEY_FILE_INVALID, KeyStore
from ledger import snapshot as snapshots
from ledger.errors import LEDGER_EXISTS
from ledger.log import Ledger
from ledger.pg_store import PgLogStore
from ledger.sequencer import Reader, open_sequencer
from ledger.startup import Progress
from ledger.store import FILES, lost_log, rolled_back

DEFAULT_ORIGIN: Final = "civicid.example/ledger"
CHECKPOINT_KEY: Final = "ledger-checkpoint"
GOVERNANCE_KEY: Final = "governance"


@dataclass(frozen=True, slots=True)
class Paths:
    root: Path

    @property
    def log(self) -> Path:
        return self.root / "ledger"

    @property
    def tiles(self) -> Path:
        """The log as C2SP tlog-tiles (ledger/tiles.py), for any static web server."""
        return self.root / "tiles"

    @property
    def keys(self) -> KeyStore:
        return KeyStore(self.root / "keys")


def load_signer(paths: Paths) -> NoteSigner:
    keys = paths.keys
    name, seed = keys.text(CHECKPOINT_KEY, "name"), keys.text(CHECKPOINT_KEY, "seed")
    try:
        return NoteSigner(name, b64_decode(seed))
    except Error as exc:
        raise KEY_FILE_INVALID(
            f"key file {keys.directory / CHECKPOINT_KEY}.json: {exc.message}"
        ) from exc


def load_governance(paths: Paths) -> Identity:
    return paths.keys.identity(GOVERNANCE_KEY)


@dataclass(frozen=True, slots=True)
class Genesis:
    origin: str
    governance: Identity
    vkey: str


def initialize(
    root: Path,
    *,
    origin: str = DEFAULT_ORIGIN,
    clock: Callable[[], float] = time.time,
    database_url: str | None = None,
) -> Genesis:
    """Genesis: a checkpoint key, a governance DID, and the first entry; refuses to run twice.
    With ``database_url`` the log is kept in that PostgreSQL database (the keys stay here)."""
    paths = Paths(root)
    present = [] if database_url else [name for name in FILES if (paths.log / name).exists()]
    present += [f"keys/{k}.json" for k in (CHECKPOINT_KEY, GOVERNANCE_KEY) if paths.keys.exists(k)]
    if present:
        # Never over a store or its keys: a second genesis would orphan every entry signed.
        raise LEDGER_EXISTS(
            f"{root} already holds a ledger ({', '.join(present)}); choose an empty data dir"
        )
    signer = NoteSigner.generate(origin)
    governance = Identity.create()
    keys = paths.keys
    # Before any key is written: a database already holding a ledger is refused.
    opened = None if database_url is None else _new_in_database(database_url, signer, clock)
    keys.put(
        CHECKPOINT_KEY,
        {"name": signer.name, "seed": b64_encode(signer.seed), "vkey": signer.vkey()},
    )
    keys.put(GOVERNANCE_KEY, governance.to_json())
    ledger = opened or Ledger.open(paths.log, signer, create=True, clock=clock)
    try:
        ledger.submit_genesis(
            governance.genesis(origin=origin, checkpoint_key=signer.vkey(), now=int(clock()))
        )
    finally:
        ledger.close()
    return Genesis(origin, governance, signer.vkey())


def _new_in_database(url: str, signer: NoteSigner, clock: Callable[[], float]) -> Ledger:
    """An empty log in the database at ``url`` (its tables made if need be), as sequencer;
    ``ledger_exists`` if it already holds entries."""
    store = PgLogStore(url)
    try:
        if store.size:
            raise LEDGER_EXISTS(f"the database at {store.where} already holds a ledger")
        return Ledger(store, signer, clock=clock, snapshot=store.snapshot)
    except BaseException:
        store.close()
        raise


def open_ledger(
    root: Path,
    *,
    readonly: bool = False,
    clock: Callable[[], float] = time.time,
    progress: Progress | None = None,
    database_url: str | None = None,
    wait: float = 0.0,
) -> Ledger:
    """The ledger of ``root`` (its files), or with ``database_url`` the sequencer of the
    log in that database (``readonly``: a reader; ``wait``: seconds to wait for a live
    sequencer to stop)."""
    paths = Paths(root)
    if database_url is not None:
        if readonly:
            return Reader(database_url, progress=progress)
        return open_sequencer(
            database_url, load_signer(paths), wait=wait, clock=clock, progress=progress
        )
    if not os.path.lexists(paths.log / "log.dat"):
        # No ledger here, or a store that lost its log (``store_truncated``), never "init".
        raise lost_log(paths.log, root)
    # The operator's key signs checkpoints of what this process sees, read-only or not.
    signer = load_signer(paths) if paths.keys.exists(CHECKPOINT_KEY) else None
    if signer is not None and _empty(paths.log / "log.dat"):
        _check_log_not_lost(paths, signer)  # before the store makes its files match
    ledger = Ledger.open(paths.log, signer, readonly=readonly, clock=clock, progress=progress)
    if ledger.size == 0 and signer is not None:
        try:  # a log that held no whole record (its first one torn) is as good as empty
            _check_log_not_lost(paths, signer)
        except BaseException:
            ledger.close()
            raise
    return ledger


def _empty(path: Path) -> bool:
    """A regular file holding nothing; anything else (a pipe reads size 0) the store names."""
    try:
        found = path.stat()
    except OSError:
        return False  # the store names what is wrong with it
    return stat.S_ISREG(found.st_mode) and found.st_size == 0


def _check_log_not_lost(paths: Paths, signer: NoteSigner) -> None:
    """An empty log beside a snapshot this ledger signed of more is a lost log, not a new
    one: both copies of its last checkpoint gone too, the snapshot is the one witness left
    (start-up holds a log to it only once a genesis names the key). Refused, the snapshot
    kept: opening empty would let a second genesis fork what was acknowledged."""
    snapshot = paths.log / snapshots.FILE
    signed = snapshots.signed_size(snapshot, vkey=signer.vkey(), origin=signer.name)
    if signed:
        raise rolled_back(0, signed, snapshot.name)
