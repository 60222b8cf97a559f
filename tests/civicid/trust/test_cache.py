"""The one memory of proven answers: offline, an answer older than the maximum age is
refused with its age (so a desk can say how stale its snapshot is) and nothing is fetched; an
age of exactly the maximum still stands. Online, an answer is reused while younger than the
maximum age, and asked again from then on. The memory is bounded."""

from __future__ import annotations

import threading

import pytest

from civicid.errors import Error
from civicid.trust import MAX_ANSWERS, AnswerCache


def test_a_stale_snapshot_is_refused_with_its_age() -> None:
    fetched: list[str] = []
    cache = AnswerCache(as_of=1_000)
    with pytest.raises(Error) as info:
        cache.get(("type", "t"), lambda: fetched.append("t"), now=1_000 + 301, max_age=300)
    assert info.value.code == "snapshot_stale"
    assert info.value.details["age"] == 301
    assert "301s old" in info.value.message and "sync" in info.value.message
    assert fetched == []


def test_a_snapshot_exactly_as_old_as_allowed_still_stands() -> None:
    cache = AnswerCache(as_of=1_000)
    assert cache.get("k", lambda: "answer", now=1_300, max_age=300).value == "answer"
    again = cache.get("k", lambda: "again", now=1_300, max_age=300)
    assert (again.value, again.at) == ("answer", 1_000)


def test_a_remembered_snapshot_answer_goes_stale_too() -> None:
    cache = AnswerCache(as_of=1_000)
    cache.get("k", lambda: "answer", now=1_000, max_age=300)
    with pytest.raises(Error) as info:
        cache.get("k", lambda: "answer", now=1_301, max_age=300)
    assert info.value.code == "snapshot_stale"


def test_offline_answers_are_never_fetched_twice() -> None:
    calls: list[int] = []
    cache = AnswerCache(as_of=1_000)
    cache.get("k", lambda: calls.append(1), now=1_000, max_age=300)
    cache.get("k", lambda: calls.append(2), now=1_200, max_age=300)
    assert calls == [1]


def test_online_an_answer_is_reused_until_the_maximum_age() -> None:
    answers = iter(["first", "second", "third"])
    cache = AnswerCache()
    assert cache.get("k", lambda: next(answers), now=100, max_age=60).value == "first"
    assert cache.get("k", lambda: next(answers), now=159, max_age=60).value == "first"
    fresh = cache.get("k", lambda: next(answers), now=160, max_age=60)
    assert (fresh.value, fresh.at) == ("second", 160)


def test_online_with_no_maximum_age_every_question_goes_to_the_ledger() -> None:
    answers = iter(["first", "second"])
    cache = AnswerCache()
    assert cache.get("k", lambda: next(answers), now=100, max_age=0).value == "first"
    assert cache.get("k", lambda: next(answers), now=100, max_age=0).value == "second"


def test_answers_are_kept_per_question() -> None:
    cache = AnswerCache()
    assert cache.get(("issuer", "a"), lambda: "a", now=0, max_age=60).value == "a"
    assert cache.get(("issuer", "b"), lambda: "b", now=0, max_age=60).value == "b"
    assert cache.get(("issuer", "a"), lambda: "x", now=1, max_age=60).value == "a"


def test_the_memory_of_answers_is_bounded() -> None:
    cache = AnswerCache()
    for n in range(MAX_ANSWERS):
        cache.get(("k", n), lambda: 0, now=0, max_age=60)
    assert len(cache) == MAX_ANSWERS
    cache.get(("k", "one more"), lambda: 0, now=0, max_age=60)
    assert len(cache) == 1  # full: forgotten, then the new answer kept


def test_forget_drops_every_answer() -> None:
    cache = AnswerCache()
    cache.get("a", lambda: 1, now=0, max_age=60)
    cache.get("b", lambda: 2, now=0, max_age=60)
    cache.forget()
    assert len(cache) == 0
    assert cache.get("a", lambda: 3, now=0, max_age=60).value == 3


def test_a_remembered_answer_waits_for_no_fetch_of_another_question() -> None:
    # A slow ledger answer to one question must not hold up every check that needs only
    # answers already proven: a remembered one is read without waiting for the fetch.
    cache = AnswerCache()
    cache.get("known", lambda: "proven", now=0, max_age=60)
    started, release = threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        release.wait(10)
        return "late"

    asking = threading.Thread(
        target=cache.get, args=("slow", slow), kwargs={"now": 0, "max_age": 60}
    )
    asking.start()
    try:
        assert started.wait(10)
        answers: list[str] = []
        reader = threading.Thread(
            target=lambda: answers.append(cache.get("known", lambda: "x", now=1, max_age=60).value)
        )
        reader.start()
        reader.join(2)
        assert answers == ["proven"]
    finally:
        release.set()
        asking.join(10)
    assert cache.get("slow", lambda: "again", now=1, max_age=60).value == "late"


def test_remembered_is_what_get_would_serve_without_fetching() -> None:
    cache = AnswerCache()
    assert cache.remembered("k", now=0, max_age=60) is None
    cache.get("k", lambda: "answer", now=100, max_age=60)
    hit = cache.remembered("k", now=159, max_age=60)
    assert hit is not None and (hit.value, hit.at) == ("answer", 100)
    assert cache.remembered("k", now=160, max_age=60) is None  # as old as the maximum: asked anew
    offline = AnswerCache(as_of=1_000)
    offline.get("k", lambda: "answer", now=1_000, max_age=300)
    assert offline.remembered("k", now=1_300, max_age=300) is not None
    with pytest.raises(Error) as info:
        offline.remembered("k", now=1_301, max_age=300)
    assert info.value.code == "snapshot_stale"
