"""The ledger client on its own, against scripted answers: how long ``witnessed_covering``
waits for a witnessed checkpoint (pauses doubling from ``FIRST_POLL`` up to ``MAX_POLL``, up
to ``WITNESSED_WAIT`` and not past it), which errors end the wait at once, which failed
request may be asked again of a mirror, and a receipt that is not one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from civicid import ledger_client, wire
from civicid.checkpoint import Checkpoint, NoteSigner
from civicid.checkpoint_policy import CHECKPOINT_QUORUM_MISSING
from civicid.errors import Error
from civicid.ledger_client import (
    FIRST_POLL,
    LEDGER_FORKED,
    MAX_POLL,
    STATUS_LIST_MEDIA,
    WITNESSED_WAIT,
    LedgerClient,
)
from civicid.merkle import MerkleTree, leaf_hash
from tests.civicid.ledger_client_fixtures import offline

ORIGIN = "ledger.example/waits"
SIGNER = NoteSigner.generate(ORIGIN)


class Sized:
    """Stands for a checkpoint: only its size is read while waiting."""

    def __init__(self, size: int) -> None:
        self.size = size


class Clock:
    """``time.monotonic`` and ``time.sleep`` of the client's module: each sleep moves the
    clock on by what it was asked; ``at`` sets the next readings outright."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []
        self.at: list[float] = []

    def monotonic(self) -> float:
        if self.at:
            self.now = self.at.pop(0)
        return self.now

    def sleep(self, seconds: float) -> None:
        assert isinstance(seconds, float) and seconds > 0
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(ledger_client.time, "monotonic", clock.monotonic)
    monkeypatch.setattr(ledger_client.time, "sleep", clock.sleep)
    return clock


@pytest.fixture
def client() -> Iterator[LedgerClient]:
    with offline(SIGNER.vkey()) as made:
        yield made


def scripted(client: LedgerClient, answers: list[Any]) -> list[Any]:
    """``client.checkpoint`` answers from ``answers`` in turn (an Error is raised)."""
    left = list(answers)

    def checkpoint() -> Any:
        answer = left.pop(0)
        if isinstance(answer, Error):
            raise answer
        return answer

    client.checkpoint = checkpoint  # type: ignore[method-assign]
    return left


def missing() -> Error:
    return CHECKPOINT_QUORUM_MISSING("no quorum yet")


def test_the_wait_doubles_its_pause_up_to_the_bound(client: LedgerClient, clock: Clock) -> None:
    covering = Sized(5)
    left = scripted(client, [missing(), missing(), Sized(3), missing(), Sized(4), missing(),
                             missing(), Sized(4), covering, Sized(9)])  # fmt: skip
    assert client.witnessed_covering(5) is covering
    assert len(left) == 1  # the last answer not asked for
    assert clock.slept == [0.01, 0.02, 0.04, 0.08, 0.16, 0.25, 0.25, 0.25]
    assert clock.slept[0] == FIRST_POLL and max(clock.slept) == MAX_POLL


def test_a_covering_checkpoint_at_once_waits_for_nothing(
    client: LedgerClient, clock: Clock
) -> None:
    scripted(client, [Sized(7)])
    assert client.witnessed_covering(7).size == 7
    assert clock.slept == []
    scripted(client, [Sized(8)])
    assert client.witnessed_covering(3).size == 8


def test_any_other_error_ends_the_wait_at_once(client: LedgerClient, clock: Clock) -> None:
    scripted(client, [missing(), LEDGER_FORKED("two logs"), Sized(9)])
    with pytest.raises(Error) as exc:
        client.witnessed_covering(5)
    assert exc.value.code == "ledger_forked" and clock.slept == [FIRST_POLL]


