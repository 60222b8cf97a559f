"""Two issuers on one PostgreSQL database (as two processes have: each its own memory, its own
connections): an offer made at one is fetched and redeemed at the other, a token and a nonce
from one are good at the other, and each of them, and each pre-authorized code, is used once
when both are asked at the same moment; wrong transaction codes are counted across both;
status indexes are never handed out twice; the audit log stays one chain; a status changed
at one is published by whichever publishes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import pytest

import issuer.pg_store
from civicid.errors import Error
from civicid.shell.settings import DATABASE_URL_ENV
from civicid.status_list import STATUS_INVALID, parse_token
from issuer.errors import STORE_CONFLICT
from issuer.offers import MAX_TX_CODE_ATTEMPTS
from issuer.pg_store import PgStore
from issuer.records import ISSUED, LOCKED
from issuer.service import Issuer
from issuer.store import PutOffer, SpendNonce, verify_audit_chain
from tests.issuer.conftest import CONFIG, Clock, Env, LedgerWorld, make_env, sample_claims
from tests.issuer.test_bad_input import (
    credential_request,
    good_proof,
    offer,
    redeem,
    token_request,
)

T = TypeVar("T")
ROOT = Path(__file__).parents[2]


@dataclass
class Pair:
    env: Env  # env.issuer is the first issuer
    other: Issuer

    @property
    def one(self) -> Issuer:
        return self.env.issuer


@pytest.fixture
def pair(
    tmp_path: Path, ledger_world: LedgerWorld, clock: Clock, database_url: str
) -> Iterator[Pair]:
    env = make_env(tmp_path, ledger_world, clock, database_url=database_url)
    other = Issuer.open(env.settings, clock=clock)
    yield Pair(env, other)
    other.close()
    env.issuer.close()


@pytest.fixture
def small_lists(
    tmp_path: Path, ledger_world: LedgerWorld, clock: Clock, database_url: str
) -> Iterator[Pair]:
    """Lists of 64: two issuers picking at random soon pick the same index, and both soon
    want the next list."""
    env = make_env(tmp_path, ledger_world, clock, database_url=database_url, status_list_size=64)
    other = Issuer.open(env.settings, clock=clock)
    yield Pair(env, other)
    other.close()
    env.issuer.close()


def at_once(*calls: Callable[[], T]) -> list[T | Error]:
    """Run ``calls`` in threads released together; each one's result or our error."""
    start = threading.Barrier(len(calls))
    results: list[T | Error] = [Error("unset", "not run")] * len(calls)

    def run(n: int) -> None:
        start.wait()
        try:
            results[n] = calls[n]()
        except Error as exc:
            results[n] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def codes(results: list[Any]) -> list[str]:
    return sorted(r.code for r in results if isinstance(r, Error))


def test_both_issuers_keep_their_state_in_the_database(pair: Pair) -> None:
    assert isinstance(pair.one.store, PgStore) and isinstance(pair.other.store, PgStore)


def test_an_offer_made_at_one_is_redeemed_and_issued_at_the_other(pair: Pair) -> None:
    made = offer(pair.env)
    token = pair.other.token(token_request(made, made.tx_code)).access_token
    proof = good_proof(pair.env)  # its nonce from the first issuer
    answer = pair.other.credential_request(token, credential_request([proof]))
    assert answer.credentials is not None and len(answer.credentials) == 1
    stored = pair.one.offer(made.offer.id)
    assert stored.state == ISSUED and stored.claims is None
    with pytest.raises(Error) as caught:
        pair.one.credential_request(token, credential_request([good_proof(pair.env)]))
    assert caught.value.code == "access_token_invalid"


def test_a_code_redeemed_at_both_at_once_gives_one_token(pair: Pair) -> None:
    for _ in range(5):
        made = offer(pair.env)
        request = token_request(made, made.tx_code)
        results = at_once(
            lambda r=request: pair.one.token(r),  # type: ignore[misc]
            lambda r=request: pair.other.token(r),  # type: ignore[misc]
        )
        assert codes(results) == ["grant_code_used"], results


def test_an_offer_fetched_by_reference_at_both_at_once_is_served_once(pair: Pair) -> None:
    made = offer(pair.env)
    results = at_once(
        lambda: pair.one.fetch_offer(made.offer.id), lambda: pair.other.fetch_offer(made.offer.id)
    )
    assert codes(results) == ["offer_already_fetched"]


