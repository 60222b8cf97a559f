"""What the ledger client remembers, each memory bounded: entries whose signature checked
(a checked one is not checked again; a failed one is not remembered; full, it starts over)
and DID histories verified (the one known is handed to the next verification, reused when
proven against a checkpoint recent enough, and the memory starts over when full)."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from civicid import ledger_client
from civicid.checkpoint import Checkpoint, NoteSigner
from civicid.did import DID
from civicid.errors import Error, VerificationError
from civicid.ledger_client import LedgerClient
from civicid.registry_client import RegistryClient
from tests.civicid.ledger_client_fixtures import offline

ORIGIN = "ledger.example/memory"
SIGNER = NoteSigner.generate(ORIGIN)
GOVERNANCE = DID("did:example:governance")


@pytest.fixture
def client() -> Iterator[LedgerClient]:
    with offline(SIGNER.vkey()) as made:
        yield made


class Signed:
    """An entry's transaction as far as ``verify_signature`` reads it."""

    def __init__(self, checks: list[str], name: str, good: bool = True) -> None:
        self.kid, self.checks, self.name, self.good = (
            f"did:example:{name}#key-1",
            checks,
            name,
            good,
        )
        self.jws = self

    def verify_with(self, key: Any) -> None:
        assert key == ("key of", self.kid)
        self.checks.append(self.name)
        if not self.good:
            raise VerificationError("bad_signature", "not signed by that key")


def entry(checks: list[str], name: str, good: bool = True) -> Any:
    return SimpleNamespace(seq=7, leaf_hash=name.encode(), tx=Signed(checks, name, good))


def test_a_checked_signature_is_not_checked_again_and_the_memory_is_bounded(
    client: LedgerClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ledger_client, "MAX_VERIFIED_ENTRIES", 2)
    client.key_at = lambda kid, seq, *rest: ("key of", kid)  # type: ignore[assignment,misc]
    checks: list[str] = []
    a, b, c = entry(checks, "a"), entry(checks, "b"), entry(checks, "c")
    for e in (a, b, a, b):
        client.verify_signature(e)
    assert checks == ["a", "b"]
    client.verify_signature(c)  # full at two: it starts over with c
    assert checks == ["a", "b", "c"]
    client.verify_signature(c)
    client.verify_signature(a)
    assert checks == ["a", "b", "c", "a"]


def test_a_failed_signature_is_not_remembered(client: LedgerClient) -> None:
    client.key_at = lambda kid, seq, *rest: ("key of", kid)  # type: ignore[assignment,misc]
    checks: list[str] = []
    bad = entry(checks, "bad", good=False)
    for _ in range(2):
        with pytest.raises(Error) as exc:
            client.verify_signature(bad)
        assert exc.value.code == "bad_signature"
    assert checks == ["bad", "bad"]


