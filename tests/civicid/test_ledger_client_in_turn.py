"""``LedgerClient.in_turn`` against scripted servers: a read whose answer fails verification,
or is a refusal without proof (a 4xx), is asked again of the next server (round from the
last, each passed over once and named); when every server's fails, the first failure is
raised as its own type and code, naming its server and the others' codes (a refusal in the
client's own code, ``ledger_refused``: the server's kept in details). A failure no
server's answer made is raised as it is, and a write inside a read is not part of the turn."""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
import pytest

from civicid.checkpoint import NoteSigner
from civicid.errors import Error, NotFound, Unavailable, VerificationError
from civicid.ledger_client import STATUS_LIST_MEDIA, LedgerClient

ORIGIN = "ledger.example/in-turn"
SIGNER = NoteSigner.generate(ORIGIN)
HOSTS = ("ledger.test", "mirror-1.test", "mirror-2.test")
URLS = tuple(f"http://{host}" for host in HOSTS)
Handler = Callable[[httpx.Request], httpx.Response]


def fine(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"from": request.url.host})


def lying(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"from": request.url.host, "lie": True})


def status(code: int, error: str = "told_no") -> Handler:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(code, json={"error": error, "error_description": "no"})

    return answer


def refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


class Servers:
    def __init__(self, hosts: tuple[str, ...] = HOSTS) -> None:
        self.hosts = hosts
        self.asked: list[str] = []
        self.answer: dict[str, Handler] = dict.fromkeys(hosts, fine)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.asked.append(f"{request.method} {request.url.host}")
        return self.answer[request.url.host](request)

    def client(self) -> LedgerClient:
        urls = ",".join(f"http://{host}" for host in self.hosts)
        return LedgerClient(urls, SIGNER.vkey(), transport=httpx.MockTransport(self.handle))


def read(client: LedgerClient) -> Callable[[], str]:
    """A read verified as the client verifies one: an answer marked a lie fails, with a code
    of its server's own."""

    def asked() -> str:
        body = client.get_json("/x", {})
        if body.get("lie"):
            host = body["from"]
            raise VerificationError(f"lie_of_{host.split('.')[0]}", "no proof", host=host)
        return str(body["from"])

    return asked


def gets(*hosts: str) -> list[str]:
    return [f"GET {host}" for host in hosts]


