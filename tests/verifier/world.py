"""A ledger with an accredited agency and desk, credentials, a holder, and a desk ready to
check them: what every verifier test starts from.

The ledger runs in-process (its ASGI app through Starlette's TestClient, which is an httpx
client) or on loopback; its clock and the desk's are fixed and moved by the test.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import httpx
from fastapi.testclient import TestClient

from civicid import sdjwt
from civicid import transaction as tx
from civicid.accreditation import grant_body
from civicid.dcql import ClaimPath
from civicid.errors import Error
from civicid.identity import Identity
from civicid.jose import PrivateKey
from civicid.keystore import KeyStore
from civicid.names import names_service
from civicid.oid4vp import AuthorizationRequest, parse_link, verify_request_object
from civicid.status_list import STATUS_INVALID, STATUS_SUSPENDED, StatusList, build_token
from civicid.status_uri import status_service
from ledger.app import create_app as ledger_app
from ledger.log import Ledger
from ledger.settings import LedgerSettings
from ledger.setup import Genesis, initialize, open_ledger
from verifier.service import Verifier
from verifier.settings import VerifierSettings

NOW: Final = 1_780_000_000
DAY: Final = 86400
NATIONAL_ID: Final = "https://civicid.example/vct/national-id"
BENEFIT: Final = "https://civicid.example/vct/benefit-eligibility"
LIST_URI: Final = "https://agency.civicid.example/status/1"
EXAMPLES: Final = Path(__file__).parents[2] / "examples" / "policies"
REVOKED: Final = 3
SUSPENDED: Final = 5
# The desk's display names on the ledger (civicid/names.py).
DESK_NAMES: Final = {"en": "Cadur town hall desk", "fr": "Guichet de la mairie de Cadur"}
DESK_CLAIMS: Final = [
    "given_name",
    "family_name",
    "birthdate",
    "resident",
    "age_equal_or_over.18",
    "age_equal_or_over.21",
]
CLAIMS: Final[dict[str, Any]] = {
    "given_name": "Erika",
    "family_name": "Mustermann",
    "birthdate": "1990-04-12",
    "resident": True,
    "age_equal_or_over": {"18": True, "21": True, "65": False},
}
DISCLOSABLE: Final[list[ClaimPath]] = [
    ("given_name",),
    ("family_name",),
    ("birthdate",),
    ("resident",),
    ("age_equal_or_over", "18"),
    ("age_equal_or_over", "21"),
    ("age_equal_or_over", "65"),
]
# As the real issuer makes them: a nested claim's parent object is a Disclosure too.
NESTED_PARENT: Final[list[ClaimPath]] = [*DISCLOSABLE, ("age_equal_or_over",)]
HOUSING: Final[list[ClaimPath]] = [("resident",), ("age_equal_or_over", "18")]


class Clock:
    def __init__(self, now: int = NOW) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def type_body(vct: str = NATIONAL_ID) -> dict[str, Any]:
    claims = [{"path": list(p), "sd": "always"} for p in DISCLOSABLE]
    metadata = {
        "vct": vct,
        "name": "National identity credential",
        "display": [{"locale": "en-GB", "name": "National ID"}],
        "claims": [*claims, {"path": ["iss"], "sd": "never"}],
    }
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "given_name": {"type": "string"},
            "family_name": {"type": "string"},
            "birthdate": {"type": "string", "format": "date"},
            "resident": {"type": "boolean"},
            "age_equal_or_over": {
                "type": "object",
                "additionalProperties": {"type": "boolean"},
            },
        },
        "required": ["given_name", "family_name", "birthdate"],
    }
    return {"vct": vct, "metadata": metadata, "schema": schema}


@dataclass
class World:
    root: Path
    genesis: Genesis
    ledger: Ledger
    clock: Clock
    agency: Identity = field(init=False)
    desk: Identity = field(init=False)
    holder: PrivateKey = field(default_factory=PrivateKey.generate)
    status: StatusList = field(default_factory=lambda: StatusList(1000, 2))
    lists: set[str] = field(default_factory=set)  # other agencies' own lists, published

    @property
    def origin(self) -> str:
        return self.genesis.origin

    def submit(
        self, who: Identity, tx_type: str, body: dict[str, Any], now: int | None = None
    ) -> int:
        text = who.sign(
            tx_type, body, ledger=self.origin, now=self.clock.now if now is None else now
        )
        return self.ledger.submit(text).seq

    def register(
        self, role: str, *, prerotate: bool = False, names: dict[str, str] | None = None
    ) -> Identity:
        # An agency's document names the base URL its status lists (LIST_URI) live under;
        # a body its display names.
        services = [status_service("https://agency.civicid.example")] if role == "agency" else []
        if names:
            services.append(names_service(names))
        who = Identity.create(prerotate=prerotate, services=services or None)
        endorsement = self.genesis.governance.endorse(
            who.did, role, ledger=self.origin, now=self.clock.now
        )
        self.ledger.submit(
            who.create_tx(
                role=role, endorsement=endorsement, ledger=self.origin, now=self.clock.now
            )
        )
        return who

    def accredit(
        self,
        who: Identity,
        *,
        vcts: list[str] | None = None,
        claims: dict[str, list[str]] | None = None,
        valid_from: int | None = None,
        days: int = 365,
    ) -> str:
        start = self.clock.now if valid_from is None else valid_from
        body = grant_body(
            who.did,
            credential_types=vcts,
            claims=claims,
            valid_from=start,
            valid_until=start + days * DAY,
            purpose="Test purpose",
            legal_basis="Test Act, s. 1",
        )
        self.submit(self.genesis.governance, tx.ACCREDITATION_GRANT, body)
        return str(body["accreditation"])

    def revoke_accreditation(self, accreditation: str) -> None:
        self.submit(
            self.genesis.governance,
            tx.ACCREDITATION_REVOKE,
            {"accreditation": accreditation, "reason": "test revocation"},
        )

    def publish_status(
        self, who: Identity | None = None, *, ttl: int | None = 3600, exp: int | None = None
    ) -> int:
        signer = who or self.agency
        token = build_token(
            key=signer.key,
            kid=signer.kid,
            sub=LIST_URI,
            status_list=self.status,
            iat=self.clock.now,
            exp=exp,
            ttl=ttl,
        )
        return self.submit(signer, tx.STATUS_LIST, {"uri": LIST_URI, "token": token})

    def own_list(self, who: Identity) -> str:
        """The URI of an all-valid list of ``who``'s own (published the first time asked)."""
        uri = f"https://agency.civicid.example/status/{who.did.rsplit(':', 1)[-1]}"
        if uri not in self.lists:
            token = build_token(
                key=who.key, kid=who.kid, sub=uri, status_list=StatusList(1000, 2),
                iat=self.clock.now, exp=None, ttl=3600,
            )  # fmt: skip
            # Not an agency the ledger lets publish: its credential points at no list.
            with contextlib.suppress(Error):
                self.submit(who, tx.STATUS_LIST, {"uri": uri, "token": token})
            self.lists.add(uri)
        return uri

    def credential(
        self,
        *,
        issuer: Identity | None = None,
        claims: dict[str, Any] | None = None,
        iat: int | None = None,
        index: int = 7,
        vct: str = NATIONAL_ID,
        holder: PrivateKey | None = None,
        status: dict[str, Any] | None = None,
        with_status: bool = True,
        disclosable: list[ClaimPath] | None = None,
        **extra: Any,
    ) -> str:
        who = issuer or self.agency
        if status is None and who is not self.agency:
            # A list must be its credential's issuer's own: another agency gets one.
            status = {"status_list": {"idx": index, "uri": self.own_list(who)}}
        return sdjwt.issue(
            issuer_key=who.key,
            kid=who.kid,
            iss=who.did,
            claims=dict(CLAIMS if claims is None else claims),
            disclosable=DISCLOSABLE if disclosable is None else disclosable,
            iat=self.clock.now if iat is None else iat,
            vct=vct,
            exp=extra.pop("exp", self.clock.now + 3650 * DAY),
            cnf_jwk=(holder or self.holder).public.to_jwk(),
            status=(status or {"status_list": {"idx": index, "uri": LIST_URI}})
            if with_status
            else None,
            **extra,
        )

    def present(
        self,
        credential: str,
        *,
        nonce: str,
        aud: str,
        disclose: list[ClaimPath] | None = None,
        iat: int | None = None,
        holder: PrivateKey | None = None,
    ) -> str:
        return sdjwt.present(
            credential,
            disclose=HOUSING if disclose is None else disclose,
            holder_key=holder or self.holder,
            nonce=nonce,
            aud=aud,
            iat=self.clock.now if iat is None else iat,
        )


