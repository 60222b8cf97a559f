"""The issuer's view of the ledger only asks the kernel's trust package for the agency's
standing: the ledger asked as of the one time the standing is judged at, the answer
remembered for ``accreditation_ttl``, ``fresh`` asking anew; on a stand-in ledger client."""

from __future__ import annotations

import types
from collections.abc import Iterator

import pytest

from civicid.accreditation import ISSUER
from civicid.errors import Error
from civicid.proven import ProvenType
from issuer.trust import LedgerView
from tests.civicid.trust.test_questions import (
    AGENCY,
    CHECKPOINT,
    VCT,
    Client,
    Registry,
    grant,
)
from tests.verifier.world import type_body

TTL = 60


def view_of(registry: Registry, clock: Iterator[int]) -> LedgerView:
    agency: object = types.SimpleNamespace(did=AGENCY)
    return LedgerView(
        Client(registry),  # type: ignore[arg-type]
        agency,  # type: ignore[arg-type]
        clock=lambda: next(clock),
        accreditation_ttl=TTL,
    )


def test_the_ledger_is_asked_as_of_the_time_the_standing_is_judged_at() -> None:
    """The clock is read once a question: a clock that moves at each read would otherwise
    have the ledger asked about another second than the one judged."""
    registry = Registry({AGENCY: ((grant(AGENCY, start=101), None),)})
    view = view_of(registry, iter(range(100, 200)))
    with pytest.raises(Error) as caught:
        view.require_accredited(VCT)  # at 100, before the grant
    assert caught.value.code == "accreditation_not_yet_valid"
    assert registry.asked == [(ISSUER, AGENCY, 100)]


def test_the_standing_is_remembered_for_the_ttl_then_asked_anew() -> None:
    accredited = grant(AGENCY)
    registry = Registry({AGENCY: ((accredited, None),)})
    view = view_of(registry, iter([1_000, 1_000 + TTL - 1, 1_000 + TTL]))
    assert view.require_accredited(VCT) == accredited.id
    registry.pairs[AGENCY] = ((accredited, 1_001),)  # revoked after the first answer
    assert view.require_accredited(VCT) == accredited.id  # remembered: not asked
    with pytest.raises(Error) as caught:
        view.require_accredited(VCT)
    assert caught.value.code == "accreditation_revoked"
    assert [when for _, _, when in registry.asked] == [1_000, 1_000 + TTL]


def test_fresh_asks_anew_and_its_answer_is_the_one_remembered() -> None:
    accredited = grant(AGENCY)
    registry = Registry({AGENCY: ((accredited, None),)})
    view = view_of(registry, iter([1_000, 1_001, 1_002]))
    assert view.require_accredited(VCT) == accredited.id
    registry.pairs[AGENCY] = ((accredited, 1_000),)
    with pytest.raises(Error) as caught:
        view.require_accredited(VCT, fresh=True)
    assert caught.value.code == "accreditation_revoked"
    with pytest.raises(Error) as caught:
        view.require_accredited(VCT)
    assert caught.value.code == "accreditation_revoked"
    assert [when for _, _, when in registry.asked] == [1_000, 1_001]


def typed_view(asked: list[str]) -> LedgerView:
    """A view on a ledger client that registers one type, counting each time it is asked."""
    body = type_body(VCT)
    proven = ProvenType(VCT, AGENCY, body["metadata"], body["schema"], 7, "acc-1", CHECKPOINT)

    def credential_type(vct: str) -> ProvenType:
        asked.append(vct)
        return proven

    client = Client()
    client.credential_type = credential_type  # type: ignore[method-assign]
    return LedgerView(
        client,  # type: ignore[arg-type]
        types.SimpleNamespace(did=AGENCY),  # type: ignore[arg-type]
        clock=lambda: 1_000,
        accreditation_ttl=TTL,
    )


def test_a_type_is_known_once_read_and_read_once() -> None:
    asked: list[str] = []
    view = typed_view(asked)
    assert view.known_type(VCT) is None
    read = view.credential_type(VCT)
    assert read.vct == VCT and view.known_type(VCT) is read
    assert view.credential_type(VCT) is read
    assert asked == [VCT]


def test_a_type_the_trust_package_remembers_is_not_asked_again() -> None:
    """A type proven once in the process (by a check of a presentation, say) is the one the
    view loads, however long ago: a type's registration is loaded once per process."""
    asked: list[str] = []
    view = typed_view(asked)
    with view.asking() as trust:
        trust.credential_type(VCT, now=1, max_age=TTL)
    assert view.credential_type(VCT).vct == VCT
    assert asked == [VCT]
