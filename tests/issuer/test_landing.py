"""The routes wait for the store's group commit through ``Landing``: every caller of a batch
learns its own outcome (a refusal raised to its caller alone), on one wake-up of the loop."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from typing import Any

import pytest

from issuer.errors import STORE_FAILED
from issuer.routes.deps import Landing, landed


def running() -> Future[None]:
    future: Future[None] = Future()
    future.set_running_or_notify_cancel()
    return future


def test_a_batch_settled_together_lands_on_one_wake_up() -> None:
    async def main() -> tuple[list[Any], int]:
        loop = asyncio.get_running_loop()
        wakes = 0
        schedule = loop.call_soon_threadsafe

        def counted(*args: Any) -> Any:
            nonlocal wakes
            wakes += 1
            return schedule(*args)

        loop.call_soon_threadsafe = counted  # type: ignore[method-assign,assignment]  # counted
        futures = [running() for _ in range(5)]
        waits = [asyncio.ensure_future(landed(f)) for f in futures]
        await asyncio.sleep(0)  # every caller waiting

        def writer() -> None:  # as the store's writer settles a batch
            for n, future in enumerate(futures):
                if n == 2:
                    future.set_exception(STORE_FAILED("write refused by the store: no"))
                else:
                    future.set_result(None)

        thread = threading.Thread(target=writer)
        thread.start()
        thread.join()
        outcomes = await asyncio.gather(*waits, return_exceptions=True)
        return outcomes, wakes

    outcomes, wakes = asyncio.run(main())
    assert wakes == 1
    assert [o is None for o in outcomes] == [True, True, False, True, True]
    assert STORE_FAILED.matches(outcomes[2])


def test_a_future_already_settled_answers_without_waiting() -> None:
    done: Future[None] = Future()
    done.set_result(None)
    failed: Future[None] = Future()
    failed.set_exception(STORE_FAILED("commit failed"))

    async def main() -> None:
        await landed(done)
        with pytest.raises(Exception) as raised:
            await landed(failed)
        assert STORE_FAILED.matches(raised.value)

    asyncio.run(main())


def test_a_cancelled_waiter_leaves_the_others_their_outcome() -> None:
    async def main() -> None:
        landing = Landing(asyncio.get_running_loop())
        first, second = running(), running()
        gone, kept = landing.wait(first), landing.wait(second)
        gone.cancel()
        first.set_result(None)
        second.set_exception(STORE_FAILED("commit failed"))
        with pytest.raises(Exception) as raised:
            await kept
        assert STORE_FAILED.matches(raised.value)
        assert gone.cancelled()

    asyncio.run(main())
