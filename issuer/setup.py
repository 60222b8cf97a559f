"""Setting an issuer up: ``init`` binds it to the agency's ledger identity and to credential
configurations the ledger allows (type registered, agency accredited, key in force), then
publishes its first status list; ``add-clerk`` makes a clerk and its API key, ``remove-clerk``
takes one away."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher

from civicid.errors import Error
from civicid.keystore import KeyStore, write_private
from civicid.ledger_client import LedgerClient
from civicid.oid4vci import check_issuer_url
from civicid.times import Clock, system_clock
from civicid.trust import Trust
from civicid.words import counted
from issuer.agency import ledger_client, require_key_in_force
from issuer.clerks import NewClerk, make_clerk
from issuer.errors import (
    CLERK_EXISTS,
    CLERK_NOT_FOUND,
    ISSUER_EXISTS,
    LISTS_ON_LEDGER,
    SETTINGS_INVALID,
    STORE_PRESENT,
)
from issuer.records import AuditEvent, Clerk, ListRecord
from issuer.recovery import Recovered, ledger_lists
from issuer.recovery import recover as rebuild
from issuer.service import Issuer
from issuer.settings import CONFIG_FILE, ConfigurationSettings, IssuerSettings
from issuer.store import DB_FILE, Audit, PutClerk, PutList, RemoveClerk
from issuer.stores import open_store, store_exists


@dataclass(frozen=True, slots=True)
class Initialized:
    settings: IssuerSettings
    did: str
    accreditations: dict[str, str]  # configuration id -> accreditation id
    first_list: ListRecord
    recovered: Recovered | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "did": self.did,
            "publicUrl": self.settings.public_url,
            "ledger": self.settings.ledger_url,
            "configurations": [
                {"id": c.id, "vct": c.vct, "accreditation": self.accreditations[c.id]}
                for c in self.settings.credential_configurations
            ],
            "statusList": self.first_list.to_json(),
            **({"recovery": self.recovered.to_json()} if self.recovered else {}),
        }


def initialize(
    data_dir: Path,
    *,
    configurations: list[ConfigurationSettings],
    force: bool = False,
    recover: bool = False,
    clock: Clock = system_clock,
    client: LedgerClient | None = None,
    **settings: Any,
) -> Initialized:
    """Check everything against the ledger, write ``<data-dir>/issuer.toml``, publish the first
    status list. Refused with the ledger's codes (``credential_type_not_found``,
    ``issuer_not_accredited``, ...); on refusal nothing is left behind. A new store over
    lists the ledger already holds is refused (``issuer_lists_on_ledger``); with ``recover``
    the store is rebuilt from them instead (issuer/recovery.py)."""
    path = data_dir / CONFIG_FILE
    if path.exists() and not force:
        raise ISSUER_EXISTS(f"{path} exists; pass --force to replace it")
    if not configurations:
        raise SETTINGS_INVALID("name at least one credential configuration (--vct)")
    chosen = IssuerSettings.load(
        data_dir, required=False, credential_configurations=configurations, **settings
    )
    try:
        check_issuer_url(chosen.public_url, "public_url")
    except ValueError as exc:
        raise SETTINGS_INVALID(f"{exc} (http only on a loopback host)") from exc
    identity = KeyStore(chosen.keys_dir).identity(chosen.identity)
    own_client = client is None
    client = client or ledger_client(chosen)
    try:
        now = clock()
        trust = Trust(client, clock=clock)
        require_key_in_force(trust, identity, now)
        accreditations: dict[str, str] = {}
        for config in chosen.credential_configurations:
            trust.credential_type(config.vct, now=now)  # credential_type_not_found if absent
            standing = trust.issuer_standing(identity.did, config.vct, now, now=now)
            standing.require()  # issuer_not_accredited, accreditation_revoked, ...
            assert standing.accreditation is not None
            accreditations[config.id] = standing.accreditation
        created_store = not store_exists(chosen)
        where = (
            str(chosen.store_dir / DB_FILE)
            if chosen.database_url is None
            else "the issuer store in the database"
        )
        if recover and not created_store:
            raise STORE_PRESENT(f"{where} exists: nothing to recover")
        if created_store and not recover:
            # A new store over lists already published would republish them all valid (a
            # suspension lifted; a revocation the ledger refuses to clear: no issuer at all).
            found = ledger_lists(trust, chosen.public_url, identity.did, now=now)
            if found:
                raise LISTS_ON_LEDGER(
                    f"the ledger holds {counted(len(found), 'status list', 'status lists')} of "
                    f"{chosen.public_url}: "
                    "if this issuer lost its store, run `civicid issuer recover` "
                    "(`civicid issuer init --recover ...` if issuer.toml is lost too)"
                )
    finally:
        if own_client:
            client.close()
    write_private(path, chosen.to_toml().encode("utf-8"))
    if recover:
        try:
            recovered = rebuild(chosen, clock=clock)
        except Error:
            path.unlink(missing_ok=True)
            raise
        return Initialized(chosen, identity.did, accreditations, recovered.fresh, recovered)
    try:
        issuer = Issuer.open(chosen, clock=clock, create=True)
        try:
            if not issuer.lists.lists:
                record = issuer.lists.new_list(now)
                issuer.store.write([PutList(record)])
            issuer.publish("init")
            current = issuer.lists.current
            assert current is not None
            first = current.record
        finally:
            issuer.close()
    except Error:
        path.unlink(missing_ok=True)
        if created_store and chosen.database_url is None:
            shutil.rmtree(chosen.store_dir, ignore_errors=True)
        raise
    return Initialized(chosen, identity.did, accreditations, first)


def add_clerk(
    settings: IssuerSettings,
    name: str,
    scopes: list[str],
    clock: Clock = system_clock,
    *,
    hasher: PasswordHasher | None = None,
) -> NewClerk:
    """A clerk and its API key (shown once). Works beside a running server: clerks are read
    from the store when a key is first seen."""
    store = open_store(settings, exclusive=False)
    try:
        if any(c.name == name for c in store.clerks()):
            raise CLERK_EXISTS(f"a clerk named {name!r} exists")
        made = make_clerk(name, scopes, clock(), hasher=hasher)
        event = AuditEvent(
            at=clock(),
            actor="cli",
            action="clerk.add",
            subject=made.clerk.id,
            detail={"name": name, "scopes": list(made.clerk.scopes)},
        )
        store.write([PutClerk(made.clerk), Audit(event)])
        return made
    finally:
        store.close()


def remove_clerk(settings: IssuerSettings, name: str, clock: Clock = system_clock) -> Clerk:
    """Take a clerk away: its API key is refused from its next call on, by a running server
    too (a remembered key is checked against the store on every call)."""
    store = open_store(settings, exclusive=False)
    try:
        clerk = next((c for c in store.clerks() if c.name == name), None)
        if clerk is None:
            raise CLERK_NOT_FOUND(f"no clerk named {name!r}")
        event = AuditEvent(
            at=clock(), actor="cli", action="clerk.remove", subject=clerk.id, detail={"name": name}
        )
        store.write([RemoveClerk(clerk.id), Audit(event)])
        return clerk
    finally:
        store.close()


def list_clerks(settings: IssuerSettings) -> list[Clerk]:
    """Every clerk: name, scopes, since when (never a key or its hash)."""
    store = open_store(settings, exclusive=False)
    try:
        return store.clerks()
    finally:
        store.close()