def test_wrong_transaction_codes_are_counted_across_both(pair: Pair) -> None:
    made = offer(pair.env)
    wrong = "0" * len(made.tx_code or "") if made.tx_code != "0" * 6 else "1" * 6
    request = token_request(made, wrong)
    results = at_once(
        *[(lambda i=i: (pair.one, pair.other)[i % 2].token(request)) for i in range(8)]
    )
    assert all(isinstance(r, Error) for r in results)
    assert pair.one.offer(made.offer.id).state == LOCKED
    assert pair.other.offer(made.offer.id).attempts == MAX_TX_CODE_ATTEMPTS
    counted = codes(results)
    assert counted.count("tx_code_wrong") == MAX_TX_CODE_ATTEMPTS - 1
    assert counted.count("offer_locked") == 8 - (MAX_TX_CODE_ATTEMPTS - 1)


def test_an_access_token_used_at_both_at_once_issues_once(pair: Pair) -> None:
    token = redeem(pair.env, offer(pair.env))
    proofs = [good_proof(pair.env), good_proof(pair.env)]
    results = at_once(
        lambda: pair.one.credential_request(token, credential_request([proofs[0]])),
        lambda: pair.other.credential_request(token, credential_request([proofs[1]])),
    )
    assert codes(results) == ["access_token_invalid"]
    assert pair.one.store.counts()["issued"] == 1


def test_a_nonce_used_at_both_at_once_serves_one_request(pair: Pair) -> None:
    nonce = pair.one.nonce().c_nonce
    tokens = [redeem(pair.env, offer(pair.env, record=f"N-{i}")) for i in range(2)]
    results = at_once(
        *[
            (
                lambda i=i: (pair.one, pair.other)[i].credential_request(
                    tokens[i], credential_request([good_proof(pair.env, nonce=nonce)])
                )
            )
            for i in range(2)
        ]
    )
    assert codes(results) == ["proof_nonce_mismatch"]
    assert pair.other.store.counts()["issued"] == 1


def test_status_indexes_are_never_handed_out_twice(small_lists: Pair) -> None:
    pair = small_lists
    tokens = [redeem(pair.env, offer(pair.env, record=f"S-{i}")) for i in range(16)]

    def issue(i: int) -> int:
        issuer = (pair.one, pair.other)[i % 2]
        proofs = [good_proof(pair.env) for _ in range(3)]
        answer = issuer.credential_request(tokens[i], credential_request(proofs))
        assert answer.credentials is not None
        return len(answer.credentials)

    results = at_once(*[(lambda i=i: issue(i)) for i in range(16)])
    assert results == [3] * 16
    issued = pair.one.credentials(record=None, status=None, limit=100, offset=0)
    slots = [slot for i in issued for slot in i.slots]
    assert len(slots) == 48 and len(set(slots)) == 48
    # New lists only at the top: every list below the newest is past its rollover share.
    numbers = sorted({n for n, _ in slots})
    assert numbers == list(range(1, len(numbers) + 1))
    verify_audit_chain(pair.one.audit(limit=500))


def test_a_revocation_at_one_is_published_by_the_other(pair: Pair) -> None:
    made = offer(pair.env)
    token = redeem(pair.env, made)
    pair.one.credential_request(token, credential_request([good_proof(pair.env)]))
    issued = pair.one.credentials(record="REG-1", status=None, limit=1, offset=0)[0]
    pair.one.set_status(pair.env.clerk(), issued.id, "revoke")
    with pytest.raises(Error) as caught:  # the other sees it revoked already
        pair.other.set_status(pair.env.clerk(), issued.id, "revoke")
    assert caught.value.code == "credential_status_conflict"
    published = pair.other.publish()
    number, idx = issued.slots[0]
    assert [r.number for r in published] == [number]
    token_text = pair.one.status_token(number)
    assert token_text is not None
    assert parse_token(token_text).status_list.get(idx) == STATUS_INVALID
    assert not any(r.pending for r in pair.one.store.lists())
    verify_audit_chain(pair.one.audit(limit=500))