def test_a_lie_is_passed_over_named_and_the_next_server_asked_first_after(
    caplog: pytest.LogCaptureFixture,
) -> None:
    servers = Servers()
    servers.answer["ledger.test"] = lying
    with servers.client() as client, caplog.at_level(logging.WARNING):
        assert client.in_turn(read(client)) == "mirror-1.test"
        assert client.http is client.servers[1]
        assert client.in_turn(read(client)) == "mirror-1.test"
    assert servers.asked == gets("ledger.test", "mirror-1.test", "mirror-1.test")
    (said,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "http://ledger.test" in said and "(lie_of_ledger: no proof)" in said
    assert said.endswith("asking http://mirror-1.test")


def test_the_turn_goes_round_from_the_server_asked_first() -> None:
    servers = Servers()
    servers.answer["mirror-1.test"] = servers.answer["mirror-2.test"] = lying
    with servers.client() as client:
        client.http = client.servers[1]
        assert client.in_turn(read(client)) == "ledger.test"
        assert client.http is client.servers[0]
    assert servers.asked == gets("mirror-1.test", "mirror-2.test", "ledger.test")


def test_when_every_server_lies_the_first_lie_is_raised_naming_each() -> None:
    servers = Servers()
    servers.answer = dict.fromkeys(HOSTS, lying)
    with servers.client() as client:
        client.http = client.servers[2]
        with pytest.raises(VerificationError) as caught:
            client.in_turn(read(client))
    error = caught.value
    assert error.code == "lie_of_mirror-2"
    assert isinstance(error.__cause__, Error) and error.__cause__.code == "lie_of_mirror-2"
    assert error.details["server"] == "http://mirror-2.test"
    assert error.details["host"] == "mirror-2.test"  # the first failure's own details kept
    assert error.details["refused"] == {
        "http://mirror-2.test": "lie_of_mirror-2",
        "http://ledger.test": "lie_of_ledger",
        "http://mirror-1.test": "lie_of_mirror-1",
    }
    assert error.message == (
        "no proof (the answer of http://mirror-2.test; also refused: "
        "http://ledger.test: lie_of_ledger, http://mirror-1.test: lie_of_mirror-1)"
    )
    assert servers.asked == gets("mirror-2.test", "ledger.test", "mirror-1.test")


@pytest.mark.parametrize("code", [400, 403, 404, 499])
def test_a_refusal_without_proof_is_asked_of_the_next_server(code: int) -> None:
    servers = Servers()
    servers.answer["ledger.test"] = status(code)
    with servers.client() as client:
        assert client.in_turn(read(client)) == "mirror-1.test"
    assert servers.asked == gets("ledger.test", "mirror-1.test")


def test_a_refusal_by_every_server_is_the_first_one_naming_its_server() -> None:
    servers = Servers(HOSTS[:2])
    servers.answer = {"ledger.test": status(403, "not_yours"), "mirror-1.test": status(409)}
    with servers.client() as client, pytest.raises(Unavailable) as caught:
        client.in_turn(read(client))
    assert caught.value.code == "ledger_refused"
    assert caught.value.details["ledger_code"] == "not_yours"
    assert caught.value.details["server"] == "http://ledger.test"
    assert caught.value.details["refused"] == {
        "http://ledger.test": "ledger_refused",
        "http://mirror-1.test": "ledger_refused",
    }
    assert servers.asked == gets("ledger.test", "mirror-1.test")


def test_a_5xx_of_the_last_server_is_its_own_answer_not_a_refusal() -> None:
    """Outside a lie, a server error is the request's failure (tried on the others first)."""
    servers = Servers(HOSTS[:2])
    servers.answer = {"ledger.test": status(503, "busy"), "mirror-1.test": status(500)}
    with servers.client() as client, pytest.raises(Unavailable) as caught:
        client.in_turn(read(client))
    assert caught.value.code == "ledger_failed" and "server" not in caught.value.details
    assert caught.value.details["ledger_code"] == "told_no"
    assert servers.asked == gets("ledger.test", "mirror-1.test")


def test_a_lie_then_no_other_server_reachable_is_the_lie() -> None:
    servers = Servers()
    servers.answer = {"ledger.test": lying, "mirror-1.test": refused, "mirror-2.test": status(502)}
    with servers.client() as client, pytest.raises(VerificationError) as caught:
        client.in_turn(read(client))
    assert caught.value.code == "lie_of_ledger"
    assert caught.value.details["refused"] == {"http://ledger.test": "lie_of_ledger"}
    cause = caught.value.__cause__
    assert isinstance(cause, Error) and cause.code == "lie_of_ledger"
    assert "no other server answered" in caught.value.message
    assert servers.asked == gets("ledger.test", "mirror-1.test", "mirror-2.test")


def test_a_lie_then_an_unreachable_server_then_a_proven_answer() -> None:
    servers = Servers()
    servers.answer = {"ledger.test": lying, "mirror-1.test": refused, "mirror-2.test": fine}
    with servers.client() as client:
        assert client.in_turn(read(client)) == "mirror-2.test"
    assert servers.asked == gets("ledger.test", "mirror-1.test", "mirror-2.test")


def token(content_type: str) -> Handler:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="a.b.c", headers={"content-type": content_type})

    return answer


def test_a_wrong_content_type_after_a_lie_is_passed_over_too() -> None:
    """``ledger_content_type`` is an Unavailable that is an answer unproven, not a server
    that could not answer: the next server is asked."""
    servers = Servers()
    servers.answer = {"ledger.test": status(404), "mirror-1.test": token("text/plain"),
                      "mirror-2.test": token(STATUS_LIST_MEDIA)}  # fmt: skip
    with servers.client() as client:
        assert client.status_list_token("https://issuer.test/lists/1") == "a.b.c"
    assert servers.asked == gets(*HOSTS)


@pytest.mark.parametrize(
    "answer",
    [
        lambda request: httpx.Response(200, text="not json"),
        lambda request: httpx.Response(200, json=["not", "an", "object"]),
        lambda request: httpx.Response(200, json={"pad": "x" * 5000}),
        lambda request: httpx.Response(200, content=b"{}", headers={"content-encoding": "zz"}),
    ],
    ids=["not-json", "not-an-object", "too-large", "unknown-encoding"],
)
def test_an_unreadable_answer_is_passed_over(answer: Handler) -> None:
    servers = Servers()
    servers.answer["ledger.test"] = answer
    transport = httpx.MockTransport(servers.handle)
    client = LedgerClient(",".join(URLS), SIGNER.vkey(), transport=transport, max_bytes=1000)
    with client:
        assert client.in_turn(read(client)) == "mirror-1.test"
    assert servers.asked == gets("ledger.test", "mirror-1.test")


