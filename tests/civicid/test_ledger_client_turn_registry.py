"""The ledger client's registry (``TurnRegistry``) asks each registry question in a turn of
the ledger's servers (``LedgerClient.in_turn``), passing on every argument as given and
handing back the answer as it is."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from civicid.checkpoint import NoteSigner
from civicid.ledger_client import LedgerClient
from civicid.registry_client import RegistryClient

SIGNER = NoteSigner.generate("ledger.example/turn-registry")
QUESTIONS = ("grants", "granted_subjects", "issuer_accredited", "verifier_allowed",
             "credential_type", "status_list")  # fmt: skip


def test_each_question_is_passed_on_whole_in_a_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    client = LedgerClient("http://ledger.test,http://mirror.test", SIGNER.vkey())
    seen: list[tuple[str, tuple[Any, ...], dict[str, Any], bool]] = []

    def recorder(name: str) -> Callable[..., Any]:
        def asked(self: RegistryClient, *args: Any, **kwargs: Any) -> Any:
            in_turn = getattr(client._turns, "turn", None) is not None
            seen.append((name, args, kwargs, in_turn))
            return (name, *args)

        return asked

    for name in QUESTIONS:
        monkeypatch.setattr(RegistryClient, name, recorder(name))
    registry = client.registry
    assert registry is client.registry  # one, kept
    claims = ("given_name",)
    assert registry.grants("issuer", "did:a", "vct:a", 7, claims) == (
        "grants", "issuer", "did:a", "vct:a", 7, claims)  # fmt: skip
    assert registry.granted_subjects("verifier", "vct:b", 8) == (
        "granted_subjects", "verifier", "vct:b", 8)  # fmt: skip
    assert registry.issuer_accredited("did:c", "vct:c", 9) == (
        "issuer_accredited", "did:c", "vct:c", 9)  # fmt: skip
    assert registry.verifier_allowed("did:d", "vct:d", ["age"], 10) == (
        "verifier_allowed", "did:d", "vct:d", ["age"], 10)  # fmt: skip
    assert registry.credential_type("vct:e") == ("credential_type", "vct:e")
    assert registry.status_list("https://i.test/s/1", 11, now=12) == (
        "status_list", "https://i.test/s/1", 11)  # fmt: skip
    assert seen == [
        ("grants", ("issuer", "did:a", "vct:a", 7, claims), {}, True),
        ("granted_subjects", ("verifier", "vct:b", 8), {}, True),
        ("issuer_accredited", ("did:c", "vct:c", 9), {}, True),
        ("verifier_allowed", ("did:d", "vct:d", ["age"], 10), {}, True),
        ("credential_type", ("vct:e",), {}, True),
        ("status_list", ("https://i.test/s/1", 11), {"now": 12}, True),
    ]
    assert getattr(client._turns, "turn", None) is None  # each turn ended
    client.close()
