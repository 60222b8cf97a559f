"""``Readiness``: the store asked at most once per second however many probes come, a store
that fails or hangs answered ``service_not_ready`` within the bound, and a hung read never
asked again beside itself (no pile-up of threads on a sick store)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from civicid.errors import Error
from civicid.readiness import Readiness
from issuer.errors import STORE_FAILED

# Seconds a test's hung read may take to be given up: short, the bound is a parameter.
BOUND = 0.5


class Store:
    """A store's read that answers, fails or hangs as a test says; its calls counted."""

    def __init__(self) -> None:
        self.calls = 0
        self.failure: Error | None = None
        self.released = threading.Event()
        self.released.set()

    def read(self) -> None:
        self.calls += 1
        self.released.wait(10)
        if self.failure is not None:
            raise self.failure


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def made(store: Store, clock: Clock) -> Readiness:
    return Readiness(store.read, clock=clock, fresh=1.0, bound=BOUND)


async def not_ready(readiness: Readiness) -> str:
    with pytest.raises(Error) as caught:
        await readiness.check()
    assert caught.value.code == "service_not_ready"
    assert caught.value.http_status == 503
    return caught.value.message


def test_many_probes_cost_the_store_one_read_a_second() -> None:
    asyncio.run(many_probes_cost_the_store_one_read_a_second())


async def many_probes_cost_the_store_one_read_a_second() -> None:
    store, clock = Store(), Clock()
    readiness = made(store, clock)
    await asyncio.gather(*(readiness.check() for _ in range(50)))
    await readiness.check()
    assert store.calls == 1
    clock.now += 0.9
    await readiness.check()
    assert store.calls == 1  # the answer stands for a second
    clock.now += 0.1
    await readiness.check()
    assert store.calls == 2
    assert await readiness.answer() == (200, {"status": "ready"})


def test_a_failing_store_is_not_ready_with_its_code_then_ready_again() -> None:
    asyncio.run(a_failing_store_is_not_ready_with_its_code_then_ready_again())


async def a_failing_store_is_not_ready_with_its_code_then_ready_again() -> None:
    store, clock = Store(), Clock()
    readiness = made(store, clock)
    store.failure = STORE_FAILED("read failed: disk I/O error")
    said = await not_ready(readiness)
    assert said == "the store failed: read failed: disk I/O error [issuer_store_failed]"
    status, body = await readiness.answer()  # the same answer, within the second
    assert (status, body["error"]) == (503, "service_not_ready") and store.calls == 1
    store.failure = None
    clock.now += 1
    await readiness.check()


def test_a_hung_store_is_not_ready_within_the_bound_and_read_once() -> None:
    asyncio.run(a_hung_store_is_not_ready_within_the_bound_and_read_once())


async def a_hung_store_is_not_ready_within_the_bound_and_read_once() -> None:
    store, clock = Store(), Clock()
    readiness = made(store, clock)
    store.released.clear()
    started = time.monotonic()
    said = await asyncio.gather(*(not_ready(readiness) for _ in range(20)))
    assert time.monotonic() - started < BOUND + 2  # told, not waited out
    assert set(said) == {f"the store did not answer within {BOUND:g} s"}
    for _ in range(3):  # probes go on while the read hangs: none asks again beside it
        clock.now += 1
        await not_ready(readiness)
    assert store.calls == 1
    store.released.set()  # the read answers at last: the next probe is told
    clock.now += 1
    await readiness.check()
    assert store.calls == 1
    clock.now += 1
    await readiness.check()
    assert store.calls == 2


def test_an_app_served_again_on_another_loop_asks_afresh() -> None:
    store, clock = Store(), Clock()
    readiness = made(store, clock)
    asyncio.run(readiness.check())
    asyncio.run(readiness.check())  # within the second, but the answer was another loop's
    assert store.calls == 2
