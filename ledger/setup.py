"""Creating a ledger (genesis) and opening an existing one from a data directory.

Layout: ``<data>/ledger/`` holds the log; ``<data>/keys/`` (0700) holds the checkpoint seed
and the governance identity, each file 0600.
"""

from __future__ import annotations

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
from ledger.errors import LEDGER_EXISTS, LEDGER_NOT_INITIALIZED
from ledger.log import Ledger
from ledger.startup import Progress
from ledger.store import FILES

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
    root: Path, *, origin: str = DEFAULT_ORIGIN, clock: Callable[[], float] = time.time
) -> Genesis:
    """Genesis: a checkpoint key, a governance DID, and the first entry; refuses to run twice."""
    paths = Paths(root)
    present = [name for name in FILES if (paths.log / name).exists()]
    present += [f"keys/{k}.json" for k in (CHECKPOINT_KEY, GOVERNANCE_KEY) if paths.keys.exists(k)]
    if present:
        # Never over a store or its keys: a second genesis would orphan every entry signed.
        raise LEDGER_EXISTS(
            f"{root} already holds a ledger ({', '.join(present)}); choose an empty data dir"
        )
    signer = NoteSigner.generate(origin)
    governance = Identity.create()
    keys = paths.keys
    keys.put(
        CHECKPOINT_KEY,
        {"name": signer.name, "seed": b64_encode(signer.seed), "vkey": signer.vkey()},
    )
    keys.put(GOVERNANCE_KEY, governance.to_json())
    ledger = Ledger.open(paths.log, signer, create=True, clock=clock)
    try:
        ledger.submit_genesis(
            governance.genesis(origin=origin, checkpoint_key=signer.vkey(), now=int(clock()))
        )
    finally:
        ledger.close()
    return Genesis(origin, governance, signer.vkey())


def open_ledger(
    root: Path,
    *,
    readonly: bool = False,
    clock: Callable[[], float] = time.time,
    progress: Progress | None = None,
) -> Ledger:
    paths = Paths(root)
    if not (paths.log / "log.dat").exists():
        raise LEDGER_NOT_INITIALIZED(f"no ledger in {root}; run `civicid ledger init`")
    # The operator's key signs checkpoints of what this process sees, read-only or not.
    signer = load_signer(paths) if paths.keys.exists(CHECKPOINT_KEY) else None
    return Ledger.open(paths.log, signer, readonly=readonly, clock=clock, progress=progress)