def test_a_failure_no_answer_made_is_raised_as_it_is() -> None:
    servers = Servers()

    def before_asking() -> str:
        raise VerificationError("caller_note_invalid", "given, not answered")

    def after_an_answer() -> str:
        read(client)()
        raise NotFound("proven_absent", "an answer, proven")

    with servers.client() as client:
        with pytest.raises(VerificationError) as caught:
            client.in_turn(before_asking)
        assert caught.value.code == "caller_note_invalid" and caught.value.details == {}
        assert servers.asked == []
        with pytest.raises(NotFound) as found:
            client.in_turn(after_an_answer)
        assert found.value.code == "proven_absent" and found.value.details == {}
    assert servers.asked == gets("ledger.test")


def test_a_lie_after_a_failure_no_answer_made_is_not_blamed_on_the_last_server() -> None:
    """Each try starts afresh: the server that answered a try before is not the one that
    made this try's failure."""
    servers = Servers()
    servers.answer["ledger.test"] = lying
    tries: list[int] = []

    def flaky() -> str:
        tries.append(1)
        if len(tries) == 2:
            raise VerificationError("caller_note_invalid", "given, not answered")
        return read(client)()

    with servers.client() as client, pytest.raises(VerificationError) as caught:
        client.in_turn(flaky)
    assert caught.value.code == "caller_note_invalid" and "server" not in caught.value.details
    assert len(tries) == 2 and servers.asked == gets("ledger.test")


def test_a_refusal_said_in_a_try_before_is_not_this_tries_failure() -> None:
    """The same error raised again by the caller after a proven answer is not the answering
    server's lie (it is not passed over): the first server's refusal is said, naming it."""
    servers = Servers()
    servers.answer["ledger.test"] = status(403)
    tries: list[Error] = []

    def again() -> str:
        try:
            read(client)()
        except Error as exc:
            tries.append(exc)
            raise
        raise tries[0]

    with servers.client() as client, pytest.raises(Unavailable) as caught:
        client.in_turn(again)
    assert caught.value.code == "ledger_refused"
    assert caught.value.details["server"] == "http://ledger.test"
    assert caught.value.details["refused"] == {"http://ledger.test": "ledger_refused"}
    assert servers.asked == gets("ledger.test", "mirror-1.test")


def test_one_server_is_asked_once_and_its_failure_raised_as_it_is() -> None:
    servers = Servers(HOSTS[:1])
    servers.answer["ledger.test"] = lying
    with servers.client() as client:
        with pytest.raises(VerificationError) as caught:
            client.in_turn(read(client))
        assert caught.value.details == {"host": "ledger.test"}
        servers.answer["ledger.test"] = status(403)
        with pytest.raises(Unavailable) as told:
            client.in_turn(read(client))
        assert told.value.code == "ledger_refused"
        assert told.value.details == {
            "ledger_status": 403, "ledger_code": "told_no", "ledger_message": "no"
        }  # fmt: skip
    assert servers.asked == gets("ledger.test", "ledger.test")


def test_a_read_nested_in_a_turn_is_part_of_it() -> None:
    servers = Servers()
    servers.answer["ledger.test"] = lying
    with servers.client() as client:
        outer: list[str] = []

        def nested() -> str:
            outer.append(client.in_turn(read(client)))
            return outer[-1]

        assert client.in_turn(nested) == "mirror-1.test"
        assert outer == ["mirror-1.test"]  # the inner lie was the outer read's, asked again
    assert servers.asked == gets("ledger.test", "mirror-1.test")


def test_a_turn_ended_leaves_no_turn_behind() -> None:
    servers = Servers()
    servers.answer["ledger.test"] = lying
    with servers.client() as client:
        assert client.in_turn(read(client)) == "mirror-1.test"
        servers.answer["mirror-1.test"] = status(403)
        with pytest.raises(Unavailable) as told:  # outside a turn, a refusal is the answer
            client.get_json("/x", {})
        assert told.value.code == "ledger_refused"
        servers.answer["mirror-1.test"] = servers.answer["mirror-2.test"] = lying
        servers.answer["ledger.test"] = fine
        assert client.in_turn(read(client)) == "ledger.test"  # a new turn, liars forgotten
    assert servers.asked == gets("ledger.test", "mirror-1.test", "mirror-1.test", "mirror-1.test",
                                 "mirror-2.test", "ledger.test")  # fmt: skip


