"""An issuer that is not a ledger DID (in iss, or in the kid that signed) is refused at the
issuer step with the reason the DID parser gave, not only the code's general words."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from civicid.did import parse_did, split_key_id
from civicid.errors import Error
from tests.verifier.attacks import bind, refused, resign, selected
from tests.verifier.world import World
from verifier.service import Verifier


def reason(call: Callable[[str], object], value: str) -> str:
    with pytest.raises(Error) as caught:
        call(value)
    return caught.value.message


@pytest.mark.parametrize(
    "header, payload, why",
    [
        ({}, {"iss": "https://agency.example"}, reason(parse_did, "https://agency.example")),
        ({"kid": "key-1"}, {}, reason(split_key_id, "key-1")),
    ],
)
def test_the_refusal_says_what_is_wrong_with_the_did(
    world: World, verifier: Verifier, header: dict[str, str], payload: dict[str, str], why: str
) -> None:
    credential = resign(world.credential(), world.agency.key, header=header, payload=payload)
    presentation, nonce = bind(world, verifier, "~".join(selected(world, credential)))
    decision = refused(
        verifier, presentation, "credential_issuer_invalid", nonce=nonce, step="issuer"
    )
    assert decision.failed is not None and decision.failed.detail == why
    assert why