def test_no_quorum_until_past_the_deadline(client: LedgerClient, clock: Clock) -> None:
    start = clock.now
    # Read once for the deadline, then at exactly the deadline (still waiting), then past it.
    clock.at = [start, start + WITNESSED_WAIT, start + WITNESSED_WAIT + 0.001]
    scripted(client, [missing(), missing(), Sized(1)])
    with pytest.raises(Error) as exc:
        client.witnessed_covering(5)
    assert exc.value.code == "checkpoint_quorum_missing"
    assert clock.slept == [FIRST_POLL]


def test_a_checkpoint_short_of_the_size_until_past_the_deadline(
    client: LedgerClient, clock: Clock
) -> None:
    start = clock.now
    clock.at = [start, start + WITNESSED_WAIT, start + WITNESSED_WAIT + 0.001]
    scripted(client, [Sized(3), Sized(4), Sized(9)])
    with pytest.raises(Error) as exc:
        client.witnessed_covering(5)
    assert exc.value.code == "checkpoint_quorum_missing"
    assert "up to 5" in exc.value.message and "covers 4" in exc.value.message
    assert f"after {WITNESSED_WAIT:.0f} s" in exc.value.message
    assert clock.slept == [FIRST_POLL]


def test_the_whole_wait_is_its_bound(client: LedgerClient, clock: Clock) -> None:
    scripted(client, [missing()] * 200)
    with pytest.raises(Error) as exc:
        client.witnessed_covering(5)
    assert exc.value.code == "checkpoint_quorum_missing"
    assert WITNESSED_WAIT < sum(clock.slept) <= WITNESSED_WAIT + MAX_POLL


Handler = Callable[[httpx.Request], httpx.Response]


def two_servers(first: Handler) -> tuple[LedgerClient, dict[str, int]]:
    asked = {"ledger.test": 0, "mirror.test": 0}

    def handle(request: httpx.Request) -> httpx.Response:
        asked[request.url.host] += 1
        if request.url.host == "ledger.test":
            return first(request)
        return httpx.Response(200, json={"from": "mirror"})

    transport = httpx.MockTransport(handle)
    made = LedgerClient("http://ledger.test,http://mirror.test", SIGNER.vkey(), transport=transport)
    return made, asked


