"""A live ledger on loopback for the wallet's protocol tests: governance, an accredited
agency with a registered national-ID type and a published status list, and a service desk
accredited for a few claims of it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from civicid import transaction as tx
from civicid.accreditation import grant_body
from civicid.identity import Identity
from civicid.ledger_client import LedgerClient
from civicid.names import names_service
from civicid.status_list import IndexAllocator, StatusList, build_token
from civicid.status_uri import status_service
from cli.harness import free_port, serving

NATIONAL_ID: Final = "https://civicid.example/vct/national-id"
OTHER_TYPE: Final = "https://civicid.example/vct/library-card"
STATUS_URI: Final = "https://agency.civicid.example/status/1"
LIST_SIZE: Final = 10_000
# What the agency and the desk call themselves on the ledger (governance endorsed it).
AGENCY_NAMES: Final = {"en": "Civil Registry", "fr": "État civil"}
DESK_NAMES: Final = {"en": "Town hall desk"}
DESK_CLAIMS: Final = ["given_name", "family_name", "resident", "age_equal_or_over.18"]
CLAIMS: Final[dict[str, Any]] = {
    "given_name": "Ada",
    "family_name": "Lovelace",
    "birthdate": "1990-12-10",
    "address": {"street_address": "12 Rue de la Paix", "locality": "Lyon", "country": "FR"},
    "nationalities": ["FR", "GB"],
    "resident": True,
    "age_equal_or_over": {"18": True, "65": False},
}
DISCLOSABLE: Final = [
    ("given_name",),
    ("family_name",),
    ("birthdate",),
    ("address",),
    ("address", "street_address"),
    ("address", "locality"),
    ("address", "country"),
    ("nationalities", None),
    ("resident",),
    ("age_equal_or_over", "18"),
    ("age_equal_or_over", "65"),
]


def type_body(vct: str = NATIONAL_ID) -> dict[str, Any]:
    labels = {
        "given_name": "Given name",
        "family_name": "Family name",
        "birthdate": "Date of birth",
        "resident": "Resident",
    }
    claims = [
        {"path": [name], "sd": "always", "display": [{"locale": "en-GB", "label": label}]}
        for name, label in labels.items()
    ]
    claims.append(
        {
            "path": ["age_equal_or_over", "18"],
            "sd": "always",
            "display": [{"locale": "en-GB", "label": "18 or over"}],
        }
    )
    metadata = {
        "vct": vct,
        "name": "National identity credential",
        "display": [{"locale": "en-GB", "name": "National ID"}],
        "claims": [*claims, {"path": ["iss"], "sd": "never"}],
    }
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"}
    return {"vct": vct, "metadata": metadata, "schema": schema}


@dataclass
class LedgerWorld:
    root: Path
    url: str
    vkey: str
    origin: str
    governance: Identity
    client: LedgerClient
    agency: Identity
    desk: Identity
    status_list: StatusList
    allocator: IndexAllocator
    notes: dict[str, Any] = field(default_factory=dict)
    # The agency's issuer (the test stub) listens here, an address its DID names.
    issuer_port: int = field(default_factory=free_port)

    def sign(self, who: Identity, tx_type: str, body: dict[str, Any]) -> str:
        return who.sign(tx_type, body, ledger=self.origin)

    def register(
        self, role: str, bases: tuple[str, ...] = (), names: dict[str, str] | None = None
    ) -> Identity:
        """A DID registered with ``role``; an agency's document names ``bases``: the base
        URLs its status lists and its issuer live under (``civicid/status_uri.py``), and
        its display ``names`` (``civicid/names.py``)."""
        services = [status_service(url, f"base-{n}") for n, url in enumerate(bases)]
        if names:
            services.append(names_service(names))
        who = Identity.create(services=services or None)
        endorsement = self.governance.endorse(who.did, role, ledger=self.origin)
        self.client.submit(who.create_tx(role=role, endorsement=endorsement, ledger=self.origin))
        return who

    def accredit(
        self,
        who: Identity,
        *,
        vcts: list[str] | None = None,
        claims: dict[str, list[str]] | None = None,
    ) -> str:
        now = int(time.time())
        body = grant_body(
            who.did,
            credential_types=vcts,
            claims=claims,
            valid_from=now - 60,
            valid_until=now + 365 * 86400,
            purpose="Check identity and residence at the town hall desk"
            if claims
            else "Issue national identity credentials",
            legal_basis="Digital Identity Act 2026, s. 12",
        )
        self.client.submit(self.sign(self.governance, tx.ACCREDITATION_GRANT, body))
        return str(body["accreditation"])

    def publish(self, uri: str = STATUS_URI, who: Identity | None = None) -> None:
        who = who or self.agency
        now = int(time.time())
        token = build_token(
            key=who.key,
            kid=who.kid,
            sub=uri,
            status_list=self.status_list,
            iat=now,
            exp=now + 86400,
            ttl=3600,
        )
        self.client.submit(self.sign(who, tx.STATUS_LIST, {"uri": uri, "token": token}))


# Where the world's agency says it is: its status lists, and its issuer on loopback and
# in-process; an issuer anywhere else is not the agency, whatever DID it names.
STATUS_BASE: Final = "https://agency.civicid.example"
IN_PROCESS_ISSUER: Final = "https://agency.in-process.example"


def agency_bases(issuer_port: int) -> tuple[str, ...]:
    return (STATUS_BASE, f"http://127.0.0.1:{issuer_port}", IN_PROCESS_ISSUER)


@contextmanager
def live_ledger(root: Path) -> Iterator[LedgerWorld]:
    from ledger.app import create_app
    from ledger.settings import LedgerSettings
    from ledger.setup import initialize

    genesis = initialize(root)
    with serving(create_app(LedgerSettings(data_dir=root)), free_port()) as url:
        client = LedgerClient(url, genesis.vkey)
        world = LedgerWorld(
            root=root,
            url=url,
            vkey=genesis.vkey,
            origin=genesis.origin,
            governance=genesis.governance,
            client=client,
            agency=Identity.create(),
            desk=Identity.create(),
            status_list=StatusList(LIST_SIZE, 2),
            allocator=IndexAllocator(LIST_SIZE),
        )
        world.agency = world.register("agency", agency_bases(world.issuer_port), AGENCY_NAMES)
        world.desk = world.register("service-desk", names=DESK_NAMES)
        world.accredit(world.agency, vcts=[NATIONAL_ID])
        world.accredit(world.desk, claims={NATIONAL_ID: list(DESK_CLAIMS)})
        world.client.submit(world.sign(world.agency, tx.CREDENTIAL_TYPE, type_body()))
        world.publish()
        try:
            yield world
        finally:
            client.close()
