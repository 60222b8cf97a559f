"""What the desk remembers of the ledger's answers: one fetch serves the policy's ledger age,
and a status list past its exp is fetched again at once, never served from memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from civicid.errors import Error
from verifier.trust import LedgerTrust


@dataclass
class Token:
    iat: int
    exp: int | None
    ttl: int | None = None


@dataclass
class Listed:
    token: Token


@dataclass
class Client:
    """The two lists the ledger holds, oldest first; every question it was asked."""

    lists: list[Listed]
    asked: list[tuple[str, int]] = field(default_factory=list)

    def status_list(self, uri: str, *, now: int) -> Listed:
        self.asked.append((uri, now))
        return self.lists[min(len(self.asked), len(self.lists)) - 1]


def trust_of(client: Client, as_of: int | None = None) -> LedgerTrust:
    return LedgerTrust(client, clock=lambda: 0, as_of=as_of)  # type: ignore[arg-type]


def test_one_fetch_serves_the_ledger_age_and_an_expired_list_is_fetched_again() -> None:
    first, second = Listed(Token(0, exp=100)), Listed(Token(90, exp=1000))
    client = Client([first, second])
    trust = trust_of(client)
    assert trust.status_list("u", now=50, max_age=300).value is first
    assert trust.status_list("u", now=60, max_age=300).value is first
    assert client.asked == [("u", 50)]
    assert trust.status_list("u", now=150, max_age=300).value is second
    assert client.asked == [("u", 50), ("u", 150)]
    assert trust.status_list("u", now=160, max_age=300).value is second
    assert len(client.asked) == 2


def test_a_list_past_its_ttl_is_fetched_again() -> None:
    first, second = Listed(Token(0, exp=None, ttl=60)), Listed(Token(90, exp=None, ttl=600))
    client = Client([first, second])
    trust = trust_of(client)
    assert trust.status_list("u", now=10, max_age=300).value is first
    assert trust.status_list("u", now=61, max_age=300).value is second


def test_offline_an_expired_list_is_refused_not_fetched() -> None:
    client = Client([Listed(Token(0, exp=100))])
    trust = trust_of(client, as_of=50)
    assert trust.status_list("u", now=60, max_age=300).value is client.lists[0]
    with pytest.raises(Error) as info:
        trust.status_list("u", now=150, max_age=300)
    assert info.value.code == "snapshot_stale"
    assert len(client.asked) == 1


def test_the_answers_are_remembered_per_list() -> None:
    lists: Any = [Listed(Token(0, exp=1000)), Listed(Token(0, exp=1000))]
    client = Client(lists)
    trust = trust_of(client)
    assert trust.status_list("a", now=10, max_age=300).value is lists[0]
    assert trust.status_list("b", now=10, max_age=300).value is lists[1]
    assert trust.status_list("a", now=20, max_age=300).value is lists[0]


class Registry:
    def proven_entries(self, answer: dict[str, Any]) -> tuple[int, list[Any]]:
        return 0, []


class Asked:
    """A ledger client that records the questions the snapshot's issuer list asks."""

    origin = "ledger.example"
    registry = Registry()

    def __init__(self) -> None:
        self.questions: list[tuple[str, dict[str, Any]]] = []

    def get_json(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        self.questions.append((path, params))
        return {}

    def governance(self) -> str:
        return "did:civicid:governance"


def test_the_issuers_for_a_snapshot_are_asked_as_of_its_time() -> None:
    client = Asked()
    assert LedgerTrust(client, clock=lambda: 0).issuers_for("t", now=1234) == ()  # type: ignore[arg-type]
    assert client.questions == [("/accreditations", {"at": 1234})]
