"""Attack (or a damaged disk): a key file of the wrong shape. Not JSON, not an object,
members missing or of the wrong type, a public key where the private one belongs, a
checkpoint seed of the wrong size: each is one line ``error: … [key_file_invalid]`` naming
the file, never a ``KeyError``, and nothing is written (the log and the key store unchanged)."""

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

Damage = Callable[[dict[str, Any]], Any]


def public_only(data: dict[str, Any]) -> dict[str, Any]:
    public = {k: v for k, v in data["key"]["jwk"].items() if k != "d"}
    return {**data, "key": {**data["key"], "jwk": public}}


IDENTITY_DAMAGE: dict[str, Damage] = {
    "truncated": lambda d: json.dumps(d)[:40],
    "empty object": lambda d: {},
    "not json": lambda d: "\x00\x01 not json",
    "a list": lambda d: [d],
    "missing key": lambda d: {k: v for k, v in d.items() if k != "key"},
    "missing did and kid": lambda d: {k: v for k, v in d.items() if k not in ("did", "kid")},
    "kid a number": lambda d: {**d, "kid": 5},
    "did a list": lambda d: {**d, "did": [d["did"]]},
    "document a list": lambda d: {**d, "document": []},
    "key a string": lambda d: {**d, "key": "secret"},
    "jwk a list": lambda d: {**d, "key": {"alg": "ES256", "jwk": []}},
    "alg a number": lambda d: {**d, "key": {**d["key"], "alg": 256}},
    "public key only": public_only,
    "kid of another DID": lambda d: {**d, "kid": "did:civicid:" + "a" * 32 + "#key-1"},
    "nextKey a string": lambda d: {**d, "nextKey": "next"},
}

CHECKPOINT_DAMAGE: dict[str, Damage] = {
    "no seed": lambda d: {k: v for k, v in d.items() if k != "seed"},
    "seed a number": lambda d: {**d, "seed": 7},
    "seed too short": lambda d: {**d, "seed": "AAAA"},
    "name empty": lambda d: {**d, "name": ""},
}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    code, out, _ = civicid("ledger", "init", "--data-dir", str(tmp_path))
    assert code == 0, out
    return tmp_path


def damage(path: Path, how: Damage) -> bytes:
    value = how(json.loads(path.read_text()))
    path.write_text(value if isinstance(value, str) else json.dumps(value))
    return path.read_bytes()


def snapshot(root: Path) -> dict[str, bytes]:
    files = [*(root / "keys").iterdir(), root / "ledger" / "log.dat"]
    return {str(p): p.read_bytes() for p in files}


def refused_in_one_line(data: Path, *args: str, code: str, names: Path) -> None:
    before = snapshot(data)
    exit_code, _, err = civicid(*args, "--data-dir", str(data))
    assert exit_code == 1, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("error: ") and err.rstrip().endswith(f"[{code}]"), err
    assert str(names) in err
    assert snapshot(data) == before


@pytest.mark.parametrize("how", IDENTITY_DAMAGE, ids=list(IDENTITY_DAMAGE))
def test_a_damaged_governance_key_file(data: Path, how: str) -> None:
    path = data / "keys" / "governance.json"
    damage(path, IDENTITY_DAMAGE[how])
    refused_in_one_line(data, "ledger", "register", "health", code="key_file_invalid", names=path)


@pytest.mark.parametrize("how", IDENTITY_DAMAGE, ids=list(IDENTITY_DAMAGE))
def test_a_damaged_agency_key_file(data: Path, how: str) -> None:
    code, out, _ = civicid("ledger", "register", "health", "--data-dir", str(data))
    assert code == 0, out
    path = data / "keys" / "health.json"
    damage(path, IDENTITY_DAMAGE[how])
    refused_in_one_line(data, "ledger", "rotate", "health", code="key_file_invalid", names=path)


@pytest.mark.parametrize("how", CHECKPOINT_DAMAGE, ids=list(CHECKPOINT_DAMAGE))
def test_a_damaged_checkpoint_key_file(data: Path, how: str) -> None:
    path = data / "keys" / "ledger-checkpoint.json"
    damage(path, CHECKPOINT_DAMAGE[how])
    refused_in_one_line(data, "ledger", "register", "health", code="key_file_invalid", names=path)


def test_the_undamaged_files_still_load(data: Path) -> None:
    # The base case of every damage above: the same commands succeed.
    keys = KeyStore(data / "keys")
    assert isinstance(keys.identity("governance"), Identity)
    assert keys.text("ledger-checkpoint", "vkey").startswith("civicid.example/ledger+")
    code, out, _ = civicid("ledger", "register", "health", "--data-dir", str(data))
    assert code == 0, out
    code, out, _ = civicid("ledger", "rotate", "health", "--data-dir", str(data))
    assert code == 0, out


def test_identity_from_json_names_what_is_wrong() -> None:
    good = Identity.create().to_json()
    for how in ("a list", "missing key", "kid a number", "public key only"):
        with pytest.raises(Error) as info:
            Identity.from_json(IDENTITY_DAMAGE[how](good))
        assert info.value.code == "identity_invalid", how
    assert Identity.from_json(good).did == good["did"]


@pytest.mark.parametrize(
    "how", ["truncated", "not json", "a list", "missing key", "empty object", "missing did and kid"]
)
def test_identities_shows_a_damaged_key_file_instead_of_hiding_it(data: Path, how: str) -> None:
    code, out, _ = civicid("ledger", "register", "health", "--data-dir", str(data))
    assert code == 0, out
    damage(data / "keys" / "health.json", IDENTITY_DAMAGE[how])
    code, out, err = civicid("ledger", "identities", "--data-dir", str(data), "--json")
    assert code == 0, err
    listed = {row["name"]: row for row in json.loads(out)}
    assert listed["health"]["did"] is None and listed["health"]["error"] == "key_file_invalid"
    assert listed["governance"]["did"].startswith("did:civicid:")
    assert "error" not in listed["governance"]
    code, out, _ = civicid("ledger", "identities", "--data-dir", str(data))
    line = next(line for line in out.splitlines() if line.startswith("health"))
    assert "unreadable" in line and line.endswith("[key_file_invalid]")
    assert "health.json" in line  # the file to restore, by name
    assert "ledger-checkpoint" not in out  # another kind of secret, still left out