def test_one_publisher_at_a_time(pair: Pair, monkeypatch: pytest.MonkeyPatch) -> None:
    made = offer(pair.env)
    pair.one.credential_request(redeem(pair.env, made), credential_request([good_proof(pair.env)]))
    issued = pair.one.credentials(record="REG-1", status=None, limit=1, offset=0)[0]
    pair.one.set_status(pair.env.clerk(), issued.id, "suspend")  # a list to publish
    monkeypatch.setattr(issuer.pg_store, "PUBLISHER_WAIT", 0.3)
    with pair.one.store.publishing() as mine:
        assert mine
        assert pair.other.publish() == []  # the lock held past its wait: left to the next run
    monkeypatch.setattr(issuer.pg_store, "PUBLISHER_WAIT", 60.0)
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with pair.one.store.publishing():
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(30)
    results = at_once(pair.other.publish, lambda: release.set())
    holder.join()
    published = results[0]
    assert isinstance(published, list)  # it waited for the other to finish, then published
    assert [r.number for r in published] == [issued.slots[0][0]]


REDEEMER = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    sys.path.insert(0, ".")  # the repository
    from civicid.errors import Error
    from civicid.jose import PrivateKey
    from civicid.oid4vci import PRE_AUTHORIZED_GRANT, CredentialRequest, TokenRequest
    from civicid.oid4vci import build_proof_jwt
    from issuer.service import Issuer
    from issuer.settings import IssuerSettings

    settings = IssuerSettings.load(Path(sys.argv[1]))  # the database from the environment
    issuer = Issuer.open(settings)
    grants = json.loads(Path(sys.argv[2]).read_text())
    go = Path(sys.argv[3])
    while not go.exists():
        time.sleep(0.005)
    out = {"won": [], "refused": [], "slots": []}
    for code, pin in grants:
        try:
            token = issuer.token(TokenRequest.from_form({"grant_type": PRE_AUTHORIZED_GRANT,
                "pre-authorized_code": code, "tx_code": pin})).access_token
        except Error as exc:
            out["refused"].append(exc.code)
            continue
        out["won"].append(code)
        proofs = [build_proof_jwt(PrivateKey.generate(), aud=settings.public_url,
                  nonce=issuer.nonce().c_nonce, iat=issuer.clock()) for _ in range(2)]
        issuer.credential_request(token, CredentialRequest.from_json(
            {"credential_configuration_id": "national_id", "proofs": {"jwt": proofs}}))
    issuer.close()
    print(json.dumps(out))
