"""Status from the ledger's lists (never the issuer), and credentials imported from files."""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from civicid import sdjwt
from civicid.errors import Error
from civicid.identity import Identity
from civicid.jose import PrivateKey
from civicid.status_list import STATUS_INVALID, STATUS_SUSPENDED, STATUS_VALID
from tests.wallet.rogue_issuer import RogueIssuer
from tests.wallet.test_issuance import unchanged
from tests.wallet.world import CLAIMS, DISCLOSABLE, NATIONAL_ID, STATUS_URI, LedgerWorld
from wallet.holder.credentials import REVOKED, SUSPENDED, VALID
from wallet.holder.intake import MAX_IMPORT_BYTES
from wallet.holder.wallet import Wallet

LONG_AGO = 1_000_000_000  # a last check kept as it was


def test_refresh_reads_the_ledger_not_the_issuer(
    citizen: Wallet, issuer_stub: RogueIssuer, ledger_world: LedgerWorld
) -> None:
    [held] = citizen.credentials()
    first, second = held.copies[0], held.copies[1]
    assert first.status_idx is not None and second.status_idx is not None
    hits = issuer_stub.hits
    ledger_world.status_list.set(first.status_idx, STATUS_SUSPENDED)
    ledger_world.publish()
    report = citizen.refresh()
    assert report.changed == (held.id,) and report.failures == {}
    [now_held] = citizen.credentials()
    assert now_held.status(int(time.time())) == SUSPENDED
    ledger_world.status_list.set(first.status_idx, STATUS_VALID)  # the suspension lifted
    ledger_world.publish()
    citizen.refresh()
    assert citizen.credentials()[0].status(int(time.time())) == VALID
    ledger_world.status_list.set(second.status_idx, STATUS_INVALID)  # revoked, for good
    ledger_world.publish()
    citizen.refresh()
    assert citizen.credentials()[0].status(int(time.time())) == REVOKED
    assert issuer_stub.hits == hits  # the issuer never learns the wallet looked


def issued_file(
    tmp_path: Path, world: LedgerWorld, signer: Identity | None = None, with_key: bool = True
) -> tuple[Path, PrivateKey]:
    signer = signer or world.agency
    key = PrivateKey.generate()
    now = int(time.time())
    credential = sdjwt.issue(
        issuer_key=signer.key,
        kid=signer.kid,
        iss=signer.did,
        claims=dict(CLAIMS),
        disclosable=DISCLOSABLE,
        iat=now,
        exp=now + 86400,
        vct=NATIONAL_ID,
        cnf_jwk=key.public.to_jwk(),
        status={"status_list": {"idx": world.allocator.allocate(), "uri": STATUS_URI}},
    )
    path = tmp_path / "credential.json"
    body = {"credential": credential}
    if with_key:
        body["holder_key"] = key.to_json()["jwk"]
    path.write_text(json.dumps(body))
    return path, key


def test_import_a_credential_file(
    holder: Wallet, ledger_world: LedgerWorld, tmp_path: Path
) -> None:
    path, _ = issued_file(tmp_path, ledger_world)
    held = holder.import_file(path)
    assert held.origin == "import" and held.claims == CLAIMS
    assert held.status(int(time.time())) == VALID
    assert holder.credentials() == [held]


def test_import_with_the_key_in_its_own_file(
    holder: Wallet, ledger_world: LedgerWorld, tmp_path: Path
) -> None:
    path, key = issued_file(tmp_path, ledger_world, with_key=False)
    unchanged(holder, "wallet_holder_key_missing", lambda: holder.import_file(path))
    stranger = tmp_path / "stranger.jwk"
    stranger.write_text(json.dumps(PrivateKey.generate().to_json()["jwk"]))
    unchanged(holder, "wallet_cnf_mismatch", lambda: holder.import_file(path, stranger))
    own = tmp_path / "holder.jwk"
    own.write_text(json.dumps(key.to_json()["jwk"]))
    assert holder.import_file(path, own).claims == CLAIMS


def test_import_from_an_issuer_not_accredited_for_the_type(
    holder: Wallet, ledger_world: LedgerWorld, tmp_path: Path
) -> None:
    path, _ = issued_file(tmp_path, ledger_world, signer=ledger_world.desk)
    unchanged(holder, "issuer_not_accredited", lambda: holder.import_file(path))


