"""Governance over real HTTP (uvicorn on 127.0.0.1) through the verifying client; a ledger
that alters its answers is caught."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from civicid import transaction as tx
from civicid.accreditation import revocation_body
from civicid.errors import Error
from civicid.identity import Identity
from civicid.ledger_client import LedgerClient
from civicid.status_list import STATUS_INVALID, STATUS_SUSPENDED, STATUS_VALID, verify_token
from cli.harness import free_port, serving
from ledger.app import create_app
from ledger.settings import LedgerSettings
from tests.ledger import trust
from tests.ledger.conftest import World
from tests.ledger.trust import BENEFIT, LIST_URI, NATIONAL_ID

Tamper = Callable[[dict[str, Any]], object]


@dataclass
class Setup:
    agency: Identity
    desk: Identity
    issuer_acc: str
    desk_acc: str
    url: str


@pytest.fixture
def setup(world: World) -> Iterator[Setup]:
    agency, desk = world.register("agency"), world.register("service-desk")
    issuer_acc = world.accredit(agency, vcts=[NATIONAL_ID])
    desk_acc = world.accredit(desk, claims={NATIONAL_ID: ["given_name", "age_over_18"]})
    trust.register_type(world, agency)
    trust.publish(world, agency)
    app = create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with serving(app, free_port()) as url:
        yield Setup(agency, desk, issuer_acc, desk_acc, url)


def make_client(world: World, url: str, tamper: dict[str, Tamper] | None = None) -> LedgerClient:
    """A client whose answers on the paths in ``tamper`` are altered in flight."""
    if not tamper:
        return LedgerClient(url, world.genesis.vkey)
    upstream = httpx.Client(base_url=url)

    def handler(request: httpx.Request) -> httpx.Response:
        real = upstream.send(
            httpx.Request(
                request.method, request.url, headers=request.headers, content=request.content
            )
        )
        change = tamper.get(request.url.path)
        if change is None or real.status_code != 200:
            return httpx.Response(
                real.status_code,
                content=real.content,
                headers={"content-type": real.headers["content-type"]},
            )
        data = real.json()
        change(data)
        return httpx.Response(200, json=data)

    return LedgerClient(url, world.genesis.vkey, transport=httpx.MockTransport(handler))


@pytest.fixture
def client(world: World, setup: Setup) -> Iterator[LedgerClient]:
    c = make_client(world, setup.url)
    yield c
    c.close()


def test_issuer_accredited(world: World, setup: Setup, client: LedgerClient) -> None:
    now = world.clock.now
    answer = client.issuer_accredited(setup.agency.did, NATIONAL_ID, now)
    assert answer.accredited and answer.standing.accreditation == setup.issuer_acc
    answer.require()
    assert [g.id for g in answer.grants] == [setup.issuer_acc]
    assert answer.checkpoint.size == world.ledger.size
    other = client.issuer_accredited(setup.agency.did, BENEFIT, now)
    assert not other.accredited and other.standing.reason == "issuer_not_accredited"
    with pytest.raises(Error) as info:
        other.require()
    assert info.value.code == "issuer_not_accredited"
    before = client.issuer_accredited(setup.agency.did, NATIONAL_ID, now - 1)
    assert before.standing.reason == "accreditation_not_yet_valid"
    desk = client.issuer_accredited(setup.desk.did, NATIONAL_ID, now)
    assert desk.standing.reason == "issuer_not_accredited"


def test_verifier_allowed_and_revoked(world: World, setup: Setup, client: LedgerClient) -> None:
    now = world.clock.now
    assert client.verifier_allowed(setup.desk.did, NATIONAL_ID, ["given_name"], now).accredited
    wider = client.verifier_allowed(setup.desk.did, NATIONAL_ID, ["given_name", "birthdate"], now)
    assert wider.standing.reason == "verifier_claims_not_allowed"
    world.clock.now += 30
    world.submit_as(
        world.governance, tx.ACCREDITATION_REVOKE, revocation_body(setup.desk_acc, "desk closed")
    )
    later = client.verifier_allowed(setup.desk.did, NATIONAL_ID, ["given_name"], world.clock.now)
    assert later.standing.reason == "accreditation_revoked"
    # Judged at an earlier time, the revocation (proven too) had not taken effect.
    assert client.verifier_allowed(setup.desk.did, NATIONAL_ID, ["given_name"], now).accredited


def test_credential_type(setup: Setup, client: LedgerClient) -> None:
    proven = client.credential_type(NATIONAL_ID)
    assert proven.issuer == setup.agency.did and proven.accreditation == setup.issuer_acc
    assert proven.metadata == trust.metadata() and proven.schema == trust.SCHEMA
    with pytest.raises(Error) as info:
        client.credential_type(BENEFIT)
    assert info.value.code == "credential_type_not_found"


def test_status_list_latest_history_and_as_of(
    world: World, setup: Setup, client: LedgerClient
) -> None:
    first = client.status_list(LIST_URI, now=world.clock.now)
    assert first.owner == setup.agency.did
    assert [first.status(i) for i in (0, 3, 5)] == [STATUS_VALID, STATUS_INVALID, STATUS_SUSPENDED]
    size_before = world.ledger.size
    world.clock.now += 60
    # The agency rotates its key, then updates the list (one transaction) with the new key.
    successor, update = setup.agency.rotate(
        world.head(setup.agency), ledger=world.origin, now=world.clock.now
    )
    world.ledger.submit(update)
    trust.publish(
        world,
        successor,
        text=trust.token(successor, now=world.clock.now, revoked=(3, 7), suspended=()),
    )
    latest = client.status_list(LIST_URI, now=world.clock.now)
    assert latest.seq > first.seq and [latest.status(i) for i in (5, 7)] == [0, STATUS_INVALID]
    # As of the earlier checkpoint: the first token, still verified with the old key.
    old = client.status_list(LIST_URI, size_before, now=world.clock.now)
    assert old.seq == first.seq and old.status(5) == STATUS_SUSPENDED
    history = httpx.get(setup.url + "/status-lists/history", params={"uri": LIST_URI}).json()
    assert [v["seq"] for v in history["versions"]] == [first.seq, latest.seq]
    assert [e["leafHash"] for e in history["entries"]] == [
        v["leafHash"] for v in history["versions"]
    ]


def test_raw_token_with_its_media_type(world: World, setup: Setup, client: LedgerClient) -> None:
    response = httpx.get(
        setup.url + "/status-lists",
        params={"uri": LIST_URI},
        headers={"accept": "application/statuslist+jwt"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/statuslist+jwt"
    token = verify_token(
        response.text, setup.agency.key.public, expected_sub=LIST_URI, now=world.clock.now
    )
    assert token.status_list.get(3) == STATUS_INVALID
    assert client.status_list_token(LIST_URI) == response.text
    plain = httpx.get(setup.url + "/status-lists", params={"uri": LIST_URI})
    assert plain.headers["content-type"] == "application/json"
    assert plain.json()["owner"] == setup.agency.did


@pytest.mark.parametrize(
    "path, params, status, code",
    [
        ("/credential-types", {"vct": BENEFIT}, 404, "credential_type_not_found"),
        (
            "/status-lists",
            {"uri": "https://agency.example/status/none"},
            404,
            "status_list_not_found",
        ),
        ("/status-lists", {"uri": LIST_URI, "treeSize": 10_000}, 400, "proof_out_of_range"),
        ("/accreditations", {"vct": NATIONAL_ID}, 400, "query_invalid"),
    ],
)
def test_errors_carry_their_codes(
    setup: Setup, path: str, params: dict[str, Any], status: int, code: str
) -> None:
    response = httpx.get(setup.url + path, params=params)
    assert response.status_code == status and response.json()["error"] == code


def test_list_accreditations_with_proofs(world: World, setup: Setup) -> None:
    body = httpx.get(setup.url + "/accreditations").json()
    assert [a["accreditation"] for a in body["accreditations"]] == [
        setup.issuer_acc,
        setup.desk_acc,
    ]
    assert len(body["entries"]) == 2 and body["treeSize"] == world.ledger.size
    mine = httpx.get(setup.url + "/accreditations", params={"subject": setup.desk.did}).json()
    assert [a["kind"] for a in mine["accreditations"]] == ["verifier"]
    types = httpx.get(setup.url + "/credential-types").json()
    assert [t["vct"] for t in types["types"]] == [NATIONAL_ID]


def flip(data: dict[str, Any]) -> None:
    data["accredited"] = not data["accredited"]


def drop_entries(data: dict[str, Any]) -> None:
    data["entries"] = []


def test_tampered_accreditation_answers_are_refused(world: World, setup: Setup) -> None:
    genuine = httpx.get(setup.url + "/transactions/1").json()["transaction"]

    def swap_transaction(data: dict[str, Any]) -> None:
        """Another genuine entry's text under this entry's seq and proof."""
        data["entries"][0]["transaction"] = genuine

    for change, code in (
        (flip, "ledger_answer_mismatch"),
        (drop_entries, "ledger_answer_mismatch"),
        (swap_transaction, "inclusion_proof_invalid"),
        (lambda d: d.update(treeSize=d["treeSize"] - 1), "ledger_answer_mismatch"),
        (lambda d: d.pop("entries"), "ledger_answer_malformed"),
        # Read through the answer's wire model: each member of the form it is declared.
        (lambda d: d.update(treeSize="many"), "ledger_answer_malformed"),
        (lambda d: d.update(entries={"0": d["entries"][0]}), "ledger_answer_malformed"),
        (lambda d: d["entries"][0].update(inclusion=["not base64!"]), "ledger_answer_malformed"),
        (lambda d: d["entries"][0].update(inclusion=["AAAA"]), "ledger_answer_malformed"),
        (lambda d: d["entries"][0].pop("transaction"), "ledger_answer_malformed"),
        (lambda d: d["entries"][0].update(seq=-1), "ledger_answer_malformed"),
    ):
        client = make_client(world, setup.url, {"/accreditations": change})
        with pytest.raises(Error) as info:
            client.issuer_accredited(setup.agency.did, NATIONAL_ID, world.clock.now)
        assert info.value.code == code, change
        client.close()


def test_another_subjects_proven_grant_is_refused(world: World, setup: Setup) -> None:
    """A genuine, proven grant, but for someone else: the client notices."""
    desk_answer = httpx.get(setup.url + "/accreditations", params={"subject": setup.desk.did})

    def substitute(data: dict[str, Any]) -> None:
        data["entries"] = desk_answer.json()["entries"]

    client = make_client(world, setup.url, {"/accreditations": substitute})
    with pytest.raises(Error) as info:
        client.issuer_accredited(setup.agency.did, NATIONAL_ID, world.clock.now)
    assert info.value.code == "ledger_answer_mismatch"
    client.close()


def test_tampered_type_and_list_answers_are_refused(world: World, setup: Setup) -> None:
    def other_metadata(data: dict[str, Any]) -> None:
        data["metadata"]["name"] = "Something else"

    def no_grant(data: dict[str, Any]) -> None:
        data["entries"] = [e for e in data["entries"] if e["seq"] == data["seq"]]

    def other_owner(data: dict[str, Any]) -> None:
        data["owner"] = setup.desk.did

    def other_seq(data: dict[str, Any]) -> None:
        data["seq"] = 0

    for path, change, call in (
        ("/credential-types", other_metadata, lambda c: c.credential_type(NATIONAL_ID)),
        ("/credential-types", no_grant, lambda c: c.credential_type(NATIONAL_ID)),
        ("/status-lists", other_owner, lambda c: c.status_list(LIST_URI, now=world.clock.now)),
        ("/status-lists", other_seq, lambda c: c.status_list(LIST_URI, now=world.clock.now)),
    ):
        client = make_client(world, setup.url, {path: change})
        with pytest.raises(Error) as info:
            call(client)
        assert info.value.code == "ledger_answer_mismatch", change
        client.close()


def test_a_stale_list_is_refused_by_its_ttl(
    world: World, setup: Setup, client: LedgerClient
) -> None:
    with pytest.raises(Error) as info:
        client.status_list(LIST_URI, now=world.clock.now + 2 * 3600)
    assert info.value.code == "status_list_stale"


def test_openapi_lists_the_governance_routes(setup: Setup) -> None:
    paths = json.loads(httpx.get(setup.url + "/openapi.json").text)["paths"]
    for path in (
        "/accreditations",
        "/accreditations/verifier",
        "/credential-types",
        "/status-lists",
        "/status-lists/history",
    ):
        assert path in paths


def test_a_forged_grant_logged_by_a_rogue_operator_is_caught(
    world: World, setup: Setup, client: LedgerClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An operator who skips the signature rule can log a "governance" grant it forged, and
    prove its inclusion; the client still checks the signature with governance's key."""
    from civicid.accreditation import grant_body
    from civicid.jose import PrivateKey
    from civicid.transaction import build_tx
    from ledger import rules

    rogue = world.register("agency")
    body = grant_body(
        rogue.did,
        credential_types=[NATIONAL_ID],
        valid_from=world.clock.now,
        valid_until=world.clock.now + 86400,
        purpose="forged",
        legal_basis="none",
    )
    forged = build_tx(
        PrivateKey.generate(),
        world.governance.kid,
        tx.ACCREDITATION_GRANT,
        body,
        ledger=world.origin,
        now=world.clock.now,
    )
    monkeypatch.setattr(rules, "verify_signed_by", lambda *_: None)
    world.ledger.submit(forged)
    monkeypatch.undo()
    with pytest.raises(Error) as info:
        client.issuer_accredited(rogue.did, NATIONAL_ID, world.clock.now)
    assert info.value.code == "jws_signature_invalid"


def test_a_rotation_in_the_same_second_after_a_publish(
    world: World, setup: Setup, client: LedgerClient
) -> None:
    """versionTime picks the rotated document; the client steps back to the version that was
    in force when the list was logged, and checks the token with the key of that version."""
    successor, update = setup.agency.rotate(
        world.head(setup.agency), ledger=world.origin, now=world.clock.now
    )
    world.ledger.submit(update)  # same clock second as the publish in `setup`
    proven = client.status_list(LIST_URI, now=world.clock.now)
    assert proven.token.header["kid"] == setup.agency.kid != successor.kid
    assert client.credential_type(NATIONAL_ID).issuer == setup.agency.did
