"""Wallet fixtures: a data dir with fast (minimum OWASP) key derivation, a fixed clock, a
controllable idle clock, and held credentials made up for tests of the store."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from civicid.encoding import b64url_encode
from civicid.jose import PrivateKey
from civicid.oid4vp import Receipt, ReceivedClaims, client_id_for
from cli.harness import free_port, serving
from cli.main import app
from tests.wallet.rogue_desk import RogueDesk
from tests.wallet.rogue_issuer import TX_CODE, RogueIssuer
from tests.wallet.world import LedgerWorld, live_ledger
from wallet.holder.credentials import VALID, Copy, Credential, new_id
from wallet.holder.vault import MIN_ITERATIONS, MIN_MEMORY_KIB
from wallet.holder.wallet import Wallet
from wallet.settings import WalletSettings

NOW = 1_780_000_000
PASSPHRASE = "correct horse battery staple"
OTHER_PASSPHRASE = "a different long passphrase"
NATIONAL_ID = "https://civicid.example/vct/national-id"


class Ticker:
    """A monotonic clock tests move by hand (for the idle lock)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def fast_settings(root: Path, **extra: Any) -> WalletSettings:
    return WalletSettings.load(
        root,
        kdf_memory_kib=MIN_MEMORY_KIB,
        kdf_iterations=MIN_ITERATIONS,
        ledger_key="unused+00000000+AAAA",
        **extra,
    )


@pytest.fixture
def settings(tmp_path: Path) -> WalletSettings:
    return fast_settings(tmp_path / "data")


@pytest.fixture
def ticker() -> Ticker:
    return Ticker()


@pytest.fixture
def wallet(settings: WalletSettings, ticker: Ticker) -> Iterator[Wallet]:
    with Wallet.create(settings, PASSPHRASE, clock=lambda: NOW, monotonic=ticker) as opened:
        yield opened


def fake_sd_jwt(claims: dict[str, Any]) -> str:
    """Not a real SD-JWT: enough to carry the claims as disclosures do (base64url JSON)."""
    header = b64url_encode(b'{"alg":"ES256","typ":"dc+sd-jwt"}')
    payload = b64url_encode(json.dumps({"vct": NATIONAL_ID}).encode())
    disclosures = [
        b64url_encode(json.dumps([hashlib.sha256(k.encode()).hexdigest()[:8], k, v]).encode())
        for k, v in claims.items()
    ]
    return f"{header}.{payload}.c2ln~" + "".join(d + "~" for d in disclosures)


def made_up(claims: dict[str, Any] | None = None, copies: int = 3) -> Credential:
    claims = claims or {"given_name": "Erika", "family_name": "Mustermann"}
    return Credential(
        id=new_id(),
        vct=NATIONAL_ID,
        issuer="did:civicid:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        claims=claims,
        disclosable=tuple((name,) for name in claims),
        issued_at=NOW,
        received_at=NOW,
        copies=tuple(
            Copy(
                id=new_id(),
                sd_jwt=fake_sd_jwt(claims),
                key=PrivateKey.generate().to_json(),
                status=VALID,
            )
            for _ in range(copies)
        ),
        type_name="National ID",
    )


def kept_receipt(desk: str, decision: str, claims: tuple[str, ...]) -> Receipt:
    """A desk's receipt as the wallet keeps it once checked: ``decision`` about ``claims``."""
    return Receipt(
        iss=desk,
        client_id=client_id_for(desk),
        policy="identity-check",
        purpose="Confirm who you are before opening a file",
        received=(ReceivedClaims("https://civicid.example/vct/national-id", desk, claims),),
        decision=decision,
        iat=NOW,
        nonce="n" * 22,
        jti="j" * 22,
    )


@pytest.fixture(scope="session")
def ledger_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LedgerWorld]:
    """One live ledger for the session: agency, desk, type and status list registered."""
    with live_ledger(tmp_path_factory.mktemp("ledger")) as world:
        yield world


def holder_settings(root: Path, world: LedgerWorld, **extra: Any) -> WalletSettings:
    return WalletSettings.load(
        root,
        kdf_memory_kib=MIN_MEMORY_KIB,
        kdf_iterations=MIN_ITERATIONS,
        ledger_url=world.url,
        ledger_key=world.vkey,
        **extra,
    )


@pytest.fixture
def holder(tmp_path: Path, ledger_world: LedgerWorld) -> Iterator[Wallet]:
    """A citizen's wallet that trusts the session's ledger (real time: the ledger's clock)."""
    settings = holder_settings(tmp_path / "citizen", ledger_world, http_timeout=2.0)
    # Names shown in British English, whatever this machine's locale.
    with Wallet.create(settings, PASSPHRASE, languages=("en-GB",)) as opened:
        yield opened


@pytest.fixture
def issuer_stub(ledger_world: LedgerWorld) -> Iterator[RogueIssuer]:
    stub = RogueIssuer(ledger_world)
    with serving(stub.app(), ledger_world.issuer_port) as url:  # where the agency's DID says
        stub.url = url
        yield stub
        stub.released.set()


@pytest.fixture
def desk_stub(ledger_world: LedgerWorld) -> Iterator[RogueDesk]:
    stub = RogueDesk(ledger_world)
    with serving(stub.app(), free_port()) as url:
        stub.url = url
        yield stub
    stub.ledger.close()


@pytest.fixture
def citizen(holder: Wallet, issuer_stub: RogueIssuer) -> Wallet:
    """A wallet holding one national ID (three copies) from the accredited agency."""
    holder.receive(issuer_stub.offer(), TX_CODE)
    return holder


class Citizen:
    """A citizen using the wallet's command line on their own data dir (fast key derivation)."""

    def __init__(self, root: Path, world: LedgerWorld) -> None:
        self.root = root
        self.world = world
        self.env = {
            "CIVICID_WALLET_PASSPHRASE": PASSPHRASE,
            "CIVICID_WALLET_KDF_MEMORY_KIB": "19456",
            "CIVICID_WALLET_KDF_ITERATIONS": "2",
        }

    def run(self, *args: str, ok: bool = True, input: str | None = None, **env: str) -> Result:
        result = CliRunner().invoke(
            app,
            ["wallet", *args, "--data-dir", str(self.root)],
            env={**self.env, **env},
            input=input,
            color=True,  # as a terminal gets it: click strips no escape sequence
        )
        if ok:
            assert result.exit_code == 0, result.output
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)


@pytest.fixture
def person(tmp_path: Path, ledger_world: LedgerWorld) -> Citizen:
    """A citizen whose wallet trusts the session's ledger (``wallet init``)."""
    citizen = Citizen(tmp_path / "citizen", ledger_world)
    citizen.run("init", "--ledger", ledger_world.url, "--ledger-key", ledger_world.vkey)
    return citizen
