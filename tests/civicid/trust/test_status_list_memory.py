"""What a client remembers of the ledger's answers: one fetch serves the policy's ledger age,
and a status list past its exp is fetched again at once, never served from memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from civicid.errors import Error
from civicid.trust import Trust

U = "https://list.example/1"
A = "https://list.example/a"
B = "https://list.example/b"


@dataclass
class Token:
    iat: int
    exp: int | None
    ttl: int | None = None


@dataclass
class Listed:
    token: Token
    owner: str = "did:civicid:owner"
    uri: str = "https://list.example/1"


@dataclass
class Client:
    """The two lists the ledger holds, oldest first; every question it was asked."""

    lists: list[Listed]
    owner: str = "did:civicid:owner"
    asked: list[tuple[str, int]] = field(default_factory=list)

    def status_list(self, uri: str, *, now: int) -> Listed:
        self.asked.append((uri, now))
        return self.lists[min(len(self.asked), len(self.lists)) - 1]


def trust_of(client: Client, as_of: int | None = None) -> Trust:
    return Trust(client, clock=lambda: 0, as_of=as_of)  # type: ignore[arg-type]


def test_one_fetch_serves_the_ledger_age_and_an_expired_list_is_fetched_again() -> None:
    first, second = Listed(Token(0, exp=100)), Listed(Token(90, exp=1000))
    client = Client([first, second])
    trust = trust_of(client)
    assert trust.status_list(U, issuer=None, now=50, max_age=300).value is first
    assert trust.status_list(U, issuer=None, now=60, max_age=300).value is first
    assert client.asked == [(U, 50)]
    assert trust.status_list(U, issuer=None, now=150, max_age=300).value is second
    assert client.asked == [(U, 50), (U, 150)]
    assert trust.status_list(U, issuer=None, now=160, max_age=300).value is second
    assert len(client.asked) == 2


def test_a_list_at_its_exp_is_fetched_again() -> None:
    first, second = Listed(Token(0, exp=100)), Listed(Token(90, exp=1000))
    client = Client([first, second])
    trust = trust_of(client)
    assert trust.status_list(U, issuer=None, now=99, max_age=300).value is first
    assert trust.status_list(U, issuer=None, now=100, max_age=300).value is second


def test_a_list_past_its_ttl_is_fetched_again() -> None:
    first, second = Listed(Token(0, exp=None, ttl=60)), Listed(Token(90, exp=None, ttl=600))
    client = Client([first, second])
    trust = trust_of(client)
    assert trust.status_list(U, issuer=None, now=10, max_age=300).value is first
    assert trust.status_list(U, issuer=None, now=60, max_age=300).value is first
    assert trust.status_list(U, issuer=None, now=61, max_age=300).value is second


def test_offline_an_expired_list_is_refused_not_fetched() -> None:
    client = Client([Listed(Token(0, exp=100))])
    trust = trust_of(client, as_of=50)
    assert trust.status_list(U, issuer=None, now=60, max_age=300).value is client.lists[0]
    with pytest.raises(Error) as info:
        trust.status_list(U, issuer=None, now=150, max_age=300)
    assert info.value.code == "snapshot_stale"
    assert len(client.asked) == 1


def test_the_answers_are_remembered_per_list() -> None:
    lists: Any = [Listed(Token(0, exp=1000)), Listed(Token(0, exp=1000))]
    client = Client(lists)
    trust = trust_of(client)
    assert trust.status_list(A, issuer=None, now=10, max_age=300).value is lists[0]
    assert trust.status_list(B, issuer=None, now=10, max_age=300).value is lists[1]
    assert trust.status_list(A, issuer=None, now=20, max_age=300).value is lists[0]


def test_a_list_is_believed_for_its_owners_credentials_only() -> None:
    client = Client([Listed(Token(0, exp=1000))])
    trust = trust_of(client)
    assert trust.status_list(U, issuer="did:civicid:owner", now=10, max_age=300).value.owner
    with pytest.raises(Error) as info:
        trust.status_list(U, issuer="did:civicid:another", now=10, max_age=300)
    assert info.value.code == "status_list_not_issuers"
    assert info.value.details["owner"] == "did:civicid:owner"
    assert "did:civicid:owner" in info.value.message and "did:civicid:another" in info.value.message


def test_one_list_spelled_two_ways_is_remembered_once() -> None:
    client = Client([Listed(Token(0, exp=1000)), Listed(Token(0, exp=1000))])
    trust = trust_of(client)
    trust.status_list("https://list.example/1", issuer=None, now=10, max_age=300)
    trust.status_list("HTTPS://LIST.EXAMPLE:443/1", issuer=None, now=10, max_age=300)
    assert len(client.asked) == 1
