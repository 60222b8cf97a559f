"""A clerk's offer with a key verified lately: the clerk's row is read in the offer's own write
(``ClerkHolds``), not before it, and a clerk removed meanwhile is still locked out at once, on
the embedded store and on PostgreSQL alike: removed before the write, the offer is refused
(``clerk_changed`` from the store, ``staff_key_invalid`` to the clerk, logged as any call of a
removed clerk) and nothing of it is stored or kept in memory; removed before a refusal (bad
claims, a body that is no JSON), the refusal is ``staff_key_invalid`` too, never logged under
the removed clerk's name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from civicid.errors import Error
from cli.harness import free_port, serving
from issuer.app import create_app
from issuer.records import SCOPE_ISSUE
from issuer.setup import remove_clerk
from tests.issuer.conftest import CONFIG, Clock, Env, LedgerWorld, make_env, sample_claims

ACTION = "offer.create"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_env(
    request: pytest.FixtureRequest, tmp_path: Path, ledger_world: LedgerWorld, clock: Clock
) -> Iterator[Env]:
    settings = {}
    if request.param == "postgresql":
        settings["database_url"] = request.getfixturevalue("database_url")
    made = make_env(tmp_path, ledger_world, clock, **settings)
    yield made
    made.issuer.close()


@pytest.fixture
def served(env: Env) -> Iterator[str]:
    with serving(create_app(issuer=env.issuer, background=False), free_port()) as url:
        yield url


def offer_over_http(url: str, key: str, body: object) -> httpx.Response:
    return httpx.post(f"{url}/staff/offers", json=body, headers={"authorization": f"Bearer {key}"})


def good_offer(record: str) -> dict[str, object]:
    return {"configuration": CONFIG, "record": record, "claims": sample_claims()}


def outcomes(env: Env) -> list[tuple[str, str, str]]:
    return [(e.actor, e.action, e.outcome) for e in env.issuer.audit(limit=500)]


def test_a_clerk_removed_before_the_offers_write_is_refused_by_the_write(store_env: Env) -> None:
    env = store_env
    key = env.keys["alice"]
    env.issuer.authorize(key, (SCOPE_ISSUE,), ACTION)  # verified, now remembered
    clerk, _ = env.issuer.authorize_begin(key, (SCOPE_ISSUE,), ACTION, unread=True)
    assert clerk is not None and clerk.name == "alice"
    remove_clerk(env.settings, "alice", env.clock)  # after the key's check, before the write
    created, written = env.issuer.create_offer_begin(
        clerk, configuration=CONFIG, record="REG-GONE", claims=sample_claims(), unread=True
    )
    with pytest.raises(Error) as caught:
        written.result(timeout=30)
    assert caught.value.code == "clerk_changed"
    env.issuer.barrier().result(timeout=30)
    assert env.store.offer(created.offer.id) is None  # nothing of it stored
    assert created.offer.id not in env.issuer.offers.by_id  # nor kept in memory
    assert (ACTION, "ok") not in [(a, o) for _, a, o in outcomes(env)]
    # The same clerk's offer, its row read before it, refused at once too.
    with pytest.raises(Error) as caught:
        env.issuer.authorize(key, (SCOPE_ISSUE,), ACTION)
    assert caught.value.code == "staff_key_invalid"


def test_a_clerk_still_there_makes_its_offer_with_its_row_read_in_the_write(
    store_env: Env,
) -> None:
    env = store_env
    key = env.keys["bob"]
    env.issuer.authorize(key, (SCOPE_ISSUE,), ACTION)
    clerk, _ = env.issuer.authorize_begin(key, (SCOPE_ISSUE,), ACTION, unread=True)
    assert clerk is not None
    created, written = env.issuer.create_offer_begin(
        clerk, configuration=CONFIG, record="REG-KEPT", claims=sample_claims(), unread=True
    )
    written.result(timeout=30)
    stored = env.store.offer(created.offer.id)
    assert stored is not None and stored.clerk == "bob"
    assert ("bob", ACTION, "ok") in outcomes(env)


def test_a_removed_clerks_remembered_key_is_refused_an_offer_over_http(
    env: Env, served: str
) -> None:
    key = env.keys["alice"]
    assert offer_over_http(served, key, good_offer("REG-1")).status_code == 201  # remembered
    offers_before = len(env.store.offers(record=None, limit=100, offset=0))
    remove_clerk(env.settings, "alice", env.clock)
    answer = offer_over_http(served, key, good_offer("REG-2"))
    assert answer.status_code == 401
    assert answer.json()["error"] == "staff_key_invalid"
    assert len(env.store.offers(record=None, limit=100, offset=0)) == offers_before
    assert env.issuer.keyring.cached(key) is None  # forgotten, not only refused
    events = outcomes(env)
    removed = events.index(("cli", "clerk.remove", "ok"))
    assert ("unknown", ACTION, "staff_key_invalid") in events[removed:]
    # Other clerks go on, on the same path.
    assert offer_over_http(served, env.keys["bob"], good_offer("REG-3")).status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {"configuration": CONFIG, "record": "REG-1", "claims": {"given_name": 7}},
        {"configuration": "no-such-configuration", "record": "REG-1", "claims": sample_claims()},
        ["not", "an", "offer"],
    ],
    ids=["claims refused", "configuration unknown", "body refused"],
)
def test_a_removed_clerks_refusal_is_the_removal_not_what_it_sent(
    env: Env, served: str, body: object
) -> None:
    key = env.keys["alice"]
    assert offer_over_http(served, key, good_offer("REG-1")).status_code == 201  # remembered
    remove_clerk(env.settings, "alice", env.clock)
    answer = offer_over_http(served, key, body)
    assert answer.status_code == 401
    assert answer.json()["error"] == "staff_key_invalid"
    events = outcomes(env)
    after = events[events.index(("cli", "clerk.remove", "ok")) :]
    assert ("unknown", ACTION, "staff_key_invalid") in after
    assert not [e for e in after if e[0] == "alice"]  # nothing logged under a removed clerk
