"""A witness that answers add-checkpoint with a body without end: the ledger reads no more of
it than a cosignature can take (``MAX_ANSWER_BYTES``), notes the witness as failing, and goes
on with the others; before, it read the whole answer into memory first."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest

from civicid.cosignature import CosignerKey
from civicid.tlog_policy import TlogPolicy
from ledger.witnessing import MAX_ANSWER_BYTES, Witnessing
from tests.ledger.conftest import World
from tests.ledger.witnesses import MemoryWitness, Witnesses, policy_text

DEADLINE = 10.0  # seconds a test waits for the witnesses on a loaded machine
CHUNK = 64 * 1024
# Where the endless answer gives up, so that a reader that reads it all still ends: far past
# MAX_ANSWER_BYTES, small enough for a test's memory.
GIVE_UP = 300


def until(condition: Callable[[], bool], what: str) -> None:
    end = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


@contextmanager
def beside_two_honest(
    world: World, liar: Callable[[Witnesses], httpx.AsyncBaseTransport], timeout: float = 2.0
) -> Iterator[Witnessing]:
    """The ledger's witnessing under a 2-of-3 policy, every request going through ``liar``
    (which answers for ``w1`` and hands the others to the honest ``w2`` and ``w3``)."""
    witnesses = {
        name: MemoryWitness(CosignerKey.generate(f"{name}.example"), world.genesis.vkey)
        for name in ("w1", "w2", "w3")
    }
    policy = TlogPolicy.parse(policy_text(witnesses, 2))
    running = Witnessing(
        world.ledger, policy, interval=3600, timeout=timeout, transport=liar(Witnesses(witnesses))
    )
    running.start()
    try:
        yield running
    finally:
        running.close()


class Endless(httpx.AsyncByteStream):
    def __init__(self) -> None:
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.sent < GIVE_UP:
            self.sent += 1
            yield b"x" * CHUNK


class Flooding(httpx.AsyncBaseTransport):
    """``w1`` answers every request with an endless 200; the others are honest witnesses."""

    def __init__(self, honest: Witnesses) -> None:
        self.honest = honest
        self.streams: list[Endless] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host != "w1":
            return await self.honest.handle_async_request(request)
        stream = Endless()
        self.streams.append(stream)
        return httpx.Response(200, stream=stream, headers={"content-type": "text/plain"})


@pytest.fixture
def flooded(world: World) -> Iterator[tuple[Witnessing, Flooding]]:
    made: list[Flooding] = []

    def flooding(honest: Witnesses) -> Flooding:
        made.append(Flooding(honest))
        return made[0]

    with beside_two_honest(world, flooding) as running:
        yield running, made[0]


def test_an_endless_answer_is_read_no_further_than_a_cosignature_needs(
    world: World, flooded: tuple[Witnessing, Flooding]
) -> None:
    witnessing, transport = flooded
    world.register("agency")
    until(lambda: witnessing.followers[0].error is not None, "w1's answer refused")
    assert transport.streams
    most = MAX_ANSWER_BYTES // CHUNK + 2
    assert all(stream.sent <= most for stream in transport.streams), [
        s.sent for s in transport.streams
    ]
    assert "answer" in str(witnessing.followers[0].error)
    # The two honest witnesses still make the quorum.
    until(lambda: witnessing.served is not None, "a quorum served")
    assert witnessing.followers[0].cosigned is None


class Shouting(httpx.AsyncBaseTransport):
    """``w1`` refuses every request with a body of terminal escapes and line breaks."""

    def __init__(self, honest: Witnesses) -> None:
        self.honest = honest

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host != "w1":
            return await self.honest.handle_async_request(request)
        shout = "\x1b]0;owned\x07\x1b[2J\nfake log line\r\u202e"
        return httpx.Response(500, content=shout.encode())


def test_a_witness_refusal_is_logged_inert(world: World, caplog: pytest.LogCaptureFixture) -> None:
    with beside_two_honest(world, Shouting) as running:
        world.register("agency")
        until(lambda: running.followers[0].error is not None, "w1's refusal noted")
    error = str(running.followers[0].error)
    assert "\\x1b" in error, error  # what it sent, readable
    logged = "".join(r.getMessage() for r in caplog.records if "w1" in r.getMessage())
    for active in ("\x1b", "\x07", "\n", "\r", "\u202e"):
        assert active not in error and active not in logged, (active, error)


class Superscript(httpx.AsyncBaseTransport):
    """``w1`` answers every request 409 with a tree size of digits that are not ASCII: "²"
    (a digit to ``str.isdigit``, refused by ``int``) or "٣" (Arabic-Indic three, read as 3
    by ``int``)."""

    def __init__(self, honest: Witnesses, size: str) -> None:
        self.honest = honest
        self.size = size

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host != "w1":
            return await self.honest.handle_async_request(request)
        return httpx.Response(
            409, content=f"{self.size}\n".encode(), headers={"content-type": "text/x.tlog.size"}
        )


@pytest.mark.parametrize("size", ["\u00b2", "\u0663"])
def test_a_tree_size_in_digits_that_are_not_ascii_is_no_size(
    world: World, caplog: pytest.LogCaptureFixture, size: str
) -> None:
    """tlog-witness: the 409 body is the size in ASCII decimal. Before, "²" passed the digit
    check and ``int`` raised: an unexpected failure with its traceback logged every retry;
    "٣" was taken as size 3 and the witness asked again with a proof from it."""
    with beside_two_honest(world, lambda honest: Superscript(honest, size)) as running:
        world.register("agency")
        until(lambda: running.followers[0].error is not None, "w1's answer noted")
        until(lambda: running.served is not None, "a quorum served by w2 and w3")
    assert running.followers[0].error == "409 without a tree size"
    assert running.followers[0].known_size == 0
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


class Dripping(httpx.AsyncByteStream):
    """An answer sent a byte at a time, each long before any per-operation timeout."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(MAX_ANSWER_BYTES):
            await asyncio.sleep(0.05)
            yield b"x"


class Drip(httpx.AsyncBaseTransport):
    """``w1`` answers every request at once, then drips its body; the others are honest."""

    def __init__(self, honest: Witnesses) -> None:
        self.honest = honest

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host != "w1":
            return await self.honest.handle_async_request(request)
        return httpx.Response(200, stream=Dripping(), headers={"content-type": "text/plain"})


def test_a_dripping_answer_is_given_up_on_at_the_timeout(world: World) -> None:
    """The timeout is the whole call's, as its comment says. Before, it bounded each read
    only: a witness dripping its answer held its follower for the 16 KiB it may send (here
    over 13 minutes), asking it nothing newer meanwhile."""
    with beside_two_honest(world, Drip, timeout=1.0) as running:
        world.register("agency")
        until(lambda: running.followers[0].error is not None, "w1 given up on")
        until(lambda: running.served is not None, "a quorum served by w2 and w3")
    assert running.followers[0].error == "no whole answer within 1 s"
    assert running.followers[0].cosigned is None
