"""A passed step's outcome says what it found (the alg, the issuer, the key's fragment, the
type, the accreditation, the list entry, the claims): a desk's screen and the decision's JSON
show it beside the step, so it must be the presentation's own, not another value."""

from __future__ import annotations

from civicid.did import split_key_id
from tests.verifier.attacks import fresh, passes
from tests.verifier.world import LIST_URI, NATIONAL_ID, NOW, World
from verifier.service import Verifier


def test_every_passed_step_names_what_it_checked(world: World, verifier: Verifier) -> None:
    presentation, nonce = fresh(world, verifier, world.credential())
    decision = passes(verifier, presentation, nonce=nonce)
    standing = verifier.trust.issuer_standing(world.agency.did, NATIONAL_ID, NOW)
    listed = verifier.trust.status_list(LIST_URI, issuer=world.agency.did)
    _, fragment = split_key_id(world.agency.kid)
    assert fragment and "#" not in fragment
    details = {o.step: o.detail for o in decision.outcomes}
    assert details == {
        "structure": "2 disclosures",
        "header": "ES256",
        "issuer": world.agency.did,
        "issuer_key": fragment,
        "signature": "",
        "disclosures": "2 claims disclosed",
        "validity": "",
        "type": NATIONAL_ID,
        "accreditation": standing.accreditation,
        "key_binding": "",
        "replay": "",
        "status": f"valid (list entry {listed.value.seq})",
        "entitlement": "not a single-use type",
        "claims": "resident, age_equal_or_over.18",
        "predicates": "resident: yes; age is at least 18",
    }
    assert standing.accreditation and standing.accreditation.startswith("acc-")
    assert {o.status for o in decision.outcomes} == {"passed"}
    assert all(o.code is None for o in decision.outcomes)