class Chains:
    """``verify_chain`` as the client calls it: records what it was given."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, did: DID, entries: list[Any], **kwargs: Any) -> Any:
        self.calls.append({"did": did, "entries": entries, **kwargs})
        return SimpleNamespace(did=did, made=len(self.calls))


def about(did: str, seq: int) -> Any:
    return SimpleNamespace(seq=seq, tx=SimpleNamespace(body={"did": did}))


@pytest.fixture
def chains(client: LedgerClient, monkeypatch: pytest.MonkeyPatch) -> Chains:
    made = Chains()
    monkeypatch.setattr(ledger_client, "verify_chain", made)
    client.proven = lambda item, checkpoint: item  # type: ignore[method-assign]
    client.governance = lambda: GOVERNANCE  # type: ignore[method-assign]
    return made


def checkpoint(size: int) -> Checkpoint:
    return Checkpoint(ORIGIN, size, b"\x01" * 32)


def test_a_history_verified_is_handed_to_the_next_verification(
    client: LedgerClient, chains: Chains
) -> None:
    did = DID("did:example:agency")
    first = client._verify_history(did, [about(did, 1)], checkpoint(5))
    assert chains.calls[0]["known"] is None
    assert chains.calls[0]["origin"] == ORIGIN and chains.calls[0]["governance"] == GOVERNANCE
    assert chains.calls[0]["governance_key"] == client._governance_key
    assert [e.seq for e in chains.calls[0]["entries"]] == [1]
    second = client._verify_history(did, [about(did, 1), about(did, 6)], checkpoint(9))
    assert chains.calls[1]["known"] is first and second is not first
    assert client._chains[did].chain is second and client._chains[did].size == 9


def test_an_entry_about_another_did_is_a_mismatch(client: LedgerClient, chains: Chains) -> None:
    did = DID("did:example:agency")
    with pytest.raises(Error) as exc:
        client._verify_history(did, [about(did, 1), about("did:example:other", 4)], checkpoint(5))
    assert exc.value.code == "resolution_mismatch" and "entry 4" in exc.value.message
    assert chains.calls == [] and did not in client._chains


def test_the_history_memory_starts_over_when_full(
    client: LedgerClient, chains: Chains, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ledger_client, "MAX_CACHED_CHAINS", 2)
    a, b, c = (DID(f"did:example:{n}") for n in "abc")
    for did in (a, b):
        client._verify_history(did, [about(did, 1)], checkpoint(5))
    assert set(client._chains) == {a, b}
    client._verify_history(c, [about(c, 1)], checkpoint(6))
    assert set(client._chains) == {c}
    client._verify_history(a, [about(a, 1)], checkpoint(6))
    assert set(client._chains) == {a, c} and chains.calls[-1]["known"] is None


def test_a_known_history_is_reused_when_recent_enough(client: LedgerClient, chains: Chains) -> None:
    did = DID("did:example:agency")
    known = client._verify_history(did, [about(did, 1)], checkpoint(5))
    asked: list[str] = []

    def resolve(did: str, **kwargs: Any) -> Any:
        asked.append(did)
        return SimpleNamespace(chain="resolved again")

    client.resolve = resolve  # type: ignore[assignment,method-assign]
    assert client.chain(did) is known
    assert client.chain(did, covering=5) is known and asked == []
    assert client.chain(did, covering=6) == "resolved again" and asked == [did]
    assert client.chain("did:example:unknown") == "resolved again"


class History:
    """A verified history as ``key_at`` and ``key_in_force`` read it."""

    def at_time(self, at: int) -> str:
        return f"version in force at {at}"

    def before(self, seq: int) -> str:
        return f"version logged before {seq}"

    def key(self, version: str, kid: str, relationship: str) -> tuple[str, str, str]:
        return version, kid, relationship


def test_a_key_in_force_at_a_time_and_as_logged_before_an_entry(client: LedgerClient) -> None:
    asked: list[tuple[str, Any]] = []

    def resolve(did: str, **kwargs: Any) -> Any:
        asked.append(("resolve", did))
        return SimpleNamespace(chain=History())

    def chain(did: str, *, covering: int = 0) -> Any:
        asked.append(("chain", (did, covering)))
        return History()

    client.resolve = resolve  # type: ignore[assignment,method-assign]
    client.chain = chain  # type: ignore[method-assign]
    kid = "did:civicid:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa#key-2"
    assert client.key_in_force(kid, 1_700_000_000) == (
        "version in force at 1700000000",
        kid,
        "assertionMethod",
    )
    assert client.key_in_force(kid, 5, "authentication") == (
        "version in force at 5",
        kid,
        "authentication",
    )
    assert client.key_at(kid, 42) == ("version logged before 42", kid, "assertionMethod")
    assert client.key_at(kid, 42, relationship="authentication")[2] == "authentication"
    assert client._governance_key(kid, 9) == ("version logged before 9", kid, "assertionMethod")
    assert asked == [("resolve", "did:civicid:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")] * 2 + [
        ("chain", ("did:civicid:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 42))
    ] * 2 + [("chain", ("did:civicid:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 9))]


class Registry:
    """The registry client as the ledger client hands its questions on."""

    def __init__(self) -> None:
        self.asked: list[tuple[Any, ...]] = []

    def __getattr__(self, name: str) -> Any:
        def ask(*args: Any, **kwargs: Any) -> Any:
            self.asked.append((name, args, kwargs))
            return name

        return ask


def test_registry_questions_are_handed_on_whole(client: LedgerClient) -> None:
    made = client.registry
    assert isinstance(made, RegistryClient) and made.client is client
    assert client.registry is made  # made once
    stub = Registry()
    client._registry = stub  # type: ignore[assignment]
    assert client.issuer_accredited("did:a", "vct", 5) == "issuer_accredited"
    assert client.issuer_accredited("did:a", "vct") == "issuer_accredited"
    assert client.verifier_allowed("did:b", "vct", ["name"], 6) == "verifier_allowed"
    assert client.verifier_allowed("did:b", "vct", ("name",)) == "verifier_allowed"
    assert client.credential_type("vct") == "credential_type"
    assert client.status_list("https://a.example/l/1", 9, now=11) == "status_list"
    assert client.status_list("https://a.example/l/1") == "status_list"
    assert stub.asked == [
        ("issuer_accredited", ("did:a", "vct", 5), {}),
        ("issuer_accredited", ("did:a", "vct", None), {}),
        ("verifier_allowed", ("did:b", "vct", ["name"], 6), {}),
        ("verifier_allowed", ("did:b", "vct", ("name",), None), {}),
        ("credential_type", ("vct",), {}),
        ("status_list", ("https://a.example/l/1", 9), {"now": 11}),
        ("status_list", ("https://a.example/l/1", None), {"now": None}),
    ]
