"""Attack on the citizen's privacy: a careless or compromised wallet discloses more than the
policy asks (the given name, the birth date). The desk drops it: the decision, the receipt,
the desk page's status and the store name only the claims asked; the audit trail counts the
rest. A nested claim is named as itself, never by its parent object's Disclosure."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from civicid.oid4vp import verify_receipt
from tests.verifier.attacks import fresh, passes
from tests.verifier.loopback import Desk, wallet_answer
from tests.verifier.world import HOUSING, NESTED_PARENT, World
from verifier.service import Verifier

ASKED = ["age_equal_or_over.18", "resident"]


def stored_bytes(verifier: Verifier) -> bytes:
    path = Path(verifier.store.path)
    companions = [path.with_name(path.name + suffix) for suffix in ("", "-wal")]
    return b"".join(p.read_bytes() for p in companions if p.exists())


def test_unasked_claims_are_dropped_and_counted(world: World, desk: Desk) -> None:
    created = httpx.post(f"{desk.url}/requests", json={"policy": "housing-benefit"}).json()
    answer, (request, ledger, now) = wallet_answer(
        world, desk, created["link"], also=(("given_name",), ("birthdate",))
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["decision"] == "eligible"
    receipt = verify_receipt(
        body["receipt"],
        lambda kid: ledger.key_in_force(kid, now, "assertionMethod"),
        nonce=request.nonce,
        client_id=request.client_id,
    )
    assert list(receipt.claim_names) == ASKED
    shown = httpx.get(desk.url + created["status_url"]).json()["decision"]
    assert shown["received_claims"] == ASKED
    [audit] = desk.verifier.store.audit_trail(1)
    assert audit["over_disclosed"] == 2 and audit["decision"] == "eligible"
    stored = stored_bytes(desk.verifier)
    for word in (b"given_name", b"birthdate", b"Erika", b"1990-04-12"):
        assert word not in stored, word


@pytest.mark.parametrize(
    "disclosable, also, extra",
    [
        (None, (), 0),  # exactly what is asked
        (NESTED_PARENT, (), 0),  # the parent object travels with the nested claim: not extra
        (NESTED_PARENT, (("age_equal_or_over", "65"),), 1),  # a sibling nobody asked for
        (None, (("family_name",), ("given_name",), ("birthdate",)), 3),
    ],
)
def test_what_is_received_is_what_was_asked(
    world: World,
    verifier: Verifier,
    disclosable: list[tuple[str, ...]] | None,
    also: tuple[tuple[str, ...], ...],
    extra: int,
) -> None:
    credential = world.credential(disclosable=disclosable)
    presentation, nonce = fresh(world, verifier, credential, disclose=[*HOUSING, *also])
    decision = passes(verifier, presentation, nonce=nonce)
    assert list(decision.received) == ASKED
    assert decision.over_disclosed == extra
    assert decision.audit_record()["over_disclosed"] == extra
    assert decision.to_json()["received_claims"] == ASKED
