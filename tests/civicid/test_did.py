"""did:civicid: self-certifying identifiers and DID Core documents checked by pydid."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicid.did import Document, check_self_certifying, new_did, parse_did, split_key_id
from civicid.errors import Error
from civicid.jose import PrivateKey, PublicKey
from tests.conftest import load_vector


def test_new_did_is_self_certifying_and_valid() -> None:
    key = PrivateKey.generate()
    did, document = new_did([("key-1", key.public)])
    assert parse_did(did) == did
    check_self_certifying(did, document)
    validated = Document.validate(did, document)
    assert validated.key(f"{did}#key-1", "capabilityInvocation") == key.public


def test_any_change_to_the_first_document_breaks_the_scid() -> None:
    did, document = new_did([("key-1", PrivateKey.generate().public)])
    other = PrivateKey.generate().public.to_jwk()
    document["verificationMethod"][0]["publicKeyJwk"] = other
    with pytest.raises(Error) as info:
        check_self_certifying(did, document)
    assert info.value.code == "did_scid_mismatch"


def test_did_jwk_example_keys_are_accepted_as_verification_methods() -> None:
    """The did:jwk spec's P-256 key (an independent example) fits our documents."""
    vectors = load_vector("did-jwk/did-jwk-examples.json")["vectors"]
    p256 = next(v for v in vectors if v["name"] == "P-256")
    did, document = new_did([("key-1", PublicKey.from_jwk(p256["jwk"]))])
    Document.validate(did, document)
    x25519 = next(v for v in vectors if "X25519" in v["name"])
    with pytest.raises(Error) as info:
        PublicKey.from_jwk(x25519["jwk"])  # key agreement keys cannot sign
    assert info.value.code == "jwk_unsupported"


@pytest.mark.parametrize(
    "kid, code",
    [
        ("did:civicid:abc#key-1", "did_invalid"),
        ("no-fragment", "kid_invalid"),
        ("did:civicid:" + "a" * 32 + "#bad fragment", "kid_invalid"),
    ],
)
def test_key_ids(kid: str, code: str) -> None:
    with pytest.raises(Error) as info:
        split_key_id(kid)
    assert info.value.code == code


def test_key_must_be_in_the_relationship() -> None:
    signer, auth = PrivateKey.generate(), PrivateKey.generate()
    did, document = new_did([("key-1", signer.public), ("auth", auth.public)])
    validated = Document.validate(did, document)
    with pytest.raises(Error) as info:
        validated.key(f"{did}#auth", "capabilityInvocation")
    assert info.value.code == "key_not_authorized"
    with pytest.raises(Error) as info:
        validated.key(f"{did}#nope", "assertionMethod")
    assert info.value.code == "key_unknown"


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(["ES256", "Ed25519", "ES384"]), min_size=1, max_size=4))
def test_generated_documents_always_validate(algs: list[str]) -> None:
    keys = [(f"key-{i}", PrivateKey.generate(alg).public) for i, alg in enumerate(algs)]
    did, document = new_did(keys)
    check_self_certifying(did, json.loads(json.dumps(document)))
    assert set(Document.validate(did, document).keys) == {k for k, _ in keys}
