"""Issuer fixtures: a real ledger on loopback (one per module) with an accredited agency and
the demo's national-ID type, and a fresh issuer (data dir, store, clerks) per test."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher, profiles

from civicid import transaction as tx
from civicid.accreditation import grant_body, revocation_body
from civicid.errors import Error
from civicid.identity import Identity
from civicid.keystore import KeyStore
from civicid.ledger_client import LedgerClient
from civicid.status_uri import status_service
from cli.harness import free_port, serving
from issuer.service import Issuer
from issuer.settings import ConfigurationSettings, IssuerSettings
from issuer.setup import add_clerk, initialize
from issuer.store import IssuerStore
from ledger.app import create_app
from ledger.settings import LedgerSettings
from ledger.setup import initialize as ledger_init

ROOT = Path(__file__).parents[2]
# Argon2 at its cheapest: a test makes and checks keys by the dozen (production keeps the
# RFC 9106 default, ~0.4 s a check here, remembered after the first).
FAST = PasswordHasher.from_parameters(profiles.CHEAPEST)
TYPES = ROOT / "examples" / "types"
NATIONAL_ID = "https://civicid.example/vct/national-id"
UNREGISTERED = "https://civicid.example/vct/unregistered"
CONFIG = "national_id"


def load_type(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    metadata = json.loads((TYPES / f"{name}.metadata.json").read_text("utf-8"))
    schema = json.loads((TYPES / f"{name}.schema.json").read_text("utf-8"))
    return metadata, schema


def sample_claims() -> dict[str, Any]:
    claims: dict[str, Any] = json.loads((TYPES / "national-id.claims.json").read_text("utf-8"))
    return claims


class Clock:
    """Real time plus an offset tests can move (the ledger allows a few minutes of skew)."""

    def __init__(self) -> None:
        self.offset = 0

    def __call__(self) -> int:
        return int(time.time()) + self.offset


@dataclass
class LedgerWorld:
    root: Path
    url: str
    vkey: str
    origin: str
    governance: Identity
    client: LedgerClient

    def submit(self, who: Identity, tx_type: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.client.submit(who.sign(tx_type, body, ledger=self.origin))

    def register(self, role: str = "agency", base_url: str | None = None) -> Identity:
        # An agency's document names the base URL its status lists live under.
        who = Identity.create(services=[status_service(base_url)] if base_url else None)
        endorsement = self.governance.endorse(who.did, role, ledger=self.origin)
        self.client.submit(who.create_tx(role=role, endorsement=endorsement, ledger=self.origin))
        return who

    def accredit(self, who: Identity, vcts: list[str]) -> str:
        now = int(time.time())
        body = grant_body(
            who.did,
            credential_types=vcts,
            valid_from=now - 60,
            valid_until=now + 365 * 86400,
            purpose="Issue national identity credentials",
            legal_basis="Digital Identity Act 2026, s. 12",
        )
        self.submit(self.governance, tx.ACCREDITATION_GRANT, body)
        return str(body["accreditation"])

    def revoke_accreditation(self, accreditation: str) -> None:
        body = revocation_body(accreditation, "audit found irregularities")
        self.submit(self.governance, tx.ACCREDITATION_REVOKE, body)

    def register_type(self, who: Identity, name: str = "national-id") -> None:
        metadata, schema = load_type(name)
        body = {"vct": metadata["vct"], "metadata": metadata, "schema": schema}
        self.submit(who, tx.CREDENTIAL_TYPE, body)

    def agency(self, base_url: str | None = None) -> tuple[Identity, str]:
        """A fresh agency accredited for the national ID (and a type nobody registered)."""
        who = self.register("agency", base_url)
        return who, self.accredit(who, [NATIONAL_ID, UNREGISTERED])


@pytest.fixture(scope="module")
def ledger_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LedgerWorld]:
    root = tmp_path_factory.mktemp("ledger")
    genesis = ledger_init(root)
    with serving(create_app(LedgerSettings(data_dir=root)), free_port()) as url:
        client = LedgerClient(url, genesis.vkey)
        world = LedgerWorld(root, url, genesis.vkey, genesis.origin, genesis.governance, client)
        registry, _ = world.agency()  # the civil registry registers the type, and owns it
        world.register_type(registry)
        yield world
        client.close()


@dataclass
class Env:
    data_dir: Path
    settings: IssuerSettings
    issuer: Issuer
    agency: Identity
    accreditation: str
    world: LedgerWorld
    clock: Clock
    keys: dict[str, str]  # clerk name -> API key

    @property
    def store(self) -> IssuerStore:
        return self.issuer.store

    def clerk(self, name: str = "alice") -> Any:
        return self.issuer.keyring.authenticate(self.keys[name])

    def reopen(self) -> Issuer:
        self.issuer.close()
        self.issuer = Issuer.open(self.settings, clock=self.clock)
        return self.issuer


def make_env(tmp_path: Path, world: LedgerWorld, clock: Clock, **settings: Any) -> Env:
    public_url = f"https://issuer-{secrets.token_hex(4)}.example"
    agency, accreditation = world.agency(public_url)
    KeyStore(tmp_path / "keys").put("agency", agency.to_json())
    configurations = settings.pop(
        "configurations", [ConfigurationSettings(id=CONFIG, vct=NATIONAL_ID, batch_size=3)]
    )
    initialized = initialize(
        tmp_path,
        configurations=configurations,
        public_url=public_url,
        ledger_url=world.url,
        checkpoint_key=world.vkey,
        identity="agency",
        clock=clock,
        **{"status_list_size": 1024, **settings},
    )
    keys = {}
    for name, scopes in (
        ("alice", ["issue", "revoke"]),
        ("bob", ["issue"]),
        ("root", ["admin"]),
    ):
        keys[name] = add_clerk(initialized.settings, name, scopes, clock, hasher=FAST).api_key
    issuer = Issuer.open(initialized.settings, clock=clock)
    return Env(tmp_path, initialized.settings, issuer, agency, accreditation, world, clock, keys)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def env(tmp_path: Path, ledger_world: LedgerWorld, clock: Clock) -> Iterator[Env]:
    made = make_env(tmp_path, ledger_world, clock)
    yield made
    made.issuer.close()


def state(env: Env) -> dict[str, Any]:
    """Everything a refusal must leave as it was (the audit log, which records refusals of
    staff calls, apart)."""
    store = env.store
    counts = store.counts()
    counts.pop("audit")
    return {
        "counts": counts,
        "offers": [
            (o.id, o.state, o.attempts, o.fetched, o.token_hash, o.claims is None)
            for o in store.offers(record=None, limit=100_000, offset=0)
        ],
        "issued": [
            (i.id, i.status)
            for i in store.issued_list(record=None, status=None, limit=100_000, offset=0)
        ],
        "lists": [(r.number, r.published_seq) for r in store.lists()],
        "versions": {n: s.version for n, s in env.issuer.lists.lists.items()},
        "allocated": {n: s.allocator.allocated for n, s in env.issuer.lists.lists.items()},
    }


def refused(env: Env, fn: Callable[[], object], code: str) -> Error:
    """``fn`` fails with ``code`` and changes nothing."""
    before = state(env)
    with pytest.raises(Error) as caught:
        fn()
    assert caught.value.code == code, caught.value
    assert state(env) == before
    return caught.value
