"""Status lists on the ledger: published and updated by their owner in one transaction; bad
tokens refused by code, the log and state unchanged."""

from __future__ import annotations

import json
from typing import Any

import pytest

from civicid import transaction as tx
from civicid.encoding import b64url_encode
from civicid.identity import Identity
from civicid.jose import PrivateKey
from civicid.status_list import StatusList
from ledger import registry
from tests.ledger import trust
from tests.ledger.conftest import World
from tests.ledger.trust import BENEFIT, LIST_URI, NATIONAL_ID, refused


def test_publish_and_update_a_status_list(world: World, agency: Identity) -> None:
    first = trust.publish(world, agency)
    world.clock.now += 60
    update = trust.token(agency, now=world.clock.now, revoked=(3, 4), suspended=())
    second = trust.publish(world, agency, text=update)  # one transaction per update
    versions = world.ledger.state.status_lists[LIST_URI]
    assert [(v.seq, v.owner) for v in versions] == [
        (first.seq, agency.did),
        (second.seq, agency.did),
    ]
    answer, latest = registry.status_list(world.ledger.state, LIST_URI, world.ledger.size)
    assert answer.seqs == (first.seq, second.seq) and latest.bits == 2
    old, _ = registry.status_list(world.ledger.state, LIST_URI, second.seq)
    assert old.body["seq"] == first.seq  # as of a tree that did not hold the update yet


def test_a_million_entry_list_is_small_and_one_transaction(world: World, agency: Identity) -> None:
    size, revoked = 1_000_000, tuple(range(17, 1_000_000, 9973))  # ~100 revoked, sparse
    text = trust.token(agency, now=world.clock.now, size=size, revoked=revoked, suspended=())
    assert len(text) < 8 * 1024  # zlib at level 9 (§4.1) keeps a sparse list tiny
    receipt = trust.publish(world, agency, text=text)
    assert world.ledger.state.status_lists[LIST_URI][-1].entries == size
    assert receipt.seq == world.ledger.size - 1


def test_status_list_by_someone_other_than_its_owner(world: World, agency: Identity) -> None:
    trust.publish(world, agency)
    rival = world.register("agency")
    world.accredit(rival, vcts=[BENEFIT])
    text = world.sign(
        rival, tx.STATUS_LIST, {"uri": LIST_URI, "token": trust.token(rival, now=world.clock.now)}
    )
    refused(world, text, "status_list_not_owner")


def test_status_list_by_an_unaccredited_signer(world: World, desk: Identity) -> None:
    text = world.sign(
        desk, tx.STATUS_LIST, {"uri": LIST_URI, "token": trust.token(desk, now=world.clock.now)}
    )
    refused(world, text, "issuer_not_accredited")


def forged_token(
    agency: Identity,
    claims: dict[str, Any],
    typ: str = "statuslist+jwt",
    key: PrivateKey | None = None,
) -> str:
    payload = json.dumps(claims).encode()
    return (key or agency.key).sign_compact(payload, {"typ": typ, "kid": agency.kid})


