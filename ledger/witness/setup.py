"""A witness's data directory: its cosigning key (``keys/witness-cosigner.json``, 0600), the
logs it follows (``witness.toml``), its state and evidence (``witness/``); creating it once,
opening it, and reading its status while another process serves it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Final

from pydantic import ValidationError

from civicid.checkpoint import NoteVerifier
from civicid.cosignature import CosignerKey
from civicid.encoding import b64_decode, b64_encode
from civicid.errors import Error
from civicid.keystore import KEY_FILE_INVALID, KeyStore
from civicid.times import system_clock
from ledger.witness.errors import (
    WITNESS_EXISTS,
    WITNESS_LOG_EXISTS,
    WITNESS_NOT_INITIALIZED,
    WITNESS_SETTINGS_INVALID,
)
from ledger.witness.evidence import EvidenceStore
from ledger.witness.models import WitnessStatus
from ledger.witness.settings import LogSetting, WitnessSettings
from ledger.witness.state import StateStore
from ledger.witness.witness import FollowedLog, Witness, witness_status

COSIGNER_KEY: Final = "witness-cosigner"


class Paths:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.keys = KeyStore(root / "keys")
        self.state = root / "witness" / "state"
        self.evidence = root / "witness" / "evidence"


def log_setting(vkey: str, origin: str | None = None) -> LogSetting:
    """A followed log from its key; its origin is the key's name unless given (tlog-checkpoint:
    the key name SHOULD match the origin line)."""
    try:
        return LogSetting(origin=origin or NoteVerifier(vkey).name, vkey=vkey)
    except ValidationError as exc:
        problems = "; ".join(str(e["msg"]) for e in exc.errors())
        raise WITNESS_SETTINGS_INVALID(f"the log to follow: {problems}") from exc


def initialize(root: Path, name: str, logs: Iterable[LogSetting] = ()) -> CosignerKey:
    """Create the witness: a new cosigning key named ``name`` and the logs it follows."""
    paths = Paths(root)
    if paths.keys.exists(COSIGNER_KEY) or WitnessSettings.file_in(root).exists():
        # Never over a witness: a new key would disown every cosignature it gave.
        raise WITNESS_EXISTS(f"a witness already exists in {root}")
    key = CosignerKey.generate(name)
    settings = [log.model_dump() for log in logs]
    # Checked before anything is written: a bad log list leaves no half-made witness.
    WitnessSettings(data_dir=root, logs=settings)
    paths.keys.put(
        COSIGNER_KEY, {"name": key.name, "seed": b64_encode(key.seed), "vkey": key.vkey()}
    )
    WitnessSettings.write(root, {"logs": settings})
    return key


def load_key(root: Path) -> CosignerKey:
    keys = Paths(root).keys
    if not keys.exists(COSIGNER_KEY):
        raise WITNESS_NOT_INITIALIZED(f"no witness key in {keys.directory}")
    name, seed = keys.text(COSIGNER_KEY, "name"), keys.text(COSIGNER_KEY, "seed")
    try:
        return CosignerKey(name, b64_decode(seed))
    except Error as exc:
        raise KEY_FILE_INVALID(
            f"key file {keys.directory / COSIGNER_KEY}.json: {exc.message}"
        ) from exc


def followed(settings: WitnessSettings) -> list[FollowedLog]:
    keys: dict[str, list[NoteVerifier]] = {}
    for log in settings.logs:
        keys.setdefault(log.origin, []).append(NoteVerifier(log.vkey))
    return [FollowedLog(origin, tuple(verifiers)) for origin, verifiers in keys.items()]


def add_log(root: Path, log: LogSetting) -> WitnessSettings:
    """Follow one more log key (refused if that key is followed for that origin already)."""
    load_key(root)
    settings = WitnessSettings.load(root)
    if log in settings.logs:
        raise WITNESS_LOG_EXISTS(f"{log.origin} with this key is followed already")
    return settings.save(logs=[*(s.model_dump() for s in settings.logs), log.model_dump()])


def open_witness(settings: WitnessSettings, *, clock: Callable[[], int] = system_clock) -> Witness:
    """The witness of ``settings.data_dir``, holding its state until ``close``."""
    key = load_key(settings.data_dir)
    paths = Paths(settings.data_dir)
    state = StateStore(paths.state)
    try:
        evidence = EvidenceStore(paths.evidence)
    except BaseException:
        state.close()
        raise
    return Witness(key, followed(settings), state, evidence, clock=clock)


def read_status(settings: WitnessSettings) -> WitnessStatus:
    """The status as stored, without taking the state (a server may be holding it)."""
    key = load_key(settings.data_dir)
    paths = Paths(settings.data_dir)
    state = StateStore(paths.state, readonly=True)
    return witness_status(
        key, followed(settings), state, EvidenceStore(paths.evidence, readonly=True)
    )
