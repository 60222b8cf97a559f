"""Setting a desk up, all or nothing: ``init`` stages the policies beside their directory,
opens the desk on them (its identity, the ledger, every policy accredited, its store), and
only then swaps them in and writes ``verifier.toml``. A failure at any step leaves the data
directory as it was: no settings file, no half-installed policies, no store it created."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import httpx

from civicid.files import listed
from civicid.ledger_client import kept_policy_file, trusted_record_file
from civicid.times import Clock, system_clock
from verifier.errors import POLICY_INVALID, VERIFIER_INIT_FAILED
from verifier.policy import POLICY_FILES, load_policy, record_installed
from verifier.service import Verifier
from verifier.settings import CONFIG_FILE, VerifierSettings

# SQLite's companions of the store (WAL mode): created with it, removed with it.
STORE_COMPANIONS: Final = ("-wal", "-shm")


@dataclass(frozen=True, slots=True)
class Initialized:
    settings: VerifierSettings
    did: str
    policies: tuple[str, ...]  # the names of the policies installed by this init

    @property
    def config(self) -> Path:
        return self.settings.data_dir / CONFIG_FILE

    def to_json(self) -> dict[str, Any]:
        return {
            "desk": self.did,
            "ledger": self.settings.ledger_url,
            "policies": list(self.policies),
            "config": str(self.config),
        }


def policy_files(source: Path) -> list[Path]:
    """The policy files of ``source``: one that cannot be read (missing, a file, another
    user's) is said as such, naming it, never as a directory with no policies."""
    found = listed(source, POLICY_FILES, unreadable=POLICY_INVALID)
    if not found:
        raise POLICY_INVALID(f"no policy files ({POLICY_FILES}) in {source}")
    return found


def initialize(
    settings: VerifierSettings,
    source: Path,
    *,
    clock: Clock = system_clock,
    ledger_transport: httpx.BaseTransport | None = None,
) -> Initialized:
    """Install the policies of ``source`` (beside those the desk has) and bind the data dir
    to the desk and ledger of ``settings``; every step checked before anything is kept."""
    # 1. Every policy file reads as a policy (nothing written yet).
    found = policy_files(source)
    names = tuple(load_policy(path).name for path in found)
    target = settings.policies_path
    with undone_on_failure(settings) as created:
        # 2. The policies staged beside their directory: what it holds, then the new ones.
        staging = sibling(target, "new")
        created.append(staging)
        try:
            shutil.rmtree(staging, ignore_errors=True)  # what an init killed midway left
            staging.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if target.is_dir():
                shutil.copytree(target, staging, symlinks=True)  # all it holds, kept
            else:
                staging.mkdir(mode=0o700)
            for path in found:
                shutil.copy(path, staging / path.name)
            # Every policy the directory will hold is one installed: one gone later was lost.
            record_installed(staging)
        except OSError as exc:
            raise VERIFIER_INIT_FAILED(f"cannot stage the policies: {exc}") from exc
        # 3. The desk opened on them: its identity, the ledger, every policy accredited for
        #    what it asks, its store.
        try:
            verifier = Verifier.open(
                settings.model_copy(update={"policies_dir": staging}),
                clock=clock,
                ledger_transport=ledger_transport,
            )
        except OSError as exc:
            raise VERIFIER_INIT_FAILED(f"cannot open the desk: {exc}") from exc
        did = verifier.desk.did
        verifier.close()
        # 4. The staged policies swapped in, then the settings written; each undone if the
        #    next fails.
        install(staging, target, settings.rewrite)
    return Initialized(settings=settings, did=did, policies=names)


def sibling(path: Path, role: str) -> Path:
    return path.with_name(f".{path.name}.{role}")


def install(staging: Path, target: Path, then: Callable[[], object]) -> None:
    """Rename ``staging`` to ``target`` (the old one kept aside until ``then`` succeeded)."""
    old = sibling(target, "old")
    shutil.rmtree(old, ignore_errors=True)
    had_target = target.exists()
    try:
        if had_target:
            target.rename(old)
        staging.rename(target)
    except OSError as exc:
        if had_target and old.exists() and not target.exists():
            old.rename(target)
        raise VERIFIER_INIT_FAILED(f"cannot install the policies in {target}: {exc}") from exc
    try:
        then()
    except BaseException as exc:
        shutil.rmtree(target, ignore_errors=True)
        if had_target:
            old.rename(target)
        if isinstance(exc, OSError):
            raise VERIFIER_INIT_FAILED(f"cannot write the settings: {exc}") from exc
        raise
    shutil.rmtree(old, ignore_errors=True)


@contextmanager
def undone_on_failure(settings: VerifierSettings) -> Iterator[list[Path]]:
    """Remove, if the body fails, what it created: the paths it appends to the list, and
    the desk's directory, store and trusted checkpoint if they did not exist before."""
    store = settings.store_path
    watched = [
        settings.home,
        store,
        *(store.with_name(store.name + suffix) for suffix in STORE_COMPANIONS),
        settings.trust_file,
        kept_policy_file(settings.trust_file),
        trusted_record_file(settings.trust_file),
        settings.data_dir / CONFIG_FILE,
    ]
    absent = [path for path in watched if not path.exists()]
    created: list[Path] = []
    try:
        yield created
    except BaseException:
        for path in [*created, *absent]:
            remove(path)
        raise


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
