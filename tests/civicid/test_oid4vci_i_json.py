"""OpenID4VCI messages given as text are read as I-JSON, each refused with its model's code."""

from __future__ import annotations

import pytest

from civicid.errors import Error
from civicid.oid4vci import (
    CredentialIssuerMetadata,
    CredentialOffer,
    CredentialRequest,
    CredentialResponse,
    TokenResponse,
    Wire,
)

OFFER = (
    '{"credential_issuer": "http://127.0.0.1:1", %s'
    '"credential_configuration_ids": ["a"], "grants": {}}'
)


def test_an_offer_naming_its_issuer_twice_is_refused() -> None:
    # pydantic's own parser kept the last: an offer of :2 to this reader, of :1 to another.
    assert CredentialOffer.from_json(OFFER % "").credential_issuer == "http://127.0.0.1:1"
    twice = OFFER % '"credential_issuer": "http://127.0.0.1:2", '
    for text in (twice, twice.encode()):
        with pytest.raises(Error) as info:
            CredentialOffer.from_json(text)
        assert info.value.code == "oid4vci_offer_invalid"


@pytest.mark.parametrize(
    ("model", "text", "code"),
    [
        (
            CredentialRequest,
            '{"credential_configuration_id": "a", "credential_configuration_id": "b"}',
            "oid4vci_credential_request_invalid",
        ),
        (
            TokenResponse,
            '{"access_token": "t", "token_type": "Bearer", "access_token": "u"}',
            "oid4vci_response_invalid",
        ),
        (
            CredentialResponse,
            '{"notification_id": "n", "notification_id": "m",'
            ' "credentials": [{"credential": "x"}]}',
            "oid4vci_response_invalid",
        ),
        (
            CredentialIssuerMetadata,
            '{"credential_issuer": "http://127.0.0.1:1",'
            ' "credential_endpoint": "http://127.0.0.1:1/c",'
            ' "credential_endpoint": "http://127.0.0.1:1/d",'
            ' "credential_configurations_supported": {}}',
            "oid4vci_metadata_invalid",
        ),
        (
            CredentialRequest,
            '{"credential_configuration_id": "a", "x": 1e400}',
            "oid4vci_credential_request_invalid",
        ),
    ],
    ids=["request", "token-answer", "credential-answer", "metadata", "beyond-a-double"],
)
def test_each_message_as_text_is_i_json(model: type[Wire], text: str, code: str) -> None:
    with pytest.raises(Error) as info:
        model.from_json(text)
    assert info.value.code == code


def test_a_request_as_text_is_still_read() -> None:
    request = CredentialRequest.from_json(b'{"credential_configuration_id": "a"}')
    assert request.credential_configuration_id == "a"
