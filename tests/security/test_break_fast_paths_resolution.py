"""Attack on resolution's fast path (the app's direct answer and the rendered answers it
keeps): every request the direct answer takes is answered as the framework's route answers
it (status, body, headers), odd paths and options included, over real HTTP too; a DID
updated, deactivated or moved under a new checkpoint is answered in its new state at once,
each answer with proofs verified by the kernel client against the checkpoint served; no
query variant adds to what is kept; a DID with a newline (``%0A``) read alike by every route,
never as the DID without it."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from civicid.ledger_client import LedgerClient
from cli.harness import free_port, serving
from ledger.app import create_app
from ledger.routes import resolution as resolution_routes
from ledger.settings import LedgerSettings
from tests.ledger.conftest import World

PREFIX = resolution_routes.PATH_PREFIX


@pytest.fixture
def app(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)) as c:
        yield c


@pytest.fixture
def live(app: TestClient) -> Iterator[str]:
    with serving(app.app, free_port()) as url:
        yield url


def answered(response: httpx.Response) -> tuple[int, bytes, list[tuple[str, str]]]:
    """Status, body and the headers a route sets (the server's own date and name aside)."""
    kept = [(k, v) for k, v in response.headers.items() if k not in ("date", "server")]
    return response.status_code, response.content, kept


def on_wire(
    live: str, target: str, headers: dict[str, str], method: str = "GET"
) -> tuple[int, bytes, list[tuple[str, str]]]:
    """The answer to ``target`` sent as it is (no client normalises its dot segments)."""
    where = urlsplit(live)
    connection = http.client.HTTPConnection(where.hostname or "", where.port, timeout=30)
    try:
        connection.request(method, target, headers=headers)
        response = connection.getresponse()
        body = response.read()
        kept = [
            (k.lower(), v) for k, v in response.getheaders() if k.lower() not in ("date", "server")
        ]
        return response.status, body, kept
    finally:
        connection.close()


def test_odd_paths_and_options_are_answered_as_the_framework_answers_them(
    world: World, app: TestClient, live: str
) -> None:
    """Percent-encoded colons and slashes, double slashes, dot segments, the bare prefix, a
    very long DID, non-ASCII, NUL; options repeated, blank, malformed, huge; Accept variants:
    the direct answer (in process and on the wire) is the framework route's, byte for byte."""
    agency = world.register()
    dids = [
        agency.did,
        agency.did.replace(":", "%3A"),
        agency.did.replace("did:civicid:", "did:civicid%2F"),
        "/" + agency.did,
        agency.did + "/",
        agency.did + "/..",
        "..%2F" + agency.did,
        "",
        "did:civicid:" + "a" * 4000,
        agency.did + "%00",
        "did:civicid:%C3%A9",
    ]
    queries = [
        "",
        "withProof=true",
        "withProof=true&withProof=false",
        "withProof=TRUE&versionId=1&versionId=",
        "versionId=1&versionTime=2020-01-01T00:00:00Z",
        "versionTime=%FF%FE",
        "%zz=1&&&=&withProof",
        "versionId=" + "1" * 3000,
    ]
    accepts = [None, "application/did", "application/did+ld+json, */*", "*/*"]
    framework = TestClient(app.app, root_path="/under")
    for did in dids:
        for query in queries:
            for accept in accepts:
                headers = {"accept": accept} if accept is not None else {}
                url = PREFIX + did + (f"?{query}" if query else "")
                if did.endswith("/.."):  # an in-process client drops it with the DID before it
                    wire = on_wire(live, url, headers)
                    refused = json.loads(wire[1])["didResolutionMetadata"]["error"]["code"]
                    assert wire[0] == 400, (query[:60], accept)  # the options are read first
                    assert refused in {"did_invalid", "resolution_options_invalid"}, refused
                    assert refused == "did_invalid" or query, query
                    continue
                fast = app.get(url, headers=headers)
                slow = framework.get(url, headers=headers)
                assert answered(fast) == answered(slow), (did[:60], query[:60], accept)
                wire = on_wire(live, url, headers)
                assert wire == answered(fast), (did[:60], query[:60], accept)


def test_every_new_state_is_answered_at_once_and_proven_against_the_checkpoint_served(
    world: World, app: TestClient, live: str
) -> None:
    """Resolved (and kept rendered) before each change, then: an update, another DID's entry
    (a new checkpoint), a deactivation. Each plain answer shows the new state; each answer
    with proofs is verified from the DID's creation by a fresh kernel client against the
    checkpoint it carries, and that checkpoint is the one the ledger serves."""
    agency = world.register()
    url = PREFIX + agency.did

    def check(version: str, deactivated: bool) -> None:
        plain = app.get(url)
        meta = plain.json()["didDocumentMetadata"]
        assert (meta["versionId"], bool(meta.get("deactivated"))) == (version, deactivated)
        proven = app.get(url, params={"withProof": "true"}).json()
        proof = proven["didResolutionMetadata"]["proof"]
        assert proof["checkpoint"] == world.ledger.checkpoint
        assert proof["treeSize"] == world.ledger.size
        with LedgerClient(live, world.genesis.vkey) as client:  # nothing remembered
            resolved = client.resolve(agency.did)
        assert resolved.metadata["versionId"] == version
        assert resolved.checkpoint.size == world.ledger.size
        assert (resolved.document is None) == deactivated

    check(world.head(agency), False)
    world.clock.now += 60
    successor, update = agency.rotate(world.head(agency), ledger=world.origin, now=world.clock.now)
    world.ledger.submit(update)
    check(world.head(agency), False)
    assert app.get(url).json()["didDocument"] == successor.document
    world.register()  # another DID's entry: a new checkpoint
    check(world.head(agency), False)
    world.clock.now += 60
    world.ledger.submit(
        successor.deactivate_tx(world.head(agency), ledger=world.origin, now=world.clock.now)
    )
    assert app.get(url).status_code == 410
    check(world.head(agency), True)


def test_query_variants_of_one_did_keep_one_answer_each(world: World, app: TestClient) -> None:
    """Options an attacker varies (repeated, blank, unknown names, case, Accept) select the
    same version: what is kept grows by one answer per version shown, never per variant."""
    agency = world.register()
    resolver = app.app.state.resolver  # type: ignore[attr-defined]
    url = PREFIX + agency.did
    for i in range(300):
        app.get(url, params={f"x{i}": "y", "withProof": "no"}, headers={"accept": f"a/{i}"})
        app.get(url, params={f"x{i}": "y", "withProof": "TRUE", "versionId": ""})
        app.get(url, params={"versionId": "1", "z": str(i), "withProof": "1"})
    assert len(resolver.results.answers) == 1
    assert len(resolver.proven.answers) == 1


@pytest.mark.parametrize("at", ["end", "middle"])
def test_a_newline_in_the_did_is_answered_alike_by_every_route(
    world: World, app: TestClient, live: str, at: str
) -> None:
    """``%0A`` decodes to a newline in the path: the direct answer refuses the DID (400
    invalid_did); the framework's route (any request under a root path) must not
    read another DID out of the path (its pattern's ``$`` matches before a final newline and
    its ``.`` stops at one)."""
    agency = world.register()
    did = agency.did + "%0A" if at == "end" else agency.did[:20] + "%0A" + agency.did[20:]
    url = PREFIX + did
    get = app.get(url)
    assert get.status_code in (400, 404)  # refused as a DID, or as no route's path
    assert agency.did not in get.text  # never resolved as the DID without the newline
    under = TestClient(app.app, root_path="/under").get(url)
    assert answered(under) == answered(get)
    assert on_wire(live, url, {}) == answered(get)
