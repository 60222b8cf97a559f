"""The ledger's side of witnessing (C2SP tlog-witness v1.0.0): every witness of the ledger's
policy (C2SP tlog-policy) is sent each new checkpoint, and the latest again at least every
``interval`` seconds, so the age of its cosignatures measures staleness even when nothing is
written; the cosignatures that come back are appended to the checkpoint readers are served.

Each witness is followed by its own task, at its own pace, always with the newest checkpoint
(a witness still busy with one is sent only the latest when it is free: cosigning batches);
one that is down or slow delays no other, and never a write: the writer only takes note of
each new view (``Ledger.watch``). Readers are served the newest checkpoint that a quorum of
the policy's witnesses cosigned, with those cosignatures, so every answer carries what a
client's policy asks for; until one is, the newest signed one (without cosignatures).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import httpx

from civicid.console import inert
from civicid.cosignature import attach_cosignatures, split_cosigned, verify_cosignatures
from civicid.encoding import b64_encode
from civicid.errors import Error, InvalidInput, declare
from civicid.tlog_policy import PolicyWitness, TlogPolicy, read_policy_file
from ledger.log import Ledger, View

log = logging.getLogger(__name__)

WITNESS_POLICY_INVALID = declare(
    "witness_policy_invalid", InvalidInput, "the ledger's witness policy cannot be used"
)

# How often the latest checkpoint is sent again when nothing new was signed: clients measure
# a checkpoint's age by its cosignatures' timestamps, so this bounds the age a reader sees
# on an idle ledger (a client's maximum age should be a few times this).
DEFAULT_INTERVAL: Final = 60.0
# At most one checkpoint per witness per this many seconds, however fast the ledger writes:
# witnesses are built for many logs each checkpointing now and then (C2SP tlog-witness), and
# a reader waits at most this long more for a new entry to be witnessed.
DEFAULT_PACE: Final = 0.1
# One add-checkpoint call, connection included: a witness slower than this is given up on
# for this round (it is asked again with the newest checkpoint), never waited for longer.
DEFAULT_TIMEOUT: Final = 5.0
# A witness's answer is a few signature lines (~150 bytes each); anything larger is not one.
MAX_ANSWER_BYTES: Final = 16 * 1024
# After a failure, wait this long before asking again, doubling up to the interval: a witness
# that is down is not hammered, and one that comes back is asked again within the interval.
FIRST_RETRY: Final = 0.1
# Signed views remembered so a quorum reached late on an older checkpoint can still be served
# (its state map is needed for proofs); past this, older ones are dropped.
MAX_VIEWS: Final = 256
SIZE_MEDIA: Final = "text/x.tlog.size"  # tlog-witness: the 409 answer's content type
# A cosignature dated further ahead of the ledger's clock is not taken: every client refuses
# a whole note holding one dated past civicid.cosignature.MAX_FUTURE_SKEW_SECONDS (300 s)
# ahead of its own clock, so one witness with its clock (or its word) far ahead would have
# every checkpoint served refused, by any quorum. This leaves a client's clock four minutes
# behind the ledger's.
MAX_AHEAD: Final = 60


def load_policy(path: Path) -> TlogPolicy:
    """The C2SP tlog-policy file at ``path``: every witness needs its URL (the ledger asks it)."""
    policy = TlogPolicy.parse(read_policy_file(path, WITNESS_POLICY_INVALID))
    for witness in policy.witnesses:
        if not witness.url or not witness.url.startswith(("http://", "https://")):
            raise WITNESS_POLICY_INVALID(
                f"{path}: witness {witness.name} has no http(s) URL to send checkpoints to"
            )
    return policy


@dataclass(frozen=True, slots=True)
class Cosigned:
    """A witness's cosignature of one of our signed checkpoints."""

    size: int
    note: str  # the checkpoint as the ledger signed it (no cosignatures)
    lines: tuple[str, ...]  # the witness's cosignature line(s) over it
    timestamp: int