def cut_after_sending(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadError("the connection closed before an answer", request=request)


def refused_connection(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def test_a_write_that_may_have_reached_the_ledger_is_not_sent_again() -> None:
    client, asked = two_servers(cut_after_sending)
    with pytest.raises(Error) as exc:
        client.send("a.b.c")
    assert exc.value.code == "http_unreachable" and asked == {"ledger.test": 1, "mirror.test": 0}
    # A read cut the same way is asked of the next server.
    assert client.get_json("/anything", {}) == {"from": "mirror"}
    assert asked == {"ledger.test": 2, "mirror.test": 1}
    client.close()


def test_a_write_whose_connection_was_refused_goes_to_the_next() -> None:
    client, asked = two_servers(refused_connection)
    assert client.send("a.b.c") == {"from": "mirror"}
    assert asked == {"ledger.test": 1, "mirror.test": 1}
    client.close()


@pytest.mark.parametrize(
    "receipt",
    [{}, {"seq": 0}, {"seq": "0", "checkpoint": "x"}, {"checkpoint": 3, "seq": 0}, []],
    ids=repr,
)
def test_a_receipt_that_is_not_one(client: LedgerClient, receipt: Any) -> None:
    with pytest.raises(Error) as exc:
        client.confirm("a.b.c", receipt)
    assert exc.value.code == "ledger_answer_malformed"


def timed_out(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("no answer in time", request=request)


def busy(request: httpx.Request) -> httpx.Response:
    return httpx.Response(503, json={"error": "server_busy", "error_description": "busy"})


def mirrored(first: Handler, mirror: Handler) -> tuple[LedgerClient, dict[str, int]]:
    asked = {"ledger.test": 0, "mirror.test": 0}

    def handle(request: httpx.Request) -> httpx.Response:
        asked[request.url.host] += 1
        return (first if request.url.host == "ledger.test" else mirror)(request)

    made = LedgerClient(
        "http://ledger.test,http://mirror.test",
        SIGNER.vkey(),
        transport=httpx.MockTransport(handle),
    )
    return made, asked


@pytest.mark.parametrize("failure", [timed_out, busy, cut_after_sending])
def test_a_consistency_proof_is_read_from_the_mirror(failure: Handler) -> None:
    """Every read the client makes is one a mirror may answer: a ledger that times out or
    answers 5xx while proving two checkpoints consistent is not the end of it."""
    tree = MerkleTree.from_leaf_hashes(b"".join(leaf_hash(bytes([i])) for i in range(6)))
    old, new = Checkpoint(ORIGIN, 3, tree.root(3)), Checkpoint(ORIGIN, 6, tree.root(6))
    proof = wire.ConsistencyProof.model_validate(
        {"from": 3, "to": 6, "consistency": tree.consistency_proof(3, 6)}
    ).to_json()

    def mirror(request: httpx.Request) -> httpx.Response:
        assert request.method == "GET" and request.url.path == "/proofs/consistency"
        assert dict(request.url.params) == {"from": "3", "to": "6"}
        return httpx.Response(200, json=proof)

    client, asked = mirrored(failure, mirror)
    client._verify_extends(old, new)
    assert asked == {"ledger.test": 1, "mirror.test": 1}
    with pytest.raises(Error) as exc:
        client._verify_extends(old, Checkpoint(ORIGIN, 6, tree.root(5)))
    assert exc.value.code == "ledger_inconsistent"
    client.close()


@pytest.mark.parametrize("failure", [timed_out, busy])
def test_a_status_list_token_is_read_from_the_mirror(failure: Handler) -> None:
    def mirror(request: httpx.Request) -> httpx.Response:
        assert request.method == "GET" and request.url.path == "/status-lists"
        assert request.headers["accept"] == STATUS_LIST_MEDIA
        assert dict(request.url.params) == {"uri": "https://agency.example/lists/1"}
        return httpx.Response(200, content=b"a.b.c", headers={"content-type": STATUS_LIST_MEDIA})

    client, asked = mirrored(failure, mirror)
    assert client.status_list_token("https://agency.example/lists/1") == "a.b.c"
    assert asked == {"ledger.test": 1, "mirror.test": 1}
    client.close()


def test_a_status_list_answer_that_is_no_token() -> None:
    def plain(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"a.b.c", headers={"content-type": "text/plain"})

    made, _ = mirrored(plain, plain)
    with pytest.raises(Error) as exc:
        made.status_list_token("https://agency.example/lists/1")
    assert exc.value.code == "ledger_content_type"
    made.close()


def test_a_receipt_without_its_quorum_waits_for_a_checkpoint_covering_its_entry(
    client: LedgerClient,
) -> None:
    """The entry at ``seq`` is in trees of ``seq + 1`` entries and more: that is the witnessed
    checkpoint waited for, and the one the entry is proven in."""
    receipt = {"seq": 6, "leafHash": "00" * 32, "id": "tx-1", "type": "did.create",
               "treeSize": 7, "checkpoint": "a checkpoint note"}  # fmt: skip
    waited: list[int] = []
    proven: list[tuple[int, bytes, Any]] = []
    covering = Sized(7)

    def accept(note: str) -> Any:
        assert note == "a checkpoint note"
        raise missing()

    def witnessed(size: int) -> Any:
        waited.append(size)
        return covering

    client.accept_checkpoint = accept  # type: ignore[method-assign]
    client.witnessed_covering = witnessed  # type: ignore[method-assign]
    client.prove_entry = lambda seq, leaf, cp: proven.append((seq, leaf, cp))  # type: ignore[method-assign]
    assert client.confirm("a.b.c", receipt) is receipt
    assert waited == [7] and proven == [(6, b"a.b.c", covering)]