def claims(world: World, **overrides: Any) -> dict[str, Any]:
    base = {
        "sub": LIST_URI,
        "iat": world.clock.now,
        "ttl": 3600,
        "status_list": StatusList(16, 2).encode(),
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


@pytest.mark.parametrize(
    "make, code",
    [
        pytest.param(
            lambda w, a: forged_token(a, claims(w), typ="JWT"),
            "status_list_typ_invalid",
            id="wrong-typ",
        ),
        pytest.param(
            lambda w, a: forged_token(a, claims(w), key=PrivateKey.generate()),
            "jws_signature_invalid",
            id="bad-signature",
        ),
        pytest.param(
            lambda w, a: forged_token(a, claims(w, sub="https://agency.example/status/2")),
            "status_list_sub_mismatch",
            id="sub-is-not-the-uri",
        ),
        pytest.param(
            lambda w, a: forged_token(
                a,
                claims(
                    w,
                    status_list={
                        "bits": 3,
                        "lst": b64url_encode(bytes.fromhex("789c6300000001000100")),
                    },
                ),
            ),
            "status_list_bits_invalid",
            id="bits-3",
        ),
        pytest.param(
            lambda w, a: forged_token(
                a, claims(w, status_list={"bits": 16, "lst": "eNrbuRgAAhcBXQ"})
            ),
            "status_list_bits_invalid",
            id="bits-16",
        ),
        pytest.param(
            lambda w, a: forged_token(a, claims(w, ttl=None)),
            "status_list_freshness_missing",
            id="no-exp-no-ttl",
        ),
        pytest.param(
            lambda w, a: forged_token(a, claims(w, ttl=None, exp=w.clock.now - 1)),
            "status_list_expired",
            id="already-expired",
        ),
        pytest.param(
            lambda w, a: forged_token(a, claims(w, iat=w.clock.now + 3600)),
            "status_list_not_yet_valid",
            id="from-the-future",
        ),
        pytest.param(lambda w, a: "not.a.token", "jws_malformed", id="not-a-jws"),
    ],
)
def test_bad_status_list_tokens(world: World, agency: Identity, make: Any, code: str) -> None:
    body = {"uri": LIST_URI, "token": make(world, agency)}
    refused(world, world.sign(agency, tx.STATUS_LIST, body), code)


def test_token_signed_by_another_did(world: World, agency: Identity) -> None:
    other = world.register("agency")
    text = trust.token(other, now=world.clock.now)
    refused(
        world,
        world.sign(agency, tx.STATUS_LIST, {"uri": LIST_URI, "token": text}),
        "status_list_signer_mismatch",
    )


@pytest.mark.parametrize(
    "body, code",
    [
        ({"uri": "http://agency.example/status/1"}, "status_list_uri_invalid"),
        ({"uri": "http://127.0.0.1.agency.example/status/1"}, "status_list_uri_invalid"),
        ({"uri": "http://localhost@agency.example/status/1"}, "status_list_uri_invalid"),
        ({"uri": "https://agency.example/" + "s" * 300}, "status_list_uri_invalid"),
        ({"uri": LIST_URI, "token": 5}, "status_list_token_malformed"),
    ],
)
def test_bad_status_list_bodies(
    world: World, agency: Identity, body: dict[str, Any], code: str
) -> None:
    body.setdefault("token", trust.token(agency, now=world.clock.now))
    refused(world, world.sign(agency, tx.STATUS_LIST, body), code)


@pytest.mark.parametrize(
    "uri", ["http://127.0.0.1:8701/status/1", "http://localhost/status/1", "http://[::1]:9/s"]
)
def test_plain_http_status_list_uris_only_on_loopback(world: World, uri: str) -> None:
    scheme, _, rest = uri.partition("://")
    agency = world.register("agency", base=f"{scheme}://{rest.split('/', 1)[0]}")
    world.accredit(agency, vcts=[NATIONAL_ID])
    token = trust.token(agency, uri, now=world.clock.now)
    seq = world.ledger.submit(world.sign(agency, tx.STATUS_LIST, {"uri": uri, "token": token}))
    assert seq.seq > 0


def test_an_older_token_cannot_replace_a_newer_one(world: World, agency: Identity) -> None:
    old = trust.token(agency, now=world.clock.now)
    world.clock.now += 60
    trust.publish(world, agency, text=trust.token(agency, now=world.clock.now))
    refused(
        world,
        world.sign(agency, tx.STATUS_LIST, {"uri": LIST_URI, "token": old}),
        "status_list_regression",
    )


def test_a_revocation_is_final(world: World, agency: Identity) -> None:
    """Token Status List §7.1: INVALID is revoked for good; republishing the entry as valid
    would un-revoke a credential (SUSPENDED may be lifted: see the next test)."""
    trust.publish(world, agency, text=trust.token(agency, now=world.clock.now, revoked=(3, 7)))
    world.clock.now += 60
    refused(
        world,
        world.sign(
            agency,
            tx.STATUS_LIST,
            {
                "uri": LIST_URI,
                "token": trust.token(agency, now=world.clock.now, revoked=(3,)),
            },
        ),
        "status_list_unrevoked",
    )


def test_a_suspension_may_be_lifted_and_more_revoked(world: World, agency: Identity) -> None:
    trust.publish(world, agency, text=trust.token(agency, now=world.clock.now, suspended=(5,)))
    world.clock.now += 60
    trust.publish(
        world, agency, text=trust.token(agency, now=world.clock.now, revoked=(3, 9), suspended=())
    )


@pytest.mark.parametrize("size, bits", [(500, 2), (2000, 2), (1000, 4)])
def test_a_list_keeps_its_size_and_bits(
    world: World, agency: Identity, size: int, bits: int
) -> None:
    trust.publish(world, agency, text=trust.token(agency, now=world.clock.now))
    world.clock.now += 60
    refused(
        world,
        world.sign(
            agency,
            tx.STATUS_LIST,
            {
                "uri": LIST_URI,
                "token": trust.token(agency, now=world.clock.now, size=size, bits=bits),
            },
        ),
        "status_list_resized",
    )
