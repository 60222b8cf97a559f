"""Two desk processes on one PostgreSQL database (``database_url``): a request made at one is
fetched and answered at the other, its answer is taken once when both receive it at the same
moment, and a nonce spent at one is a replay at the other."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from civicid.errors import Error
from tests.verifier.attacks import fresh, passes
from tests.verifier.world import Clock, World, fetch_request, form, open_desk
from verifier.pg_store import PgStore
from verifier.service import Answered, Verifier


@pytest.fixture
def desks(
    world: World, http: httpx.BaseTransport, desk_clock: Clock, database_url: str
) -> Iterator[tuple[Verifier, Verifier]]:
    one = open_desk(world, http, desk_clock, database_url=database_url)
    two = open_desk(world, http, desk_clock, database_url=database_url)
    yield one, two
    one.close()
    two.close()


def test_both_desks_keep_their_state_in_the_database(desks: tuple[Verifier, Verifier]) -> None:
    assert all(isinstance(d.store, PgStore) for d in desks)


def test_an_answer_received_by_two_desks_at_once_is_taken_once(
    world: World, desks: tuple[Verifier, Verifier], desk_clock: Clock
) -> None:
    one, two = desks
    created = one.create_request("housing-benefit")
    request = fetch_request(two, created.link, desk_clock.now)
    presentation = world.present(
        world.credential(), nonce=request.nonce, aud=request.client_id, iat=desk_clock.now
    )
    start = threading.Barrier(2)
    answers: list[Answered | Error] = []

    def answer(desk: Verifier) -> None:
        start.wait()
        try:
            answers.append(desk.receive_response(form(request.state, presentation)))
        except Error as exc:
            answers.append(exc)

    threads = [threading.Thread(target=answer, args=(d,)) for d in desks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    decided = [a for a in answers if isinstance(a, Answered)]
    refused = [a for a in answers if isinstance(a, Error)]
    assert len(decided) == 1 and decided[0].decision.eligible
    assert [e.code for e in refused] == ["request_already_answered"]
    for desk in desks:  # the page polling either desk sees the one decision
        status = desk.transaction(created.transaction_id)
        assert status["status"] == "decided" and status["decision"]["eligible"] is True
    assert len(one.store.audit_trail()) == 1


def test_a_request_object_is_fetched_once_across_desks(
    desks: tuple[Verifier, Verifier], desk_clock: Clock
) -> None:
    one, two = desks
    created = one.create_request("housing-benefit")
    fetch_request(two, created.link, desk_clock.now)
    with pytest.raises(Error) as caught:
        fetch_request(one, created.link, desk_clock.now)
    assert caught.value.code == "request_already_fetched"


def test_a_nonce_spent_at_one_desk_is_a_replay_at_the_other(
    world: World, desks: tuple[Verifier, Verifier]
) -> None:
    one, two = desks
    presentation, nonce = fresh(world, one, world.credential())
    passes(one, presentation, nonce=nonce)
    decision = two.check(presentation, policy=two.policy("housing-benefit"), nonce=nonce)
    assert decision.code == "presentation_replayed"