def test_a_write_inside_a_turn_goes_to_the_ledger_and_is_not_its_answer() -> None:
    servers = Servers()
    servers.answer["ledger.test"] = lying

    def write_then_read() -> str:
        client.send("a.b.c")
        return read(client)()

    with servers.client() as client:
        assert client.in_turn(write_then_read) == "mirror-1.test"
    # The write goes to the ledger each time, passed over or not for reads.
    assert servers.asked == [
        "POST ledger.test", "GET ledger.test", "POST ledger.test", "GET mirror-1.test"
    ]  # fmt: skip


def resolution_error(code: int, error: str) -> Handler:
    def answer(request: httpx.Request) -> httpx.Response:
        metadata = {"error": {"code": error, "title": "no"}}
        return httpx.Response(code, json={"didResolutionMetadata": metadata})

    return answer


def test_resolution_errors_below_500_are_refusals_asked_of_the_next_server() -> None:
    servers = Servers()
    servers.answer = {"ledger.test": resolution_error(403, "not_yours"),
                      "mirror-1.test": resolution_error(400, "bad_did"),
                      "mirror-2.test": resolution_error(409, "odd")}  # fmt: skip
    with servers.client() as client, pytest.raises(Unavailable) as caught:
        client.resolve("did:civicid:abc", version_id="1")
    assert caught.value.code == "ledger_refused"
    assert caught.value.details["ledger_code"] == "not_yours"
    assert caught.value.details["refused"] == {
        "http://ledger.test": "ledger_refused",
        "http://mirror-1.test": "ledger_refused",
        "http://mirror-2.test": "ledger_refused",
    }
    assert servers.asked == gets(*HOSTS)


def test_a_resolution_error_of_500_after_a_refusal_is_no_refusal_of_its_own() -> None:
    servers = Servers(HOSTS[:2])
    servers.answer = {"ledger.test": resolution_error(403, "not_yours"),
                      "mirror-1.test": resolution_error(500, "broken")}  # fmt: skip
    with servers.client() as client, pytest.raises(Unavailable) as caught:
        client.resolve("did:civicid:abc", version_id="1")
    assert caught.value.code == "ledger_refused"
    assert caught.value.details["ledger_code"] == "not_yours"
    assert caught.value.details["refused"] == {"http://ledger.test": "ledger_refused"}
    assert servers.asked == gets(*HOSTS[:2])


def test_a_resolution_error_outside_a_turn_is_the_answer() -> None:
    servers = Servers(HOSTS[:1])
    servers.answer["ledger.test"] = resolution_error(403, "not_yours")
    with servers.client() as client, pytest.raises(Unavailable) as caught:
        client.resolve("did:civicid:abc", version_id="1")
    assert caught.value.code == "ledger_refused"
    assert caught.value.details == {
        "ledger_status": 403, "ledger_code": "not_yours", "ledger_message": "no"
    }  # fmt: skip


@pytest.mark.parametrize("code", [422, 429, 499])
def test_a_refusal_of_no_named_kind_after_a_lie_is_passed_over_too(code: int) -> None:
    """A 4xx the client has no error type for (too many requests, say) is still a refusal
    without proof, not a server that could not answer: the next server is asked."""
    servers = Servers()
    servers.answer = {"ledger.test": lying, "mirror-1.test": status(code), "mirror-2.test": fine}
    with servers.client() as client:
        assert client.in_turn(read(client)) == "mirror-2.test"
    assert servers.asked == gets(*HOSTS)


def too_large(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"pad": "x" * 5000})


def test_an_unreadable_answer_of_the_last_server_asked_is_passed_over_too() -> None:
    servers = Servers(HOSTS[:2])
    servers.answer = {"ledger.test": status(503, "busy"), "mirror-1.test": too_large}
    transport = httpx.MockTransport(servers.handle)
    client = LedgerClient(",".join(URLS[:2]), SIGNER.vkey(), transport=transport, max_bytes=1000)
    with client, pytest.raises(Unavailable) as caught:
        client.in_turn(read(client))
    # The ledger, busy, then the mirror's answer too large, then the ledger again: the
    # mirror's is the failure said, named as its answer.
    assert caught.value.code == "http_response_too_large"
    assert caught.value.details["server"] == "http://mirror-1.test"
    assert servers.asked == gets("ledger.test", "mirror-1.test", "ledger.test")
