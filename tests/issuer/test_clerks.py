"""Clerks: listed by name and scopes (never a key), removed with ``remove-clerk``, and a
removed clerk's key refused at its very next call, by a running server whose memory of
verified keys still holds it, not once that memory lapses."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import httpx
import pytest
from typer.testing import CliRunner

from civicid.errors import Error
from cli.harness import free_port, serving
from cli.main import app
from issuer.app import create_app
from issuer.setup import remove_clerk
from tests.issuer.conftest import Env

runner = CliRunner()


@pytest.fixture
def served(env: Env) -> Iterator[str]:
    with serving(create_app(issuer=env.issuer, background=False), free_port()) as url:
        yield url


def cli(env: Env, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["issuer", *args, "--data-dir", str(env.data_dir)])
    return result.exit_code, result.stdout, result.stderr


def lists(url: str, key: str) -> httpx.Response:
    return httpx.get(f"{url}/staff/lists", headers={"authorization": f"Bearer {key}"})


def test_a_removed_clerks_key_is_refused_at_once(env: Env, served: str) -> None:
    key = env.keys["alice"]
    assert lists(served, key).status_code == 200  # verified, and now remembered
    assert env.issuer.keyring.cached(key) is not None
    code, out, err = cli(env, "remove-clerk", "alice")
    assert code == 0, err
    assert "clerk alice removed" in out
    answer = lists(served, key)  # seconds after its success: well within VERIFIED_KEY_TTL
    assert answer.status_code == 401
    assert answer.json()["error"] == "staff_key_invalid"
    assert env.issuer.keyring.cached(key) is None  # forgotten, not only refused
    # Other clerks go on.
    assert lists(served, env.keys["root"]).status_code == 200
    events = [(e.action, e.outcome) for e in env.issuer.audit(limit=500)]
    assert events.index(("clerk.remove", "ok")) < events.index(("status.list", "staff_key_invalid"))


def test_a_removed_clerk_is_refused_in_process_too(env: Env) -> None:
    key = env.keys["alice"]
    env.issuer.authorize(key, ("issue",), "offer.create")
    remove_clerk(env.settings, "alice", env.clock)
    attempts: tuple[Callable[[], object], ...] = (
        lambda: env.issuer.authorize(key, ("issue",), "offer.create"),
        lambda: env.issuer.keyring.authenticate(key),
    )
    for attempt in attempts:
        with pytest.raises(Error) as caught:
            attempt()
        assert caught.value.code == "staff_key_invalid"
    clerk, _ = env.issuer.authorize_begin(key, ("issue",), "offer.create")
    assert clerk is None  # not served from memory: the slow path refuses it


def test_removing_a_clerk_that_does_not_exist(env: Env) -> None:
    before = [c.name for c in env.store.clerks()]
    code, _, err = cli(env, "remove-clerk", "nobody")
    assert code != 0
    assert err.strip() == "error: no clerk named 'nobody' [clerk_not_found]"
    assert [c.name for c in env.store.clerks()] == before


def test_listing_clerks_shows_who_and_no_key(env: Env) -> None:
    code, out, err = cli(env, "clerks")
    assert code == 0, err
    assert out.splitlines()[0] == "3 clerks"
    names = [line.split()[0] for line in out.splitlines()[1:]]
    assert names == ["alice", "bob", "root"]
    assert "issue, revoke" in out and "admin" in out
    code, out, _ = cli(env, "clerks", "--json")
    body = json.loads(out)
    assert [c["name"] for c in body["clerks"]] == ["alice", "bob", "root"]
    assert all(set(c) == {"id", "name", "scopes", "created"} for c in body["clerks"])
    assert not any(k in out for k in env.keys.values())
    assert "argon2" not in out
    cli(env, "remove-clerk", "bob")
    code, out, _ = cli(env, "clerks", "--json")
    assert [c["name"] for c in json.loads(out)["clerks"]] == ["alice", "root"]


def test_a_name_can_be_given_again_with_a_new_key(env: Env, served: str) -> None:
    old = env.keys["bob"]
    assert lists(served, old).status_code == 200
    cli(env, "remove-clerk", "bob")
    code, out, err = cli(env, "add-clerk", "bob", "--scope", "issue")
    assert code == 0, err
    new = out.strip().splitlines()[-1]
    assert lists(served, old).json()["error"] == "staff_key_invalid"
    assert lists(served, new).status_code == 200
