"""Which server the ledger client asks, against scripted servers: a read starts with the one
that answered last and moves on from one that cannot be reached, times out or answers 500
and up (an answer below 500 is the answer); a write starts with the ledger, the first URL,
whichever answered last; when every server fails, the last failure is said. A "not found"
the caller needs proven is believed only with a proof of absence."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from civicid.checkpoint import NoteSigner
from civicid.errors import Error
from civicid.ledger_client import LedgerClient

ORIGIN = "ledger.example/requests"
SIGNER = NoteSigner.generate(ORIGIN)
HOSTS = ("ledger.test", "mirror-1.test", "mirror-2.test")
Handler = Callable[[httpx.Request], httpx.Response]


class Servers:
    def __init__(self) -> None:
        self.asked: list[str] = []
        self.answer: dict[str, Handler] = {host: self.fine for host in HOSTS}

    @staticmethod
    def fine(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"from": request.url.host})

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.asked.append(request.url.host)
        return self.answer[request.url.host](request)

    def client(self) -> LedgerClient:
        urls = ",".join(f"http://{host}" for host in HOSTS)
        return LedgerClient(urls, SIGNER.vkey(), transport=httpx.MockTransport(self.handle))


def status(code: int) -> Handler:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(code, json={"error": "some_error", "error_description": "no"})

    return answer


def refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def timed_out(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("no answer in time", request=request)


@pytest.mark.parametrize(
    "failure",
    [refused, timed_out, status(500), status(503)],
    ids=["refused", "timed-out", "500", "503"],
)
def test_a_read_moves_on_and_then_starts_where_it_was_answered(failure: Handler) -> None:
    servers = Servers()
    servers.answer["ledger.test"] = failure
    client = servers.client()
    assert client.get_json("/x", {}) == {"from": "mirror-1.test"}
    assert client.get_json("/x", {}) == {"from": "mirror-1.test"}
    assert servers.asked == ["ledger.test", "mirror-1.test", "mirror-1.test"]
    servers.answer["mirror-1.test"] = failure
    assert client.get_json("/x", {}) == {"from": "mirror-2.test"}
    servers.answer["ledger.test"] = servers.fine
    servers.answer["mirror-2.test"] = failure
    assert client.get_json("/x", {}) == {"from": "ledger.test"}  # round to the first again
    assert servers.asked[3:] == ["mirror-1.test", "mirror-2.test", "mirror-2.test", "ledger.test"]
    client.close()


@pytest.mark.parametrize("code", [400, 404, 409, 499])
def test_an_answer_below_500_is_the_answer(code: int) -> None:
    servers = Servers()
    servers.answer["ledger.test"] = status(code)
    client = servers.client()
    with pytest.raises(Error) as exc:
        client.get_json("/x", {})
    # In the client's own code, the ledger's kept beside it (a liar picks no code of ours).
    assert exc.value.code == "ledger_refused" and servers.asked == ["ledger.test"]
    assert exc.value.details["ledger_code"] == "some_error"
    client.close()


def test_a_write_starts_with_the_ledger_whichever_answered_last() -> None:
    servers = Servers()
    servers.answer["ledger.test"] = refused
    client = servers.client()
    assert client.get_json("/x", {}) == {"from": "mirror-1.test"}
    servers.answer["ledger.test"] = servers.fine
    assert client.send("a.b.c") == {"from": "ledger.test"}
    assert servers.asked == ["ledger.test", "mirror-1.test", "ledger.test"]
    # And a write the ledger answered 5xx is that answer: it may have been logged.
    servers.answer["ledger.test"] = status(503)
    with pytest.raises(Error) as exc:
        client.send("a.b.c")
    assert exc.value.code == "some_error" and servers.asked[3:] == ["ledger.test"]
    client.close()


def test_when_every_server_fails_the_last_failure_is_said() -> None:
    servers = Servers()
    servers.answer = {"ledger.test": refused, "mirror-1.test": status(500),
                      "mirror-2.test": timed_out}  # fmt: skip
    client = servers.client()
    with pytest.raises(Error) as exc:
        client.get_json("/x", {})
    assert exc.value.code == "http_deadline" and servers.asked == list(HOSTS)
    servers.asked.clear()
    servers.answer["mirror-2.test"] = status(502)
    with pytest.raises(Error) as exc:
        client.get_json("/x", {})
    # Started with the last server asked; its 502 is said after the others failed.
    assert exc.value.code == "ledger_failed" and exc.value.details["ledger_code"] == "some_error"
    assert servers.asked == ["mirror-2.test", "ledger.test", "mirror-1.test"]
    client.close()


@pytest.mark.parametrize(
    "details",
    [None, "proof", ["stateMap"], {}, {"checkpoint": "x"}, {"proof": {"stateMap": {}}}],
    ids=repr,
)
def test_not_found_without_a_proof_of_absence_is_unproven(details: object) -> None:
    servers = Servers()

    def not_found(request: httpx.Request) -> httpx.Response:
        body: dict[str, object] = {"error": "did_not_found", "error_description": "none"}
        if details is not None:
            body["details"] = details
        return httpx.Response(404, json=body)

    servers.answer["ledger.test"] = not_found
    client = servers.client()
    with pytest.raises(Error) as exc:
        client.get_json("/x", {}, absent=("did", "did:example:a"))
    assert exc.value.code == "ledger_answer_unproven"
    assert "did:example:a" in exc.value.message
    # Not asked to prove it: a refusal, the ledger's code kept in details.
    with pytest.raises(Error) as exc:
        client.get_json("/x", {})
    assert exc.value.code == "ledger_refused"
    assert exc.value.details["ledger_code"] == "did_not_found"
    client.close()


def test_a_proof_of_absence_that_is_no_proof_is_malformed() -> None:
    servers = Servers()

    def not_found(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            404,
            json={"error": "x", "error_description": "none", "details": {"stateMap": "nope"}},
        )

    servers.answer["ledger.test"] = not_found
    client = servers.client()
    with pytest.raises(Error) as exc:
        client.get_json("/x", {}, absent=("did", "did:example:a"))
    assert exc.value.code == "ledger_answer_malformed"
    client.close()


def test_every_server_is_asked_within_the_clients_limits() -> None:
    asked: list[str] = []

    def big(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        return httpx.Response(200, json={"pad": "x" * 2000})

    client = LedgerClient(
        "http://ledger.test,http://mirror-1.test/base",
        SIGNER.vkey(),
        transport=httpx.MockTransport(big),
        timeout=1.5,
        deadline=2.5,
        max_bytes=1234,
    )
    for server, url in zip(client.servers, ["http://ledger.test", "http://mirror-1.test/base"],
                           strict=True):  # fmt: skip
        assert str(server.http.base_url).rstrip("/") == url
        assert server.http.timeout == httpx.Timeout(1.5)
        assert (server.deadline, server.max_bytes) == (2.5, 1234)
    for server in client.servers:
        client.http = server
        with pytest.raises(Error) as exc:
            client.get_json("/x", {})
        assert exc.value.code == "http_response_too_large"
    assert asked == ["http://ledger.test/x", "http://mirror-1.test/base/x"]
    client.close()