""")
RACED_OFFERS = 24


def test_two_issuer_processes_redeeming_the_same_codes_at_once(
    tmp_path: Path, ledger_world: LedgerWorld, clock: Clock, database_url: str
) -> None:
    """Two OS processes on one database race for every code: each code is redeemed by
    exactly one, the other is told it was used; the winners' credentials never share a
    status index; the audit log is one chain."""
    env = make_env(tmp_path / "issuer", ledger_world, clock, database_url=database_url)
    grants: list[tuple[str, str | None]] = []
    for i in range(RACED_OFFERS):
        made = offer(env, record=f"RACE-{i}")
        grant = made.credential_offer.pre_authorized
        assert grant is not None
        grants.append((grant.pre_authorized_code, made.tx_code))
    env.issuer.close()
    (tmp_path / "grants.json").write_text(json.dumps(grants))
    script = tmp_path / "redeemer.py"
    script.write_text(REDEEMER)
    go = tmp_path / "go"
    child = {**os.environ, DATABASE_URL_ENV: database_url}
    racers = [
        subprocess.Popen(
            [
                sys.executable,
                str(script),
                str(env.data_dir),
                str(tmp_path / "grants.json"),
                str(go),
            ],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=child,
        )
        for _ in range(2)
    ]
    go.touch()
    outs = [json.loads(r.communicate(timeout=300)[0]) for r in racers]
    assert all(r.returncode == 0 for r in racers)
    won = [code for out in outs for code in out["won"]]
    assert sorted(won) == sorted(g[0] for g in grants)  # each code once, none lost
    assert sorted(c for out in outs for c in out["refused"]) == ["grant_code_used"] * RACED_OFFERS
    env.issuer = Issuer.open(env.settings, clock=clock)
    issued = env.issuer.credentials(record=None, status=None, limit=500, offset=0)
    slots = [slot for i in issued for slot in i.slots]
    assert len(issued) == RACED_OFFERS and len(set(slots)) == len(slots) == 2 * RACED_OFFERS
    verify_audit_chain(env.issuer.audit(limit=10_000))
    env.issuer.close()


def test_a_nonce_from_one_is_good_at_the_other_until_it_expires(pair: Pair) -> None:
    nonce = pair.one.nonce().c_nonce
    pair.other.nonces.check(nonce)  # given out by the first, known to the second
    pair.env.clock.offset += pair.env.settings.nonce_ttl
    with pytest.raises(Error) as caught:
        pair.other.nonces.check(nonce)
    assert caught.value.code == "proof_nonce_mismatch"
    with pytest.raises(Error) as unknown:
        pair.other.nonces.check("n" * 32)
    assert unknown.value.code == "proof_nonce_mismatch"


def test_a_write_on_a_row_changed_since_it_was_read_is_a_conflict(pair: Pair) -> None:
    """What a losing process meets (and retries): ``issuer_store_conflict``, nothing written."""
    made = offer(pair.env)
    read = pair.one.store.offer(made.offer.id)
    assert read is not None
    pair.other.fetch_offer(made.offer.id)  # the other changes it first
    stale = PutOffer(replace(read, fetched=True, code=None), expect=read)
    with pytest.raises(Error) as caught:
        pair.one.store.write([stale])
    assert STORE_CONFLICT.matches(caught.value) and caught.value.http_status == 409
    nonce = pair.one.nonce().c_nonce
    pair.one.store.write([SpendNonce(nonce)])
    with pytest.raises(Error) as spent:
        pair.other.store.write([SpendNonce(nonce)])
    assert STORE_CONFLICT.matches(spent.value)


def test_an_offer_fetched_at_the_other_is_not_served_again_from_memory(pair: Pair) -> None:
    made = offer(pair.env)  # in the first issuer's memory, not fetched
    pair.other.fetch_offer(made.offer.id)
    with pytest.raises(Error) as caught:
        pair.one.fetch_offer(made.offer.id)
    assert caught.value.code == "offer_already_fetched"


def test_an_offer_fetched_at_the_other_between_read_and_write_is_served_once(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other process wins after the first read the offer: the first's write finds it
    changed (a conflict), reads it again and refuses: served once, the audit log one chain."""
    made = offer(pair.env)
    store = pair.one.store
    read = store.offer
    raced: list[dict[str, Any]] = []

    def read_then_lose(offer_id: str) -> Any:
        found = read(offer_id)
        if not raced:
            raced.append(pair.other.fetch_offer(offer_id))
        return found

    monkeypatch.setattr(store, "offer", read_then_lose)
    with pytest.raises(Error) as caught:
        pair.one.fetch_offer(made.offer.id)
    assert caught.value.code == "offer_already_fetched"
    assert len(raced) == 1
    fetches = [e for e in pair.one.audit(limit=500) if e.action == "offer.fetch"]
    assert [(e.subject, e.outcome) for e in fetches] == [(made.offer.id, "ok")]
    verify_audit_chain(pair.one.audit(limit=500))


def test_expiry_at_one_clears_the_offers_made_at_the_other(pair: Pair) -> None:
    env = pair.env
    mine = offer(env, record="REG-MINE")
    theirs = pair.other.create_offer(
        env.clerk(), configuration=CONFIG, record="REG-THEIRS", claims=sample_claims()
    )
    env.clock.offset = env.settings.offer_ttl + 1
    assert pair.one.expire_offers() == 1  # its own in memory; the other's by the store's rule
    for made in (mine, theirs):
        stored = pair.one.store.offer(made.offer.id)
        assert stored is not None and (stored.claims, stored.code) == (None, None)


def test_a_revocation_at_the_other_between_read_and_write_is_not_undone(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other process revokes after the first read the credential valid: the first's
    suspension finds its status changed (a conflict), reads it again and refuses; it stays
    revoked in the store and on the lists."""
    made = offer(pair.env)
    token = redeem(pair.env, made)
    pair.one.credential_request(token, credential_request([good_proof(pair.env)]))
    issued = pair.one.credentials(record="REG-1", status=None, limit=1, offset=0)[0]
    store = pair.one.store
    read = store.issued
    raced: list[Any] = []

    def read_then_lose(issued_id: str) -> Any:
        found = read(issued_id)
        if not raced:
            raced.append(pair.other.set_status(pair.env.clerk(), issued_id, "revoke"))
        return found

    monkeypatch.setattr(store, "issued", read_then_lose)
    with pytest.raises(Error) as caught:
        pair.one.set_status(pair.env.clerk(), issued.id, "suspend")
    assert caught.value.code == "credential_status_conflict"
    assert len(raced) == 1
    stored = pair.other.credential(issued.id)
    assert stored.status == STATUS_INVALID
    number, idx = issued.slots[0]
    assert dict(pair.other.store.slots(number))[idx] == STATUS_INVALID
    verify_audit_chain(pair.one.audit(limit=500))
