"""Attack (or a backup restored half from elsewhere): a key file whose DID document is not
its identity's. A rotation publishes that document again with the new key (its services
carried over), so it is checked whenever the key file is read: a document of another DID,
one listing another key under the stored key id, or one that does not make that key its
controller is ``identity_document_mismatch``, one line naming the file, nothing written; a
document that is no valid DID document at all is ``key_file_invalid``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from civicid.errors import Error
from civicid.identity import Identity
from civicid.keystore import KeyStore
from tests.ledger.test_cli import civicid
from tests.security.test_malformed_key_files import refused_in_one_line

Damage = Callable[[dict[str, Any]], dict[str, Any]]
SERVICE = {"id": "#status", "type": "StatusList", "serviceEndpoint": "https://rogue.example/"}


def with_document(data: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> Any:
    document = json.loads(json.dumps(data["document"]))
    change(document)
    return {**data, "document": document}


def another_did(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "document": Identity.create(services=[SERVICE]).document}


def another_key(data: dict[str, Any]) -> Any:
    other = Identity.create().key.public.to_jwk()
    return with_document(data, lambda d: d["verificationMethod"][0].update(publicKeyJwk=other))


def not_controller(data: dict[str, Any]) -> Any:
    # A second key of the DID, the only controller: the stored key may no longer update it.
    def change(d: dict[str, Any]) -> None:
        extra = {**d["verificationMethod"][0], "id": f"{data['did']}#key-9"}
        extra["publicKeyJwk"] = Identity.create().key.public.to_jwk()
        d["verificationMethod"].append(extra)
        d["capabilityInvocation"] = [extra["id"]]

    return with_document(data, change)


def key_not_listed(data: dict[str, Any]) -> Any:
    return {**data, "kid": f"{data['did']}#key-7"}


MISMATCH: dict[str, Damage] = {
    "document of another DID": another_did,
    "another key under the kid": another_key,
    "the key not a controller": not_controller,
    "kid not in the document": key_not_listed,
}

NOT_A_DOCUMENT: dict[str, Damage] = {
    "no verification method": lambda d: with_document(d, lambda x: x.pop("verificationMethod")),
    "services past the cap": lambda d: with_document(
        d, lambda x: x.update(service=[{**SERVICE, "id": f"#s{i}"} for i in range(17)])
    ),
    "a service without an endpoint": lambda d: with_document(
        d, lambda x: x.update(service=[{"id": f"{d['did']}#s", "type": "X"}])
    ),
}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    code, out, _ = civicid("ledger", "init", "--data-dir", str(tmp_path))
    assert code == 0, out
    code, out, _ = civicid("ledger", "register", "health", "--data-dir", str(tmp_path))
    assert code == 0, out
    return tmp_path


def damage(path: Path, how: Damage) -> None:
    path.write_text(json.dumps(how(json.loads(path.read_text()))))


@pytest.mark.parametrize("how", MISMATCH, ids=list(MISMATCH))
def test_a_rotation_with_a_mismatched_document_is_refused(data: Path, how: str) -> None:
    path = data / "keys" / "health.json"
    damage(path, MISMATCH[how])
    refused_in_one_line(
        data, "ledger", "rotate", "health", code="identity_document_mismatch", names=path
    )


@pytest.mark.parametrize("how", MISMATCH, ids=list(MISMATCH))
def test_a_governance_key_file_with_a_mismatched_document_is_refused(data: Path, how: str) -> None:
    path = data / "keys" / "governance.json"
    damage(path, MISMATCH[how])
    refused_in_one_line(
        data, "ledger", "register", "town", code="identity_document_mismatch", names=path
    )


@pytest.mark.parametrize("how", NOT_A_DOCUMENT, ids=list(NOT_A_DOCUMENT))
def test_a_document_that_is_none_is_a_damaged_key_file(data: Path, how: str) -> None:
    path = data / "keys" / "health.json"
    damage(path, NOT_A_DOCUMENT[how])
    refused_in_one_line(data, "ledger", "rotate", "health", code="key_file_invalid", names=path)


@pytest.mark.parametrize("how", MISMATCH, ids=list(MISMATCH))
def test_from_json_refuses_a_mismatch(how: str) -> None:
    good = Identity.create(services=[SERVICE]).to_json()
    with pytest.raises(Error) as caught:
        Identity.from_json(MISMATCH[how](good))
    assert caught.value.code == "identity_document_mismatch"
    assert Identity.from_json(good).document == good["document"]


def test_identities_lists_a_mismatch_by_its_code(data: Path) -> None:
    damage(data / "keys" / "health.json", another_did)
    code, out, err = civicid("ledger", "identities", "--data-dir", str(data), "--json")
    assert code == 0, err
    listed = {row["name"]: row for row in json.loads(out)}
    assert listed["health"]["did"] is None
    assert listed["health"]["error"] == "identity_document_mismatch"


def test_a_rotated_identity_still_reads_back(data: Path) -> None:
    code, out, _ = civicid("ledger", "rotate", "health", "--data-dir", str(data))
    assert code == 0, out
    rotated = KeyStore(data / "keys").identity("health")
    assert rotated.kid.endswith("#key-2")
