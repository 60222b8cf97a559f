"""A foreign answer not proven against the pinned policy is refused with the codes a lying
local ledger gets: another checkpoint key, witness cosignatures dropped, a mirror that hides
the revocation entry."""

from __future__ import annotations

import httpx

from civicid.checkpoint import NoteSigner
from civicid.cosignature import CosignerKey
from civicid.status_list import STATUS_INVALID
from civicid.transaction import Transaction
from tests.federation.world import Countries, cosigning, desk, pin, policy_text
from tests.trust.rogue import Rogue, earlier_entry
from tests.verifier.attacks import fresh, passes, refused
from tests.verifier.world import LIST_URI, ledger_http


def test_a_ledger_under_another_key_is_refused(countries: Countries) -> None:
    abroad = countries.abroad
    impostor = NoteSigner.generate(abroad.origin)  # same origin, another key
    pin(countries, text=policy_text(abroad, vkey=impostor.vkey()))
    with desk(countries) as verifier:
        presentation, nonce = fresh(abroad, verifier, abroad.credential())
        refused(verifier, presentation, "note_unknown_key", nonce=nonce, step="issuer")


def test_witness_cosignatures_are_required_as_pinned(countries: Countries) -> None:
    abroad = countries.abroad
    witness = CosignerKey.generate("witness.abroad.example")
    pin(countries, text=policy_text(abroad, witnesses=(witness,)))
    witnessed = cosigning(abroad, witness, countries.desk_clock)
    with desk(countries, abroad=witnessed) as verifier:
        presentation, nonce = fresh(abroad, verifier, abroad.credential())
        passes(verifier, presentation, nonce=nonce)
    assert witnessed.changed
    # The same ledger, its cosignatures dropped (as a mirror stripping them would serve it).
    with desk(countries, abroad=httpx.HTTPTransport()) as verifier:
        presentation, nonce = fresh(abroad, verifier, abroad.credential())
        refused(verifier, presentation, "checkpoint_quorum_missing", nonce=nonce, step="issuer")


def test_a_cosignature_by_another_witness_does_not_count(countries: Countries) -> None:
    abroad = countries.abroad
    pinned, other = CosignerKey.generate("w.abroad.example"), CosignerKey.generate("w.other")
    pin(countries, text=policy_text(abroad, witnesses=(pinned,)))
    with desk(countries, abroad=cosigning(abroad, other, countries.desk_clock)) as verifier:
        presentation, nonce = fresh(abroad, verifier, abroad.credential())
        refused(verifier, presentation, "checkpoint_quorum_missing", nonce=nonce, step="issuer")


def test_a_mirror_hiding_the_revocation_is_refused(countries: Countries) -> None:
    abroad = countries.abroad
    pin(countries)
    credential = abroad.credential(index=12)
    before = abroad.ledger.state.status_lists[LIST_URI][-1].seq
    abroad.clock.now += 10
    abroad.status.set(12, STATUS_INVALID)
    abroad.publish_status()

    def fields(entry: Transaction) -> dict[str, str]:
        return {"token": entry.body["token"]}

    with ledger_http(abroad) as genuine:
        mirror = Rogue(
            httpx.HTTPTransport(), "/status-lists", earlier_entry(genuine, before, fields)
        )
        with desk(countries, abroad=mirror) as verifier:
            presentation, nonce = fresh(abroad, verifier, credential)
            refused(verifier, presentation, "map_proof_invalid", nonce=nonce, step="status")
    assert mirror.lied