def build_world(root: Path, clock: Clock) -> World:
    genesis = initialize(root, clock=clock)
    ledger = open_ledger(root, clock=clock)
    world = World(root, genesis, ledger, clock)
    world.agency = world.register("agency")
    world.desk = world.register("service-desk", names=DESK_NAMES)
    world.accredit(world.agency, vcts=[NATIONAL_ID, BENEFIT])
    world.accredit(world.desk, claims={NATIONAL_ID: DESK_CLAIMS})
    world.submit(world.agency, tx.CREDENTIAL_TYPE, type_body())
    world.status.set(REVOKED, STATUS_INVALID)
    world.status.set(SUSPENDED, STATUS_SUSPENDED)
    world.publish_status()
    KeyStore(root / "keys").put("desk", world.desk.to_json())
    (root / "verifier" / "policies").mkdir(parents=True)
    for path in EXAMPLES.glob("*.toml"):
        shutil.copy(path, root / "verifier" / "policies" / path.name)
    return world


def settings_for(root: Path, url: str = "http://testserver", **extra: Any) -> VerifierSettings:
    return VerifierSettings(
        data_dir=root,
        ledger_url=url,
        policies_dir=root / "verifier" / "policies",
        public_url="http://desk.test",
        **extra,
    )


class AppTransport(httpx.BaseTransport):
    """An httpx transport answered by an ASGI app in-process (through Starlette's client)."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer = self.client.send(request)
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)


@contextmanager
def ledger_http(world: World) -> Iterator[httpx.BaseTransport]:
    """The ledger's HTTP API in-process (real ASGI app, no socket)."""
    app = ledger_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with TestClient(app) as client:
        yield AppTransport(client)


