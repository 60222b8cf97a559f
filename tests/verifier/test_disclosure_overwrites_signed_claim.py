"""Attack: a disclosure carrying a claim the issuer signed in clear (pitfall 6), and
disclosures named _sd or "..." or vct/status (pitfall 9), from a careless or hostile issuer."""

import pytest

from tests.verifier.attacks import bind, disclosure, refused, resign, split
from tests.verifier.world import World
from verifier.service import Verifier


@pytest.mark.parametrize(
    ("name", "value", "code"),
    [
        ("resident", True, "sdjwt_claim_overwrite"),
        ("_sd", [], "sdjwt_claim_name_reserved"),
        ("...", "x", "sdjwt_claim_name_reserved"),
        ("vct", "https://civicid.example/vct/other", "sdjwt_claim_not_disclosable"),
        ("status", {}, "sdjwt_claim_not_disclosable"),
    ],
)
def test_a_disclosure_may_not_replace_or_name_a_protected_claim(
    world: World, verifier: Verifier, name: str, value: object, code: str
) -> None:
    credential = world.credential(claims={"resident": False, "age_equal_or_over": {"18": True}})
    _, payload, disclosures = split(credential)
    text, digest = disclosure("c2FsdHNhbHRzYWx0c2FsdA", name, value)
    # resident stays in clear (overwrite); vct and status are taken out of the clear part so
    # that only the disclosure could supply them.
    clear: dict[str, object] = {"resident": False} if name == "resident" else {}
    if name in ("vct", "status"):
        clear[name] = None
    forged = resign(
        credential,
        world.agency.key,
        payload={**clear, "_sd": [*payload["_sd"], digest]},
        disclosures=[*disclosures, text],
    )
    presentation, nonce = bind(world, verifier, forged)
    refused(verifier, presentation, code, nonce=nonce, step="disclosures")
