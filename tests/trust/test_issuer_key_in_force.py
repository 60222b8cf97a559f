"""The issuer's view of its own key and lists (``issuer.trust.LedgerView``), on a stand-in
ledger client: a key the ledger has in force is used as it is, remembered for the ttl, the
key store read again only when it is not; a reloaded key is believed only if it is the same
DID's and in force now (asked anew), else the issuer refuses to sign
(``issuer_key_not_in_force``); the clock is read once a question, and a status list is
signed as of it."""

from __future__ import annotations

import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from civicid.accreditation import ISSUER
from civicid.errors import Error
from issuer.trust import LedgerView
from tests.civicid.trust.test_questions import (
    AGENCY,
    NOT_IN_DOCUMENT,
    OTHER,
    VCT,
    Registry,
    grant,
)

NOW = 1_000
TTL = 60


@dataclass
class Chain:
    in_force: set[str]

    def at_time(self, at: int) -> int:
        return at

    def key(self, version: int, kid: str, relationship: str) -> str:
        if kid not in self.in_force:
            raise NOT_IN_DOCUMENT(f"{kid} is not in the document")
        return f"{kid}/public"


@dataclass
class Ledger:
    """A stand-in ledger client: the kids in force, each DID's history asked, each list
    submitted."""

    in_force: set[str] = field(default_factory=set)
    registry: Registry = field(default_factory=lambda: Registry({}))
    origin: str = "https://ledger.test"
    asked: list[str] = field(default_factory=list)
    submitted: list[str] = field(default_factory=list)

    def resolve(self, did: str) -> Any:
        self.asked.append(did)
        return types.SimpleNamespace(chain=Chain(set(self.in_force)))

    def submit(self, transaction: str) -> dict[str, Any]:
        self.submitted.append(transaction)
        return {"seq": len(self.submitted)}


@dataclass
class Identity:
    did: str
    name: str
    signed: list[tuple[Any, ...]] = field(default_factory=list)

    @property
    def kid(self) -> str:
        return f"{self.did}#{self.name}"

    @property
    def key(self) -> Any:
        return types.SimpleNamespace(public=f"{self.kid}/public")

    def sign(
        self, tx_type: str, body: dict[str, Any], *, ledger: str, now: int | None = None
    ) -> str:
        self.signed.append((tx_type, body, ledger, now))
        return f"signed by {self.kid}"


class KeyStore:
    """The key store as ``reload`` reads it: counts each read."""

    def __init__(self, held: Identity) -> None:
        self.held = held
        self.reads = 0

    def __call__(self) -> Identity:
        self.reads += 1
        return self.held


class Clock:
    """The issuer's clock: the times given in turn (the last one then), each read counted."""

    def __init__(self, *times: int) -> None:
        self.times: Iterator[int] = iter(times)
        self.last = times[-1]
        self.reads = 0

    def __call__(self) -> int:
        self.reads += 1
        return next(self.times, self.last)


def view_of(
    ledger: Ledger, agency: Identity, store: KeyStore | None = None, clock: Clock | None = None
) -> LedgerView:
    return LedgerView(
        ledger,  # type: ignore[arg-type]
        agency,  # type: ignore[arg-type]
        clock=clock or Clock(NOW),
        accreditation_ttl=TTL,
        reload=store,  # type: ignore[arg-type]
    )


def test_a_key_in_force_is_used_without_reading_the_key_store() -> None:
    agency = Identity(AGENCY, "key-1")
    store = KeyStore(Identity(AGENCY, "key-2"))
    view = view_of(Ledger({agency.kid, store.held.kid}), agency, store)
    assert view.require_key_in_force() is agency
    assert store.reads == 0
    assert view.identity is agency


def test_a_key_in_force_is_used_by_an_issuer_without_a_key_store() -> None:
    agency = Identity(AGENCY, "key-1")
    assert view_of(Ledger({agency.kid}), agency).require_key_in_force() is agency


def test_a_key_not_in_force_is_refused_without_a_key_store() -> None:
    agency = Identity(AGENCY, "key-1")
    with pytest.raises(Error) as caught:
        view_of(Ledger(), agency).require_key_in_force()
    assert caught.value.code == "issuer_key_not_in_force"
    assert agency.kid in caught.value.message


def test_the_key_in_force_is_remembered_for_the_ttl_then_asked_anew() -> None:
    agency = Identity(AGENCY, "key-1")
    ledger = Ledger({agency.kid})
    clock = Clock(NOW, NOW + TTL - 1, NOW + TTL)
    view = view_of(ledger, agency, clock=clock)
    for _ in range(3):
        assert view.require_key_in_force() is agency
    assert ledger.asked == [AGENCY, AGENCY]  # at NOW, then at NOW + TTL
    assert clock.reads == 3  # once a question: the ledger's answer is aged by that time


def test_a_rotated_key_in_the_key_store_is_taken_once_in_force_now() -> None:
    rotated = Identity(AGENCY, "key-2")
    ledger = Ledger({rotated.kid})
    store = KeyStore(rotated)
    view = view_of(ledger, Identity(AGENCY, "key-1"), store)
    assert view.require_key_in_force() is rotated
    assert view.identity is rotated and store.reads == 1
    # The reloaded key is checked on a history asked anew, not the one just remembered.
    assert ledger.asked == [AGENCY, AGENCY]
    assert view.require_key_in_force() is rotated  # in force now: not read again
    assert store.reads == 1 and ledger.asked == [AGENCY, AGENCY]


@pytest.mark.parametrize(
    "held",
    [
        Identity(AGENCY, "key-2"),  # the key store's key is not in force either
        Identity(OTHER, "key-2"),  # another DID's key, in force for it
    ],
)
def test_a_reloaded_key_not_the_agencys_in_force_is_refused(held: Identity) -> None:
    agency = Identity(AGENCY, "key-1")
    store = KeyStore(held)
    view = view_of(Ledger({f"{OTHER}#key-2"}), agency, store)
    with pytest.raises(Error) as caught:
        view.require_key_in_force()
    assert caught.value.code == "issuer_key_not_in_force"
    assert view.identity is agency and store.reads == 1


def test_a_status_list_is_signed_as_of_the_issuers_clock_and_submitted() -> None:
    agency = Identity(AGENCY, "key-1")
    ledger = Ledger()
    receipt = view_of(ledger, agency, clock=Clock(NOW)).publish_list("https://l.test/1", "tok")
    assert agency.signed == [
        ("status_list.publish", {"uri": "https://l.test/1", "token": "tok"}, ledger.origin, NOW)
    ]
    assert ledger.submitted == [f"signed by {agency.kid}"] and receipt == {"seq": 1}


def test_questions_asked_through_the_view_without_a_time_are_asked_at_its_clock() -> None:
    """A presentation's checks ask the trust package the view lends (``asking``): a question
    without a time is asked as of the issuer's clock, not the machine's."""
    registry = Registry({AGENCY: ((grant(AGENCY, start=NOW - 10), None),)})
    view = view_of(Ledger(registry=registry), Identity(AGENCY, "key-1"), clock=Clock(NOW))
    with view.asking() as trust:
        assert trust.issuer_standing(AGENCY, VCT, NOW).accredited
    assert registry.asked == [(ISSUER, AGENCY, NOW)]
