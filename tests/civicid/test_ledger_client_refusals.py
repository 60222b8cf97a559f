"""A ledger's error answer to a read is the client's own ``ledger_refused`` (4xx) or
``ledger_failed`` (5xx), the ledger's code and words kept in details: a lying ledger cannot
choose the code a desk or wallet shows (before, its ``status_revoked`` was raised as it came).
A write's refusal stays the ledger's (it is the authority on what it logged), and a code the
client decides itself stays its own."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from civicid.checkpoint import NoteSigner
from civicid.errors import Error, Unavailable
from civicid.ledger_client import LEDGER_FAILED, LEDGER_REFUSED, LedgerClient

ORIGIN = "ledger.example/refusals"
SIGNER = NoteSigner.generate(ORIGIN)
LIE = {"error": "status_revoked", "error_description": "the credential is revoked"}
DID = "did:example:someone"


def ledger(status: int, body: Any = LIE) -> LedgerClient:
    def answer(_: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body)

    return LedgerClient("http://ledger.test", SIGNER.vkey(), transport=httpx.MockTransport(answer))


READS = {
    "checkpoint": lambda c: c.checkpoint(),
    "entry": lambda c: c.entry(3),
    "status list token": lambda c: c.status_list_token("https://issuer.example/lists/1"),
    "json": lambda c: c.get_json("/credential-types", {"vct": "https://x.example/t"}),
    "proven json": lambda c: c.get_json(
        "/credential-types", {"vct": "https://x.example/t"}, absent=("type", "x")
    ),
    "resolution": lambda c: c.resolve(DID),
    "resolution of a version": lambda c: c.resolve(DID, version_id="2"),
    "status list": lambda c: c.status_list("https://issuer.example/lists/1"),
}


def raised(client: LedgerClient, read: Any) -> Error:
    with pytest.raises(Error) as exc:
        read(client)
    client.close()
    return exc.value


# A 404 the client can prove (an absence), and a deactivated DID's 410 (a resolution result),
# are answers with their own rules: tested beside (``test_a_not_found_without_proof...``).
# A 404 of a resolution without a resolution's error result is a refusal like any other.
ANSWERS = {
    (404, "proven json"),
    (404, "status list"),
    (410, "resolution"),
    (410, "resolution of a version"),
}
REFUSALS = [
    pytest.param(status, read, id=f"{status}-{name}")
    for status in (400, 403, 404, 409, 410, 413, 418, 429, 451, 499)
    for name, read in READS.items()
    if (status, name) not in ANSWERS
]


@pytest.mark.parametrize(("status", "read"), REFUSALS)
def test_a_refusal_of_a_read_is_the_clients_own_code(status: int, read: Any) -> None:
    error = raised(ledger(status), read)
    assert LEDGER_REFUSED.matches(error), error
    assert isinstance(error, Unavailable)
    assert error.details["ledger_status"] == status
    assert error.details["ledger_code"] == "status_revoked"
    assert error.details["ledger_message"] == "the credential is revoked"
    assert error.message == (
        f"the ledger answered HTTP {status}; its error is in the details, and proves nothing"
    )


@pytest.mark.parametrize("status", [500, 502, 503, 599])
@pytest.mark.parametrize("read", READS.values(), ids=READS.keys())
def test_a_failure_to_answer_a_read_is_the_clients_own_code(status: int, read: Any) -> None:
    error = raised(ledger(status), read)
    assert LEDGER_FAILED.matches(error), error
    assert error.details["ledger_status"] == status
    assert error.details["ledger_code"] == "status_revoked"


def test_a_refusal_without_a_body_keeps_its_status() -> None:
    error = raised(ledger(404, body=None), READS["entry"])
    assert LEDGER_REFUSED.matches(error)
    assert error.details == {"ledger_status": 404, "ledger_code": "http_404", "ledger_message": ""}


@pytest.mark.parametrize("read", ["proven json", "status list"])
def test_a_not_found_without_proof_is_unproven_not_the_ledgers_word(read: str) -> None:
    error = raised(ledger(404, {**LIE, "details": {}}), READS[read])
    assert error.code == "ledger_answer_unproven", error


@pytest.mark.parametrize("read", ["resolution", "resolution of a version"])
def test_a_deactivated_dids_410_is_a_result_to_prove(read: str) -> None:
    assert raised(ledger(410), READS[read]).code == "resolution_unproven"


def test_a_refused_write_is_the_ledgers_own_code() -> None:
    sent: list[tuple[str, bytes]] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        sent.append((request.method, request.content))
        return httpx.Response(409, json={"error": "did_exists", "error_description": "taken"})

    client = LedgerClient(
        "http://ledger.test", SIGNER.vkey(), transport=httpx.MockTransport(refuse)
    )
    with pytest.raises(Error) as exc:
        client.send("a.b.c")
    client.close()
    assert exc.value.code == "did_exists" and exc.value.message == "taken"
    assert sent == [("POST", b"a.b.c")]  # the transaction was sent, as given