def open_desk(
    world: World,
    transport: httpx.BaseTransport,
    clock: Clock,
    *,
    check_accreditation: bool = True,
    **extra: Any,
) -> Verifier:
    return Verifier.open(
        settings_for(world.root, **extra),
        clock=clock,
        ledger_transport=transport,
        check_accreditation=check_accreditation,
    )


def write_policy(world: World, name: str, text: str) -> Path:
    path = world.root / "verifier" / "policies" / f"{name}.toml"
    path.write_text(text)
    return path


def fetch_request(verifier: Verifier, link: str, now: int) -> AuthorizationRequest:
    """What a wallet does with the link: fetch the request object once, verify it against the
    desk's DID key (here taken from the identity; the wallet resolves it on the ledger)."""
    parsed = parse_link(link)
    request_id = parsed.request_uri.rsplit("/", 1)[-1]
    token = verifier.request_object(request_id)
    desk = verifier.desk

    def resolve(kid: str) -> Any:
        assert kid == desk.kid
        return desk.key.public

    return verify_request_object(token, resolve, now=now)


def form(state: str, presentation: str | None, **extra: str) -> dict[str, str]:
    data = {"state": state, **extra}
    if presentation is not None:
        data["vp_token"] = json.dumps({"credential": [presentation]})
    return data