def test_import_garbage(holder: Wallet, tmp_path: Path) -> None:
    path = tmp_path / "garbage"
    for data, code in (
        (b"\xff\xfe", "wallet_import_invalid"),
        (b'{"no": "credential"}', "wallet_import_invalid"),
        # Deeper than the parser goes: a traceback before (RecursionError), not an error.
        (b'{"credential": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "wallet_import_invalid"),
        (b'{"credential": "a~", "credential": "b~"}', "wallet_import_invalid"),
        (b'{"credential": 7}', "wallet_import_invalid"),
        (b"not~an~sd-jwt~", "wallet_import_invalid"),
    ):
        path.write_bytes(data)
        key = tmp_path / "k.jwk"
        key.write_text(json.dumps(PrivateKey.generate().to_json()["jwk"]))
        unchanged(holder, code, lambda key=key: holder.import_file(path, key))
    unchanged(holder, "wallet_import_invalid", lambda: holder.import_file(tmp_path / "missing"))
    # Neither the JSON form nor an SD-JWT, and no key: not a credential file, which it was
    # not told (it asked for the holder key, wrong advice for a file of anything).
    for data in (b"hello", b"[]", b"[" * 200 + b"]" * 200, b"a.b.c"):
        path.write_bytes(data)
        error = unchanged(holder, "wallet_import_invalid", lambda: holder.import_file(path))
        assert "not a credential file" in error.message
    path.write_bytes(b"not~an~sd-jwt~")
    key.write_bytes(b"[" * 100_000 + b"]" * 100_000)  # the key file too
    unchanged(holder, "wallet_import_invalid", lambda: holder.import_file(path, key))


def test_import_reads_no_further_than_a_credential(holder: Wallet, tmp_path: Path) -> None:
    """A named pipe, a device or a directory given as the file (or as the key's) is one line
    at once: never a read that waits for a writer, or fills memory from ``/dev/zero``."""
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    outcome: list[Error] = []

    def attempt() -> None:
        with pytest.raises(Error) as info:
            holder.import_file(pipe)
        outcome.append(info.value)

    reader = threading.Thread(target=attempt, daemon=True)
    reader.start()
    reader.join(timeout=10)
    if reader.is_alive():  # release the reader the old code left waiting for a writer
        os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
        reader.join(timeout=10)
        pytest.fail("import waited on a named pipe for a writer")
    assert outcome[0].code == "wallet_import_invalid"
    assert "is not a regular file (a named pipe)" in outcome[0].message
    zero = Path("/dev/zero")
    error = unchanged(holder, "wallet_import_invalid", lambda: holder.import_file(zero))
    assert "not a regular file (a device)" in error.message
    unchanged(holder, "wallet_import_invalid", lambda: holder.import_file(tmp_path))
    credential = tmp_path / "credential"
    credential.write_bytes(b"x" * (MAX_IMPORT_BYTES + 1))
    error = unchanged(holder, "wallet_import_invalid", lambda: holder.import_file(credential))
    assert "is over" in error.message
    credential.write_bytes(b"not~an~sd-jwt~")
    unchanged(holder, "wallet_import_invalid", lambda: holder.import_file(credential, pipe))


def test_a_list_of_another_agency_does_not_vouch_for_a_credential(
    holder: Wallet, ledger_world: LedgerWorld, tmp_path: Path
) -> None:
    """An accredited agency's credential pointing at another agency's genuine list: the list
    is not its issuer's, so it says nothing of it (unknown, never valid), and a refresh
    names why (status_list_not_issuers)."""
    other = ledger_world.register("agency")
    ledger_world.accredit(other, vcts=[NATIONAL_ID])
    path, _ = issued_file(tmp_path, ledger_world, signer=other)
    held = holder.import_file(path)
    assert held.status(int(time.time())) != VALID
    holder.put_many([replace(held, checked_at=LONG_AGO)])
    report = holder.refresh()
    assert report.failures == {STATUS_URI: "status_list_not_issuers"}
    [after] = holder.credentials()
    assert after.status(int(time.time())) != VALID
    assert after.checked_at == LONG_AGO  # nothing was checked: not "checked just now"
