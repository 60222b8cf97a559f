"""Attack: wrong secrets sent for a known clerk id (the part of a key a log line or a
screenshot shows first) each cost an Argon2 check, run one at a time. They queued without
bound, each holding a thread of the pool every staff call shares, so a clerk whose key was
verified lately waited behind all of them (over a minute for 40). Now at most
``MAX_KEY_CHECKS`` keys run or wait for their check; past it a key is refused at once,
``staff_key_checks_busy`` (503 with ``Retry-After``), and a key verified lately is answered
without waiting."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from civicid.errors import Error
from cli.harness import free_port, serving
from issuer import clerks
from issuer.app import create_app
from issuer.clerks import KEY_CHECKS_RETRY_SECONDS, MAX_KEY_CHECKS
from issuer.errors import STAFF_KEY_CHECKS_BUSY, STAFF_KEY_INVALID
from tests.issuer.conftest import Env

WAIT = 30.0


def wrong(key: str) -> str:
    """The same clerk id, another secret of the right shape."""
    return key[:-1] + ("A" if key[-1] != "A" else "B")


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Argon2 checks that wait until the event is set (each check then answers as before)."""
    release = threading.Event()
    verify = clerks._verify

    def slow(key_hash: str, api_key: str) -> bool:
        assert release.wait(WAIT), "never released"
        return verify(key_hash, api_key)

    monkeypatch.setattr(clerks, "_verify", slow)
    yield release
    release.set()


def _checks(env: Env) -> int:
    return env.issuer.keyring._checks


def queued(env: Env, attempt: Callable[[], object]) -> list[threading.Thread]:
    """``MAX_KEY_CHECKS`` threads running ``attempt``, once all of them are in the checks."""
    threads = [threading.Thread(target=attempt) for _ in range(MAX_KEY_CHECKS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + WAIT
    while _checks(env) < MAX_KEY_CHECKS:
        assert time.monotonic() < deadline, "the checks did not queue"
        time.sleep(0.001)
    return threads


def test_a_flood_is_refused_at_once_and_a_verified_key_waits_for_nothing(
    env: Env, held: threading.Event
) -> None:
    keyring = env.issuer.keyring
    good = env.keys["alice"]
    held.set()
    keyring.authenticate(good)  # verified once: remembered
    held.clear()
    outcomes: list[object] = []

    def attempt() -> None:
        try:
            outcomes.append(keyring.authenticate(wrong(good)))
        except Error as exc:
            outcomes.append(exc)

    threads = queued(env, attempt)
    with pytest.raises(Error) as raised:
        keyring.authenticate(wrong(good))
    assert STAFF_KEY_CHECKS_BUSY.matches(raised.value), raised.value
    assert raised.value.details == {"retry_after": KEY_CHECKS_RETRY_SECONDS}
    assert keyring.authenticate(good).name == "alice"  # remembered: no Argon2, no queue
    held.set()
    for thread in threads:
        thread.join(WAIT)
    assert len(outcomes) == MAX_KEY_CHECKS
    assert all(isinstance(o, Error) and STAFF_KEY_INVALID.matches(o) for o in outcomes)
    assert _checks(env) == 0
    with pytest.raises(Error) as raised:  # the bound is free again: checked, and refused
        keyring.authenticate(wrong(good))
    assert STAFF_KEY_INVALID.matches(raised.value), raised.value


def test_a_check_that_fails_frees_its_place(env: Env) -> None:
    for _ in range(MAX_KEY_CHECKS + 2):
        with pytest.raises(Error) as raised:
            env.issuer.keyring.authenticate(wrong(env.keys["bob"]))
        assert STAFF_KEY_INVALID.matches(raised.value), raised.value
    assert _checks(env) == 0
    assert env.issuer.keyring.authenticate(env.keys["bob"]).name == "bob"


def test_over_http_the_refusal_says_when_to_ask_again(env: Env, held: threading.Event) -> None:
    good = env.keys["alice"]
    with serving(create_app(issuer=env.issuer, background=False), free_port()) as url:

        def ask(key: str) -> httpx.Response:
            return httpx.get(
                url + "/staff/lists", headers={"Authorization": f"Bearer {key}"}, timeout=WAIT
            )

        threads = queued(env, lambda: ask(wrong(good)))
        refused = ask(wrong(good))
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"] == "staff_key_checks_busy"
        assert refused.headers["retry-after"] == str(KEY_CHECKS_RETRY_SECONDS)
        held.set()
        for thread in threads:
            thread.join(WAIT)
        assert ask(good).status_code == 200
