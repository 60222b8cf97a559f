"""The memory of proven answers when asked at once and at a time given: a question asked
by two threads at once is fetched once (the second, having waited for the first's fetch,
takes its answer), and a history is remembered by the time given, not the clock's."""

from __future__ import annotations

import threading
import time

from civicid.trust.cache import AnswerCache
from tests.civicid.trust.test_questions import AGENCY, Client, trust_of


def test_a_question_asked_at_once_is_fetched_once() -> None:
    cache = AnswerCache()
    started, release = threading.Event(), threading.Event()
    fetched: list[str] = []

    def slow() -> str:
        fetched.append("first")
        started.set()
        release.wait(10)
        return "first"

    def again() -> str:
        fetched.append("second")
        return "second"

    first = threading.Thread(target=cache.get, args=("k", slow), kwargs={"now": 100, "max_age": 60})
    first.start()
    answers: list[str] = []
    try:
        assert started.wait(10)
        second = threading.Thread(
            target=lambda: answers.append(cache.get("k", again, now=100, max_age=60).value)
        )
        second.start()
        time.sleep(0.3)  # the second waits for the first's fetch, under the memory's lock
    finally:
        release.set()
        first.join(10)
    second.join(10)
    assert answers == ["first"] and fetched == ["first"]


def test_a_history_is_remembered_by_the_time_given_not_the_clocks() -> None:
    client = Client()
    trust = trust_of(client, clock=1_000)
    trust.history(AGENCY, now=0, max_age=60)
    trust.history(AGENCY, now=59, max_age=60)
    assert client.asked == [AGENCY]
    trust.history(AGENCY, now=60, max_age=60)  # as old as allowed at the time given: anew
    assert client.asked == [AGENCY, AGENCY]
