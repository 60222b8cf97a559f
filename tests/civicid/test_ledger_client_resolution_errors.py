"""A DID Resolution error result, as the ledger client reads it from a scripted ledger: the
client's own ``ledger_refused`` (4xx) or ``ledger_failed`` (5xx), the error's code and title
kept in details, each bounded (the ledger's code is never raised as ours); an answer without
an error result is the same, or malformed; a "not found" of the latest version is believed
only with a proof of absence, and is then the ledger's code (proven); one of a version asked
for is a refusal like any other (there is no absence to prove). A result whose members are
not what a resolution holds is unreadable; the DID is asked for as written, colons and all."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from civicid.checkpoint import NoteSigner
from civicid.errors import Error, Unavailable
from civicid.ledger_client import LedgerClient

ORIGIN = "ledger.example/resolution-errors"
SIGNER = NoteSigner.generate(ORIGIN)
DID = "did:example:someone"


def ledger(status: int, body: Any = None, content: bytes | None = None) -> LedgerClient:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.path == f"/1.0/identifiers/{DID}"
        assert request.url.params["withProof"] == "true"
        if content is not None:
            return httpx.Response(status, content=content)
        return httpx.Response(status, json=body)

    return LedgerClient("http://ledger.test", SIGNER.vkey(), transport=httpx.MockTransport(answer))


def result(code: str, title: str | None = None, **more: Any) -> dict[str, Any]:
    error: dict[str, Any] = {"type": "https://www.w3.org/ns/did#INVALID_DID", "code": code}
    if title is not None:
        error["title"] = title
    return {"didResolutionMetadata": {"error": error, **more}}


def told(error: Error) -> tuple[int, str, str]:
    """The ledger's status, code and words, as the client keeps them."""
    details = error.details
    return details["ledger_status"], details["ledger_code"], details["ledger_message"]


def raised(client: LedgerClient, **options: str) -> Error:
    with pytest.raises(Error) as exc:
        client.resolve(DID, **options)
    client.close()
    return exc.value


@pytest.mark.parametrize(
    ("status", "code"), [(400, "ledger_refused"), (418, "ledger_refused"), (503, "ledger_failed")]
)
def test_the_error_result_is_kept_in_the_clients_own_code(status: int, code: str) -> None:
    error = raised(ledger(status, result("did_invalid", "not a DID")))
    assert isinstance(error, Unavailable)
    assert error.code == code
    assert told(error) == (status, "did_invalid", "not a DID")


def test_a_deactivated_dids_answer_is_a_result_to_prove() -> None:
    # 410 Gone is a resolution result (the deactivated DID's), read and proven as one.
    assert raised(ledger(410, {"didDocument": None})).code == "resolution_unproven"


def test_code_and_title_are_bounded() -> None:
    error = raised(ledger(400, result("c" * 150, "t" * 600)))
    assert told(error) == (400, "c" * 100, "t" * 500)


def test_a_title_missing_is_an_empty_message() -> None:
    error = raised(ledger(400, result("did_invalid")))
    assert told(error) == (400, "did_invalid", "")


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (400, {"error": "some_error", "error_description": "plain"}, "ledger_refused"),
        (400, {"didResolutionMetadata": {}}, "ledger_refused"),
        (400, {"didResolutionMetadata": {"error": "a string"}}, "ledger_refused"),
        (502, ["not", "an", "object"], "ledger_failed"),
        (302, {"didResolutionMetadata": {}}, "ledger_answer_malformed"),
        (399, {"didResolutionMetadata": {}}, "ledger_answer_malformed"),  # the last 3xx
    ],
)
def test_an_answer_without_an_error_result(status: int, body: Any, code: str) -> None:
    error = raised(ledger(status, body))
    assert error.code == code
    if code != "ledger_answer_malformed":
        said = "some_error" if isinstance(body, dict) and "error" in body else f"http_{status}"
        assert told(error)[:2] == (status, said)


def test_an_answer_that_is_not_json() -> None:
    error = raised(ledger(500, content=b"<html>down</html>"))
    assert error.code == "ledger_failed" and told(error) == (500, "http_500", "")
    error = raised(ledger(301, content=b"moved"))
    assert error.code == "ledger_answer_malformed" and "HTTP 301" in error.message


def test_not_found_of_the_latest_needs_a_proof_of_absence() -> None:
    error = raised(ledger(404, result("notFound", "no such DID")))
    assert error.code == "ledger_answer_unproven" and DID in error.message
    error = raised(ledger(404, result("notFound", "no such DID", proof="not an object")))
    assert error.code == "ledger_answer_unproven"


@pytest.mark.parametrize("option", ["version_id", "version_time"])
def test_not_found_of_a_version_asked_for_is_a_refusal(option: str) -> None:
    value = "2" if option == "version_id" else "2026-01-01T00:00:00Z"
    error = raised(ledger(404, result("notFound", "no such version")), **{option: value})
    assert error.code == "ledger_refused"
    assert told(error) == (404, "notFound", "no such version")


@pytest.mark.parametrize(
    "body",
    [{"didDocumentMetadata": [1, 2]}, {"didResolutionMetadata": ["proof"]}],
    ids=["metadata-a-list", "resolution-metadata-a-list"],
)
def test_a_result_that_is_no_resolution_is_unreadable(body: Any) -> None:
    error = raised(ledger(200, body))
    assert error.code == "ledger_answer_malformed"
    assert error.message.startswith("unreadable resolution: ")


def test_the_did_is_sent_as_it_is_written() -> None:
    """``/1.0/identifiers/did:example:someone``, as the DID Resolution HTTP(S) binding and
    every resolver write it: its colons are not percent-encoded."""
    sent: list[bytes] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.raw_path)
        return httpx.Response(400, json=result("did_invalid"))

    transport = httpx.MockTransport(answer)
    client = LedgerClient("http://ledger.test", SIGNER.vkey(), transport=transport)
    assert raised(client).code == "ledger_refused"
    assert sent == [b"/1.0/identifiers/did:example:someone?withProof=true"]


@pytest.mark.parametrize(
    ("options", "params"),
    [
        ({}, {"withProof": "true"}),
        ({"version_id": "2"}, {"withProof": "true", "versionId": "2"}),
        (
            {"version_time": "2026-01-01T00:00:00Z"},
            {"withProof": "true", "versionTime": "2026-01-01T00:00:00Z"},
        ),
        (
            {"version_id": "2", "version_time": "2026-01-01T00:00:00Z"},
            {"withProof": "true", "versionId": "2", "versionTime": "2026-01-01T00:00:00Z"},
        ),
    ],
    ids=["latest", "version-id", "version-time", "both"],
)
def test_the_version_asked_for_is_sent(options: dict[str, str], params: dict[str, str]) -> None:
    sent: list[dict[str, str]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(dict(request.url.params))
        return httpx.Response(400, json=result("did_invalid"))

    transport = httpx.MockTransport(answer)
    client = LedgerClient("http://ledger.test", SIGNER.vkey(), transport=transport)
    assert raised(client, **options).code == "ledger_refused"
    assert sent == [params]
