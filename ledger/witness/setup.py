"""A witness's data directory: its cosigning key (``keys/witness-cosigner.json``, 0600) and
beside it the list of the state files it made (``keys/witness-state-files``), the logs it
follows (``witness.toml``), its state and evidence (``witness/``); creating it once, opening
it, and reading its status while another process serves it.

A key with no list is not a new witness: it may have cosigned, and lost its records (the
whole ``witness/`` directory, say). Starting over from size 0 would let it cosign a fork of
what it cosigned before (C2SP tlog-witness: a witness never rolls back), so it is refused
until the records are restored, or the operator says the witness never cosigned."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Final

from pydantic import ValidationError

from civicid.checkpoint import NoteVerifier
from civicid.cosignature import CosignerKey
from civicid.encoding import b64_decode, b64_encode
from civicid.errors import Error
from civicid.files import read_bounded
from civicid.keystore import KEY_FILE_INVALID, KeyStore
from civicid.times import system_clock
from ledger.witness.errors import (
    WITNESS_EXISTS,
    WITNESS_HAS_RECORDS,
    WITNESS_LOG_EXISTS,
    WITNESS_NOT_INITIALIZED,
    WITNESS_SETTINGS_INVALID,
    WITNESS_STATE_UNREADABLE,
)
from ledger.witness.evidence import EvidenceStore
from ledger.witness.models import WitnessStatus
from ledger.witness.settings import LogSetting, WitnessSettings
from ledger.witness.state import (
    KNOWN_FILE,
    MAX_KNOWN_BYTES,
    NEVER_COSIGNED,
    StateStore,
    durable_write,
    state_files,
)
from ledger.witness.witness import FollowedLog, Witness, witness_status

COSIGNER_KEY: Final = "witness-cosigner"
# Beside the key (module docstring): the list outlives the state directory and its parent.
STATE_LIST: Final = "witness-state-files"


class Paths:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.keys = KeyStore(root / "keys")
        self.state = root / "witness" / "state"
        self.evidence = root / "witness" / "evidence"
        self.state_list = self.keys.directory / STATE_LIST
        # Where witnesses made before the list moved beside the key kept it.
        self.old_state_list = self.state.parent / KNOWN_FILE


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
    # A new witness says so in its list of state files (a key found without one is not).
    durable_write(paths.state_list, NEVER_COSIGNED)
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
    state = open_state(paths)
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
    state = open_state(paths, readonly=True)
    return witness_status(
        key, followed(settings), state, EvidenceStore(paths.evidence, readonly=True)
    )


def never_cosigned(root: Path) -> bool:
    """Say that the witness of ``root`` never cosigned anything: its list of state files says
    so (``NEVER_COSIGNED``), as a witness's does when it is made (module docstring). Refused
    where it has any record or list of records (``witness_has_records``); True if the list was
    written (it was missing or empty), False if it said so already."""
    load_key(root)
    paths = Paths(root)
    records = [p.name for p in state_files(paths.state)]
    if records:
        raise WITNESS_HAS_RECORDS(
            f"{paths.state} holds records of what this witness cosigned ({', '.join(records)})"
            ": it has cosigned; serving it lists them"
        )
    for listed in (paths.state_list, paths.old_state_list):
        if not os.path.lexists(listed):
            continue
        data = read_bounded(
            listed,
            MAX_KNOWN_BYTES,
            too_large=WITNESS_STATE_UNREADABLE,
            unreadable=WITNESS_STATE_UNREADABLE,
            not_regular=WITNESS_STATE_UNREADABLE,
        )
        if data == NEVER_COSIGNED:
            return False  # said already
        if data.split():
            raise WITNESS_HAS_RECORDS(
                f"{listed} lists what this witness cosigned: it has cosigned; restore the "
                "records it names from a backup, or make a new witness (a new key)"
            )
        # Empty: damaged, or the empty list a witness got when made before the list said
        # "never cosigned" in words; the operator now says which.
    durable_write(paths.state_list, NEVER_COSIGNED)
    if os.path.lexists(paths.old_state_list):
        paths.old_state_list.unlink()  # empty: the loop above would have stopped otherwise
    return True


def open_state(paths: Paths, *, readonly: bool = False) -> StateStore:
    """The witness's records, with the list of its state files kept beside its key; a key
    found without that list is refused (``witness_state_unreadable``, module docstring)."""
    listed = paths.state_list
    if not os.path.lexists(listed):  # a link that leads nowhere is damage (StateStore says)
        if paths.old_state_list.exists():  # a witness made before the list moved here
            if readonly:
                listed = paths.old_state_list
            else:
                moved = read_bounded(
                    paths.old_state_list,
                    MAX_KNOWN_BYTES,
                    too_large=WITNESS_STATE_UNREADABLE,
                    unreadable=WITNESS_STATE_UNREADABLE,
                    not_regular=WITNESS_STATE_UNREADABLE,
                )
                durable_write(listed, moved)
                paths.old_state_list.unlink()
        elif not any(paths.state.glob("*.state")):
            # The records of a witness made before the list was kept, without the list,
            # are listed when opened; no records and no list: lost, or never made.
            raise WITNESS_STATE_UNREADABLE(
                f"{listed} is missing: the key {paths.keys.directory / COSIGNER_KEY}.json has "
                f"no record of what it cosigned, and a key with no records is not a new "
                f"witness (its state in {paths.state.parent} lost?); starting over from size 0 "
                f"would cosign a fork: restore {paths.state.parent} and {listed} from a "
                f"backup, or make a new witness (a new key, `civicid witness init`); if this "
                f"witness never cosigned anything, say so: `civicid witness never-cosigned`"
            )
    return StateStore(paths.state, readonly=readonly, known=listed)
