"""A lying mirror listed first does not stop a client: every server here is real, on
127.0.0.1 (the ledger, and mirrors that followed it and lie on one route). Its answer fails
verification, the client says which server lied and asks the next one; it believes nothing
unproven, and when every server lies it refuses with the first lie's code, naming its server."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Final

import httpx
import pytest

from civicid.errors import Error
from civicid.http import MAX_RESPONSE_BYTES
from civicid.ledger_client import LedgerClient
from civicid.trust import Trust
from cli.harness import free_port, serving
from ledger.app import create_app as ledger_app
from ledger.mirror import Mirror
from ledger.mirror_app import create_mirror_app
from ledger.monitor import TRUST_FILE
from ledger.settings import LedgerSettings
from tests.trust.rogue import Lie, revocation_withheld, verdict_unsupported
from tests.trust.test_rogue_mirror import entry_changed
from tests.verifier.world import LIST_URI, NATIONAL_ID, World

Scope = dict[str, Any]
CAP: Final = 256 * 1024  # room for every genuine answer asked here, not for twice as much


class Lying:
    """An ASGI app's answers, those of ``path`` told through ``lie`` (as ``tests.trust.rogue``
    tells them: None leaves one as it is, a lie is always a 200)."""

    def __init__(self, app: Any, path: str, lie: Lie) -> None:
        self.app, self.path, self.lie = app, path, lie
        self.lied = 0

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def hold(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, hold)
        status, body = start["status"], b"".join(chunks)
        if status in (200, 410):
            query = scope["query_string"].decode("ascii")
            asked = httpx.Request(scope["method"], f"http://mirror{scope['path']}?{query}")
            told = self.lie(asked, json.loads(body))
            if told is not None:
                self.lied += 1
                status, body = 200, json.dumps(told).encode()
        headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode("ascii")))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class Answering:
    """An ASGI app whose answers of ``path`` are ``status`` with ``body`` instead (a refusal
    carries no proof, and any server can say it; nor does an answer that cannot be read)."""

    def __init__(self, app: Any, path: str, status: int, body: bytes, **headers: str) -> None:
        self.app, self.path, self.status, self.body = app, path, status, body
        self.headers = {"content-type": "application/json", **headers}
        self.refused = 0

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        self.refused += 1
        headers = [(k.encode(), v.encode()) for k, v in self.headers.items()]
        headers.append((b"content-length", str(len(self.body)).encode("ascii")))
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})


class Servers:
    """The ledger served on 127.0.0.1, and a mirror of it (a real one, caught up) served
    behind each lie asked for, each on its own port."""

    def __init__(self, world: World, root: Path, stack: ExitStack) -> None:
        self.world, self.stack = world, stack
        app = ledger_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
        self.ledger = stack.enter_context(serving(app, free_port()))
        client = LedgerClient(self.ledger, world.genesis.vkey,
                              trust_file=root / "copy" / TRUST_FILE)  # fmt: skip
        stack.callback(client.close)
        self.mirror = Mirror(client, root / "copy")
        stack.callback(self.mirror.close)

    def lying(self, path: str, lie: Lie) -> tuple[str, Lying]:
        """A mirror brought up to the ledger, served behind ``lie`` on ``path``."""
        assert self.mirror.follow().error is None
        liar = Lying(create_mirror_app(self.mirror, interval=None), path, lie)
        return self.stack.enter_context(serving(liar, free_port())), liar

    def refusing(self, path: str, status: int, code: str) -> tuple[str, Answering]:
        """A mirror brought up to the ledger, refusing every question on ``path``."""
        body = json.dumps({"error": code, "error_description": "no"}).encode()
        return self.answering(path, status, body)

    def answering(
        self, path: str, status: int, body: bytes, **headers: str
    ) -> tuple[str, Answering]:
        """A mirror brought up to the ledger, answering ``status`` and ``body`` on ``path``."""
        assert self.mirror.follow().error is None
        app = create_mirror_app(self.mirror, interval=None)
        liar = Answering(app, path, status, body, **headers)
        return self.stack.enter_context(serving(liar, free_port())), liar

    def client(self, *urls: str, max_bytes: int = MAX_RESPONSE_BYTES) -> LedgerClient:
        world = self.world
        client = LedgerClient(", ".join(urls), world.genesis.vkey, max_bytes=max_bytes,
                              clock=lambda: world.clock.now)  # fmt: skip
        self.stack.callback(client.close)
        return client

    def trust(self, *urls: str) -> Trust:
        return Trust(self.client(*urls), clock=lambda: self.world.clock.now)


@pytest.fixture
def servers(world: World, tmp_path: Path) -> Iterator[Servers]:
    with ExitStack() as stack:
        yield Servers(world, tmp_path, stack)


def revoked_agency(world: World) -> str:
    agency = world.register("agency")
    accreditation = world.accredit(agency, vcts=[NATIONAL_ID])
    world.clock.now += 10
    world.revoke_accreditation(accreditation)
    return agency.did


def said_to_lie(caplog: pytest.LogCaptureFixture, liar: str, code: str) -> bool:
    return any(
        record.levelno == logging.WARNING and liar in record.getMessage() and code in record.message
        for record in caplog.records
    )


def test_a_withheld_revocation_from_the_first_server_is_passed_over(
    world: World, servers: Servers, caplog: pytest.LogCaptureFixture
) -> None:
    agency = revoked_agency(world)
    liar_url, liar = servers.lying("/accreditations", revocation_withheld)
    now = world.clock.now
    told = servers.trust(liar_url, servers.ledger).issuer_standing(agency, NATIONAL_ID, now)
    honest = servers.trust(servers.ledger).issuer_standing(agency, NATIONAL_ID, now)
    assert liar.lied and told == honest and not told.accredited
    assert said_to_lie(caplog, liar_url, "map_proof_invalid")


def test_a_changed_entry_in_a_resolution_is_passed_over(
    world: World, servers: Servers, caplog: pytest.LogCaptureFixture
) -> None:
    did = world.agency.did
    liar_url, liar = servers.lying(f"/1.0/identifiers/{did}", entry_changed)
    client = servers.client(liar_url, servers.ledger)
    resolved = client.resolve(did)
    assert liar.lied and resolved.checkpoint.size == world.ledger.size
    assert resolved.document == servers.client(servers.ledger).resolve(did).document
    assert client.http is client.servers[1]  # the server that answered proven is asked first
    assert said_to_lie(caplog, liar_url, "inclusion_proof_invalid")


def test_when_every_server_lies_the_first_lie_is_refused_naming_each(
    world: World, servers: Servers
) -> None:
    agency = revoked_agency(world)
    withholds, _ = servers.lying("/accreditations", revocation_withheld)
    overstates, _ = servers.lying("/accreditations", verdict_unsupported)
    codes = {withholds: "map_proof_invalid", overstates: "ledger_answer_mismatch"}
    for first, second in ((withholds, overstates), (overstates, withholds)):
        with pytest.raises(Error) as caught:
            servers.trust(first, second).issuer_standing(agency, NATIONAL_ID, world.clock.now)
        assert caught.value.code == codes[first]
        assert caught.value.details["server"] == first and first in caught.value.message
        assert caught.value.details["refused"] == codes
        assert f"{second}: {codes[second]}" in caught.value.message


def test_a_lie_before_a_dead_ledger_is_refused_naming_the_liar(
    world: World, servers: Servers
) -> None:
    """Nothing else answers: the lie's own code, not the dead server's."""
    agency = revoked_agency(world)
    liar_url, liar = servers.lying("/accreditations", revocation_withheld)
    dead = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(Error) as caught:
        servers.trust(liar_url, dead).issuer_standing(agency, NATIONAL_ID, world.clock.now)
    assert caught.value.code == "map_proof_invalid" and liar.lied
    assert caught.value.details["server"] == liar_url
    assert "no other server answered" in caught.value.message


@pytest.mark.parametrize(("status", "code"), [(404, "accreditation_not_found"), (403, "no")])
def test_a_refusal_without_proof_from_the_first_server_is_passed_over(
    world: World, servers: Servers, caplog: pytest.LogCaptureFixture, status: int, code: str
) -> None:
    agency = revoked_agency(world)
    liar_url, liar = servers.refusing("/accreditations", status, code)
    now = world.clock.now
    told = servers.trust(liar_url, servers.ledger).issuer_standing(agency, NATIONAL_ID, now)
    assert liar.refused and told == servers.trust(servers.ledger).issuer_standing(
        agency, NATIONAL_ID, now
    )
    # Said in the client's own code: the refusal's is the liar's choice.
    assert said_to_lie(caplog, liar_url, "ledger_refused")


def test_a_resolution_refused_without_proof_is_asked_of_the_next_server(
    world: World, servers: Servers
) -> None:
    did = world.agency.did
    liar_url, liar = servers.refusing(f"/1.0/identifiers/{did}", 400, "invalid_did")
    resolved = servers.client(liar_url, servers.ledger).resolve(did)
    assert liar.refused and resolved.checkpoint.size == world.ledger.size


def test_a_refusal_every_server_makes_is_the_first_ones(world: World, servers: Servers) -> None:
    did = world.agency.did
    first, _ = servers.refusing(f"/1.0/identifiers/{did}", 400, "invalid_did")
    second, _ = servers.refusing(f"/1.0/identifiers/{did}", 403, "resolution_refused")
    with pytest.raises(Error) as caught:
        servers.client(first, second).resolve(did)
    assert caught.value.code == "ledger_refused" and caught.value.details["server"] == first
    assert caught.value.details["ledger_code"] == "invalid_did"
    assert caught.value.details["refused"] == {first: "ledger_refused", second: "ledger_refused"}


@pytest.mark.parametrize(
    ("path", "status", "body", "headers", "code"),
    [
        ("/checkpoint", 200, b"x" * (2 * CAP), {}, "http_response_too_large"),
        ("/checkpoint", 302, b"", {"location": "http://127.0.0.1:9/"}, "http_response_malformed"),
        ("/accreditations", 200, b"[[[", {}, "http_response_malformed"),
        ("/status-lists", 200, b"{}", {}, "ledger_content_type"),
    ],
    ids=["too-large", "redirect", "not-json", "not-a-token"],
)
def test_an_answer_that_cannot_be_read_is_asked_of_the_next_server(
    world: World,
    servers: Servers,
    caplog: pytest.LogCaptureFixture,
    path: str,
    status: int,
    body: bytes,
    headers: dict[str, str],
    code: str,
) -> None:
    agency = revoked_agency(world)
    liar_url, liar = servers.answering(path, status, body, **headers)
    client = servers.client(liar_url, servers.ledger, max_bytes=CAP)
    trust = Trust(client, clock=lambda: world.clock.now)
    assert client.checkpoint().size == world.ledger.size
    assert not trust.issuer_standing(agency, NATIONAL_ID, world.clock.now).accredited
    assert client.status_list_token(LIST_URI).count(".") == 2
    assert liar.refused and said_to_lie(caplog, liar_url, code)


def test_each_server_that_fails_is_passed_over_in_order(
    world: World, servers: Servers, caplog: pytest.LogCaptureFixture
) -> None:
    """A lie, then an answer too large to read (a failure of its own kind, not one of
    reaching the server), then the ledger's proven answer."""
    agency = revoked_agency(world)
    first, _ = servers.lying("/accreditations", revocation_withheld)
    second, _ = servers.answering("/accreditations", 200, b"x" * (2 * CAP))
    client = servers.client(first, second, servers.ledger, max_bytes=CAP)
    standing = Trust(client, clock=lambda: world.clock.now).issuer_standing(
        agency, NATIONAL_ID, world.clock.now
    )
    assert not standing.accredited and client.http is client.servers[2]
    told = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert len(told) == 2, told
    assert first in told[0] and told[0].endswith(f"asking {second}")
    assert second in told[1] and told[1].endswith(f"asking {servers.ledger}")


def test_a_failure_no_server_answered_is_raised_as_it_is(world: World, servers: Servers) -> None:
    """A stale checkpoint the caller gives: no server said it, none is asked instead."""
    old = world.ledger.checkpoint
    liar_url, _ = servers.lying("/accreditations", revocation_withheld)
    world.clock.now += 10
    world.register("agency")
    client = servers.client(servers.ledger, liar_url)
    assert client.checkpoint().size == world.ledger.size
    with pytest.raises(Error) as caught:
        client.accept_checkpoint(old)
    assert caught.value.code == "ledger_answer_stale" and "server" not in caught.value.details
