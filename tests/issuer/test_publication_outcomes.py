"""A publication's outcomes, list by list: what the ledger took is recorded with its entry and
the token it took, and audited with who published, the list, its entry and version; a list the
ledger refused stays pending without stopping the next one, and the first refusal is raised;
a key not in force publishes nothing and is audited with its code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from civicid.errors import Error
from civicid.http import HTTP_DEADLINE, HTTP_UNREACHABLE
from issuer.errors import KEY_NOT_IN_FORCE
from issuer.records import AuditEvent, Issued
from issuer.settings import ConfigurationSettings
from tests.issuer.conftest import CONFIG, NATIONAL_ID, Clock, Env, LedgerWorld, make_env
from tests.issuer.test_status import issue


def publication_events(env: Env, after: int) -> list[AuditEvent]:
    return [e for e in env.issuer.audit(after=after, limit=500) if e.action == "status.publish"]


def last_seq(env: Env) -> int:
    events = env.issuer.audit(limit=500)
    return events[-1].seq or 0 if events else 0


class Recorder:
    """The agency's ledger view's ``publish_list``, recording each call and its receipt, and
    failing for the URIs given."""

    def __init__(self, env: Env, failing: dict[str, Error]) -> None:
        self.real = env.issuer.ledger.publish_list
        self.failing = failing
        self.asked: list[tuple[str, str]] = []
        self.receipts: dict[str, dict[str, Any]] = {}

    def __call__(self, uri: str, token: str) -> dict[str, Any]:
        self.asked.append((uri, token))
        if uri in self.failing:
            raise self.failing[uri]
        receipt = self.real(uri, token)
        self.receipts[uri] = receipt
        return receipt


def test_a_publication_records_and_audits_what_the_ledger_took(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    issued = issue(env)
    env.issuer.set_status(env.clerk(), issued.id, "revoke")
    before, version = last_seq(env), env.issuer.lists.lists[1].version
    recorder = Recorder(env, {})
    monkeypatch.setattr(env.issuer.ledger, "publish_list", recorder)
    start = env.clock()
    published = env.issuer.publish("alice")
    end = env.clock()
    uri = env.issuer.lists.uri(1)
    [(asked_uri, token)] = recorder.asked
    assert asked_uri == uri
    seq = int(recorder.receipts[uri]["seq"])
    [record] = published
    assert (record.number, record.uri, record.published_seq, record.token) == (1, uri, seq, token)
    assert record.published_at is not None and start <= record.published_at <= end
    assert not record.pending
    assert env.issuer.status_token(1) == token
    stored = {r.number: r for r in env.store.lists()}[1]  # durable as returned
    assert (stored.published_seq, stored.token, stored.pending) == (seq, token, False)
    [event] = publication_events(env, before)
    assert (event.actor, event.subject, event.outcome) == ("alice", uri, "ok")
    assert event.detail == {"seq": seq, "version": version}


def test_a_key_not_in_force_publishes_nothing_and_is_audited(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    issued = issue(env)
    env.issuer.set_status(env.clerk(), issued.id, "suspend")
    before = last_seq(env)

    def not_in_force() -> Any:
        raise KEY_NOT_IN_FORCE("the agency's key was rotated on the ledger")

    recorder = Recorder(env, {})
    monkeypatch.setattr(env.issuer.ledger, "require_key_in_force", not_in_force)
    monkeypatch.setattr(env.issuer.ledger, "publish_list", recorder)
    with pytest.raises(Error) as caught:
        env.issuer.publish("alice")
    assert caught.value.code == KEY_NOT_IN_FORCE.name
    assert recorder.asked == [] and env.issuer.lists.pending() == 1
    [event] = publication_events(env, before)
    assert (event.actor, event.subject, event.outcome) == ("alice", None, KEY_NOT_IN_FORCE.name)
    assert event.detail == {}


def two_lists(tmp_path: Path, world: LedgerWorld, clock: Clock) -> tuple[Env, list[Issued]]:
    """An issuer whose first list is full enough that a second one was made: both due."""
    env = make_env(
        tmp_path,
        world,
        clock,
        status_list_size=16,
        configurations=[ConfigurationSettings(id=CONFIG, vct=NATIONAL_ID, batch_size=3)],
    )
    issued = [issue(env, record=f"REG-{i}", copies=3) for i in range(5)]
    assert set(env.issuer.lists.lists) == {1, 2}
    env.issuer.set_status(env.clerk(), issued[0].id, "revoke")  # list 1 changed too
    assert [s.number for s in env.issuer.lists.due(clock(), env.settings.status_ttl)] == [1, 2]
    return env, issued


def test_a_list_the_ledger_refuses_does_not_stop_the_next(
    tmp_path: Path, ledger_world: LedgerWorld, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    env, _ = two_lists(tmp_path, ledger_world, clock)
    try:
        first, second = env.issuer.lists.uri(1), env.issuer.lists.uri(2)
        before = last_seq(env)
        recorder = Recorder(env, {first: HTTP_UNREACHABLE("the ledger did not answer")})
        monkeypatch.setattr(env.issuer.ledger, "publish_list", recorder)
        with pytest.raises(Error) as caught:
            env.issuer.publish("alice")
        assert caught.value.code == HTTP_UNREACHABLE.name
        assert [uri for uri, _ in recorder.asked] == [first, second]
        assert env.issuer.lists.pending() == 1  # list 2 on the ledger, list 1 still to go
        assert env.issuer.status_token(2) == recorder.asked[1][1]
        refused, taken = publication_events(env, before)
        assert (refused.actor, refused.subject, refused.outcome) == (
            "alice",
            first,
            HTTP_UNREACHABLE.name,
        )
        assert refused.detail == {}
        assert (taken.actor, taken.subject, taken.outcome) == ("alice", second, "ok")
        assert taken.detail["seq"] == int(recorder.receipts[second]["seq"])
    finally:
        env.issuer.close()


def test_when_every_list_is_refused_the_first_refusal_is_raised(
    tmp_path: Path, ledger_world: LedgerWorld, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    env, _ = two_lists(tmp_path, ledger_world, clock)
    try:
        first, second = env.issuer.lists.uri(1), env.issuer.lists.uri(2)
        before = last_seq(env)
        failing = {
            first: HTTP_DEADLINE("the ledger did not answer in time"),
            second: HTTP_UNREACHABLE("the ledger did not answer"),
        }
        monkeypatch.setattr(env.issuer.ledger, "publish_list", Recorder(env, failing))
        with pytest.raises(Error) as caught:
            env.issuer.publish("system")
        assert caught.value.code == HTTP_DEADLINE.name
        assert env.issuer.lists.pending() == 2
        outcomes = [(e.actor, e.subject, e.outcome) for e in publication_events(env, before)]
        assert outcomes == [
            ("system", first, HTTP_DEADLINE.name),
            ("system", second, HTTP_UNREACHABLE.name),
        ]
    finally:
        env.issuer.close()