@dataclass(slots=True)
class Follower:
    """What the ledger knows of one witness (also its status for people)."""

    witness: PolicyWitness
    wake: asyncio.Event | None = None
    known_size: int = 0  # the size it last cosigned, as it told us (0: ask, tlog-witness)
    cosigned: Cosigned | None = None
    cosigned_at: float = float("-inf")  # monotonic time of the last success
    sent_at: float = float("-inf")  # monotonic time of the last request
    failures: int = 0
    error: str | None = None  # why the last request failed
    conflict: str | None = None  # the witness saw a tree ours cannot extend: a fork

    @property
    def name(self) -> str:
        return self.witness.name

    def status(self) -> dict[str, object]:
        cosigned = self.cosigned
        return {
            "name": self.name,
            "url": self.witness.url,
            "cosignedSize": None if cosigned is None else cosigned.size,
            "cosignedAt": None if cosigned is None else cosigned.timestamp,
            "error": self.error,
            "conflict": self.conflict,
        }


class Witnessing:
    """Asks the policy's witnesses to cosign the ledger's checkpoints and serves the result.

    Runs in its own thread with its own event loop (``start``/``close``); ``transport``
    replaces the network (tests).
    """

    def __init__(
        self,
        ledger: Ledger,
        policy: TlogPolicy,
        *,
        interval: float = DEFAULT_INTERVAL,
        timeout: float = DEFAULT_TIMEOUT,
        pace: float = DEFAULT_PACE,
        transport: httpx.AsyncBaseTransport | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ledger = ledger
        self.policy = policy
        self.interval = interval
        self.pace = pace
        self.timeout = timeout
        self.transport = transport
        self.monotonic = monotonic
        self.clock = clock  # wall time, to hold cosignature timestamps to ``MAX_AHEAD``
        self.followers = [Follower(w) for w in policy.witnesses if w.url]
        self._lock = threading.Lock()  # guards _views (the sync thread adds to it)
        self._views: dict[int, View] = {}
        self._served: View | None = None  # the newest quorum-cosigned view served
        self._served_by: dict[str, Cosigned] = {}  # whose cosignatures it carries
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._remember(ledger.signed)

    # -- the writer's side: take note, nothing more ------------------------------------------

    def _remember(self, view: View) -> None:
        if not view.checkpoint:
            return
        with self._lock:
            self._views[view.size] = view
            if len(self._views) > MAX_VIEWS:
                for size in sorted(self._views)[: len(self._views) - MAX_VIEWS]:
                    del self._views[size]

    def _noticed(self, view: View) -> None:
        """Called by the ledger's sync thread with each new signed view."""
        self._remember(view)
        loop = self._loop
        if loop is not None:
            # Closed meanwhile (``close`` runs in another thread): nothing left to wake.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._wake_all)

    def _wake_all(self) -> None:
        for follower in self.followers:
            if follower.wake is not None:
                follower.wake.set()

    # -- running -----------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="ledger-witnessing", daemon=True)
        self._thread.start()
        self._ready.wait()
        self.ledger.watch(self._noticed)

    def close(self) -> None:
        self.ledger.unwatch(self._noticed)
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        for follower in self.followers:
            follower.wake = asyncio.Event()
        self._ready.set()
        limits = httpx.Limits(max_connections=2 * max(1, len(self.followers)))
        async with httpx.AsyncClient(
            timeout=httpx.Timeout(self.timeout), transport=self.transport, limits=limits
        ) as http:
            tasks = [asyncio.create_task(self._follow(http, f)) for f in self.followers]
            await self._stop.wait()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _follow(self, http: httpx.AsyncClient, follower: Follower) -> None:
        """Keep ``follower`` cosigning the newest checkpoint, at least every ``interval``."""
        assert follower.wake is not None and self._stop is not None
        # Not ``while True``: on Python 3.11 a cancel that meets wait_for's own timeout (a
        # failing witness is retried every few tenths of a second) can be swallowed, and
        # ``close`` then waited for ever on a task that never saw it.
        while not self._stop.is_set():
            follower.wake.clear()  # before reading the view: a new one sets it again
            view = self.ledger.signed
            since = self.monotonic() - follower.cosigned_at
            cosigned = follower.cosigned
            stale = cosigned is None or cosigned.note != view.checkpoint
            wait = self.interval - since
            if view.checkpoint and (stale or wait <= 0):
                # Paced: a witness is sent at most one checkpoint per ``pace`` seconds (the
                # newest when the time comes), so a busy ledger costs it, and the disk both
                # share on one machine, a bounded rate of fsyncs, not one per write batch.
                early = self.pace - (self.monotonic() - follower.sent_at)
                if early > 0:
                    await asyncio.sleep(early)
                    continue
                follower.sent_at = self.monotonic()
                try:
                    await self._ask(http, follower, view)
                except Exception as exc:
                    self._failed(follower, f"unexpected: {exc!r}")
                    log.exception("witness %s", follower.name)
                if follower.failures:
                    wait = min(self.interval, FIRST_RETRY * 2 ** min(follower.failures, 30))
                else:
                    continue  # a newer checkpoint may have come meanwhile: look again
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(follower.wake.wait(), timeout=max(wait, 0.0))

    async def _ask(self, http: httpx.AsyncClient, follower: Follower, view: View) -> None:
        """One add-checkpoint call (two if the witness's size must be learned from a 409)."""
        old = follower.known_size
        for _ in range(2):
            if old > view.size:
                self._conflict(follower, f"it cosigned size {old}, beyond ours ({view.size})")
                return
            body = self._request(old, view)
            url = str(follower.witness.url).rstrip("/") + "/add-checkpoint"
            try:
                # The whole call: httpx's timeout is per operation, and a witness sending its
                # answer a byte at a time, each within it, would hold this follower for hours.
                async with asyncio.timeout(self.timeout):
                    answer, content = await _post(http, url, body.encode("utf-8"))
            except TimeoutError:
                self._failed(follower, f"no whole answer within {self.timeout:g} s")
                return
            except httpx.HTTPError as exc:
                self._failed(follower, f"{type(exc).__name__}: {exc}"[:200])
                return
            text = content[:MAX_ANSWER_BYTES].decode("utf-8", errors="replace")
            if answer.status_code == 200 and len(content) > MAX_ANSWER_BYTES:
                self._failed(follower, f"bad answer: over {MAX_ANSWER_BYTES} bytes")
                return
            if answer.status_code == 200:
                self._cosigned(follower, view, text)
                return
            if answer.status_code == 409 and answer.headers.get("content-type", "").startswith(
                SIZE_MEDIA
            ):
                size = _size(text)
                if size is None:
                    self._failed(follower, "409 without a tree size")
                    return
                if size == old:  # same size, another root: a fork (tlog-witness 409)
                    self._conflict(follower, f"it cosigned another tree of size {size}")
                    return
                follower.known_size = old = size
                continue  # ask again with the size it knows
            why = f"HTTP {answer.status_code} {_reason(text)}"
            if answer.status_code in (409, 422):  # same size, another root; or no consistency
                self._conflict(follower, why)
            else:
                self._failed(follower, why)
            return
        self._failed(follower, "its tree size keeps changing")

    def _request(self, old: int, view: View) -> str:
        """``old N``, the consistency proof from N, a blank line, the checkpoint."""
        proof = self.ledger.consistency_proof(old, view.size) if 0 < old < view.size else []
        lines = [f"old {old}", *(b64_encode(node) for node in proof)]
        return "".join(line + "\n" for line in lines) + "\n" + view.checkpoint

    def _cosigned(self, follower: Follower, view: View, answer: str) -> None:
        verifier = follower.witness.verifier
        try:
            note = attach_cosignatures(view.checkpoint, [answer])
            verified = verify_cosignatures(
                note, [verifier], now=int(self.clock()), max_future_skew=MAX_AHEAD
            )
            if not verified:
                raise WITNESS_POLICY_INVALID("no cosignature by its key in the answer")
            # Its newest line alone: a witness may send any number of valid ones (a
            # timestamp each), and every line kept would count towards the signatures a
            # note may carry (MAX_NOTE_SIGNATURES), beyond which none could be served.
            newest, cosigned = verified[0].timestamp, split_cosigned(note)
            lines = tuple(
                line
                for line in cosigned.cosignature_lines
                if verifier.matches(line) and verifier.verify_line(cosigned.text, line) == newest
            )[:1]
        except Error as exc:
            self._failed(follower, f"bad answer: {exc.message} [{exc.code}]")
            return
        follower.known_size = view.size
        follower.cosigned = Cosigned(view.size, view.checkpoint, lines, verified[0].timestamp)
        follower.cosigned_at = self.monotonic()
        follower.failures, follower.error, follower.conflict = 0, None, None
        self._publish()

    def _failed(self, follower: Follower, why: str) -> None:
        why = inert(why)  # it may echo what the witness sent: no escape reaches a terminal
        if follower.error != why:
            log.warning("witness %s: %s", follower.name, why)
        follower.failures += 1
        follower.error = why

    def _conflict(self, follower: Follower, why: str) -> None:
        why = inert(why)
        log.error("witness %s refuses our checkpoint: %s (a split view?)", follower.name, why)
        follower.conflict = why
        self._failed(follower, why)

    # -- what readers are served -------------------------------------------------------------

    def _publish(self) -> None:
        """Serve the newest view a quorum cosigned (never an older one than served before);
        at the size served already, cosignatures of witnesses that moved on are kept."""
        by_size: dict[int, dict[str, Cosigned]] = {}
        for follower in self.followers:
            cosigned = follower.cosigned
            if cosigned is not None:
                by_size.setdefault(cosigned.size, {})[follower.name] = cosigned
        with self._lock:
            views = dict(self._views)
        served = self._served
        for size in sorted(by_size, reverse=True):
            if served is not None and size < served.size:
                break
            view = views.get(size)
            if view is None:
                continue
            signers = {n: c for n, c in by_size[size].items() if c.note == view.checkpoint}
            if served is not None and size == served.size:
                signers = {**self._served_by, **signers}
            if not self.policy.evaluate(signers).met:
                continue
            lines = [line for c in signers.values() for line in c.lines]
            self._served = View(size, attach_cosignatures(view.checkpoint, lines), view.statemap)
            self._served_by = signers
            self.ledger.serve(self._served)
            self._forget_before(size)
            return

    def _forget_before(self, size: int) -> None:
        with self._lock:
            for old in [s for s in self._views if s < size]:
                del self._views[old]

    @property
    def served(self) -> View | None:
        """The newest quorum-cosigned view served so far (None before the first)."""
        return self._served

    def status(self) -> list[dict[str, object]]:
        return [follower.status() for follower in self.followers]


async def _post(http: httpx.AsyncClient, url: str, body: bytes) -> tuple[httpx.Response, bytes]:
    """The answer and at most ``MAX_ANSWER_BYTES + 1`` bytes of its body: a witness's answer
    is read no further than a cosignature or a refusal needs, whatever it sends."""
    async with http.stream("POST", url, content=body) as answer:
        content = b""
        async for chunk in answer.aiter_bytes():
            content += chunk
            if len(content) > MAX_ANSWER_BYTES:
                break
        return answer, content


def _size(text: str) -> int | None:
    """The tree size a 409 names, in ASCII decimal (tlog-witness); ``str.isdigit`` alone
    takes other scripts' digits, and superscripts ``int`` refuses."""
    line = text.strip()
    return int(line) if line.isascii() and line.isdigit() and len(line) <= 20 else None


def _reason(text: str) -> str:
    """A witness's refusal as one line: its error code and description when it sent ours."""
    try:
        body = json.loads(text)
        return f"{body['error']}: {body['error_description']}"[:200]
    except (ValueError, KeyError, TypeError):
        return text.strip()[:200]
