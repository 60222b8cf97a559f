"""The ledger asks its witnesses to cosign each checkpoint, beside the writer: readers are
served the newest checkpoint a quorum cosigned; a witness down or slow holds no write up."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from civicid.cosignature import CosignerKey, split_cosigned, verify_cosignatures
from civicid.errors import Code, Error
from civicid.tlog_policy import (
    POLICY_KEY_DUPLICATE,
    POLICY_NAME_DUPLICATE,
    POLICY_QUORUM_MISSING,
    POLICY_THRESHOLD_INVALID,
    TlogPolicy,
)
from ledger.witnessing import MAX_AHEAD, WITNESS_POLICY_INVALID, Witnessing, load_policy
from tests.ledger.conftest import World
from tests.ledger.witnesses import MemoryWitness, Witnesses, policy_text

DEADLINE = 10.0  # seconds a test waits for cosignatures on a loaded machine


def until(condition: Callable[[], bool], what: str) -> None:
    end = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


@pytest.fixture
def witnesses(world: World) -> dict[str, MemoryWitness]:
    return {
        name: MemoryWitness(CosignerKey.generate(f"{name}.example"), world.genesis.vkey)
        for name in ("w1", "w2", "w3")
    }


@pytest.fixture
def witnessing(world: World, witnesses: dict[str, MemoryWitness]) -> Iterator[Witnessing]:
    policy = TlogPolicy.parse(policy_text(witnesses, 2))
    running = Witnessing(
        world.ledger, policy, interval=3600, timeout=2.0, transport=Witnesses(witnesses)
    )
    running.start()
    yield running
    running.close()


def cosigners(note: str, witnesses: dict[str, MemoryWitness]) -> set[str]:
    verified = verify_cosignatures(note, [w.key.verifier() for w in witnesses.values()])
    return {v.cosigner.name for v in verified}


def test_readers_are_served_the_checkpoint_with_its_cosignatures(
    world: World, witnesses: dict[str, MemoryWitness], witnessing: Witnessing
) -> None:
    until(lambda: len(cosigners(world.ledger.checkpoint, witnesses)) == 3, "three cosignatures")
    world.register("agency")
    size = world.ledger.signed.size
    until(lambda: world.ledger.size == size, "the new checkpoint cosigned")
    note = world.ledger.checkpoint
    assert cosigners(note, witnesses) >= {"w1.example", "w2.example"}
    # The log's own signature stays first and verifies as before.
    assert split_cosigned(note).log_note() == world.ledger.signed.checkpoint
    until(lambda: all(w.state and w.state[0] == size for w in witnesses.values()), "all three")


def test_a_witness_down_holds_nothing_up(
    world: World, witnesses: dict[str, MemoryWitness], witnessing: Witnessing
) -> None:
    witnesses["w3"].down = True
    world.register("agency")
    size = world.ledger.signed.size
    until(lambda: world.ledger.size == size, "a quorum of two")
    assert cosigners(world.ledger.checkpoint, witnesses) == {"w1.example", "w2.example"}
    until(lambda: witnessing.followers[2].error is not None, "the failure noted")
    assert "ConnectError" in str(witnessing.followers[2].error)


def test_a_slow_witness_slows_no_write(
    world: World, witnesses: dict[str, MemoryWitness], witnessing: Witnessing
) -> None:
    until(lambda: len(cosigners(world.ledger.checkpoint, witnesses)) == 3, "three cosignatures")
    for witness in witnesses.values():
        witness.delay = 1.0
    started = time.monotonic()
    for _ in range(5):
        world.register("agency")
    assert time.monotonic() - started < 1.0  # five durable writes, none waiting on a witness
    assert world.ledger.size < world.ledger.signed.size  # readers wait for the quorum
    size = world.ledger.signed.size
    until(lambda: world.ledger.size == size, "the newest checkpoint cosigned")
    # Batching: each witness was sent the newest checkpoint, not each one in turn.
    assert all(len(w.seen) < 6 for w in witnesses.values())


def test_without_a_quorum_readers_keep_the_last_cosigned_checkpoint(
    world: World, witnesses: dict[str, MemoryWitness], witnessing: Witnessing
) -> None:
    until(lambda: len(cosigners(world.ledger.checkpoint, witnesses)) == 3, "three cosignatures")
    served = world.ledger.view
    witnesses["w2"].down = witnesses["w3"].down = True
    world.register("agency")
    until(lambda: witnesses["w1"].seen[-1] == world.ledger.signed.size, "w1 cosigned")
    assert world.ledger.view == served


def test_a_witness_that_knows_a_larger_tree_is_a_conflict(
    world: World, witnesses: dict[str, MemoryWitness], witnessing: Witnessing
) -> None:
    until(lambda: len(cosigners(world.ledger.checkpoint, witnesses)) == 3, "three cosignatures")
    size, root = witnesses["w1"].state or (0, b"")
    witnesses["w1"].state = (size + 5, root)  # as if another log under our key went further
    world.register("agency")
    until(lambda: witnessing.followers[0].conflict is not None, "the conflict noted")
    assert "beyond ours" in str(witnessing.followers[0].conflict)


def test_a_policy_witness_without_a_url_is_refused(tmp_path: Path) -> None:
    key = CosignerKey.generate("w.example")
    path = tmp_path / "witnesses.policy"
    path.write_text(f"witness w {key.vkey()}\nquorum w\n")
    with pytest.raises(Error) as raised:
        load_policy(path)
    assert WITNESS_POLICY_INVALID.matches(raised.value)


def test_a_witness_answering_with_another_key_is_not_counted(
    world: World, witnesses: dict[str, MemoryWitness], witnessing: Witnessing
) -> None:
    # Until a quorum cosigned something, readers are served the plain signed checkpoint:
    # wait for that first, or the size below would be the plain one's.
    until(lambda: len(cosigners(world.ledger.checkpoint, witnesses)) >= 2, "the start cosigned")
    witnesses["w1"].key = CosignerKey.generate("w1.example")  # not the key the policy names
    witnesses["w2"].down = True
    world.register("agency")
    until(lambda: witnessing.followers[0].error is not None, "the bad answer noted")
    assert "bad answer" in str(witnessing.followers[0].error)
    size = world.ledger.signed.size
    until(lambda: witnesses["w3"].seen[-1:] == [size], "w3 cosigned")
    assert world.ledger.size < size  # one valid cosignature of the newest: no quorum served


def test_a_witness_dating_its_cosignature_ahead_is_not_served(
    world: World, witnesses: dict[str, MemoryWitness], witnessing: Witnessing
) -> None:
    """One witness whose cosignature is dated far ahead (its clock, or its word): served,
    every client would refuse the whole note (``cosignature_from_future``), whatever the other
    witnesses cosigned. The ledger takes it as a bad answer and serves the quorum without it."""
    until(lambda: len(cosigners(world.ledger.checkpoint, witnesses)) >= 2, "the start cosigned")
    witnesses["w1"].now = int(time.time()) + MAX_AHEAD + 30
    world.register("agency")
    size = world.ledger.signed.size
    until(lambda: witnessing.followers[0].error is not None, "the bad answer noted")
    assert "[cosignature_from_future]" in str(witnessing.followers[0].error)
    until(lambda: world.ledger.size == size, "the new checkpoint cosigned by w2 and w3")
    note = world.ledger.checkpoint
    assert cosigners(note, witnesses) == {"w2.example", "w3.example"}
    # What a client checks: no line dated past its skew, so the note stands.
    verify_cosignatures(note, [w.key.verifier() for w in witnesses.values()], now=int(time.time()))


def test_a_witness_answering_many_lines_is_served_by_one(
    world: World, witnesses: dict[str, MemoryWitness], witnessing: Witnessing
) -> None:
    """A witness may send several valid lines (one per timestamp it likes): the ledger keeps
    its newest alone. Kept whole, 99 of them took the served note past the 100 signatures a
    note may carry, and no checkpoint was served again, whatever the other witnesses did."""
    until(lambda: len(cosigners(world.ledger.checkpoint, witnesses)) >= 2, "the start cosigned")
    chatty = witnesses["w1"]

    async def answer(request: httpx.Request) -> httpx.Response:
        answered = await MemoryWitness.__call__(chatty, request)
        if answered.status_code != 200:
            return answered
        note = request.content.decode().partition("\n\n")[2]
        body = note.partition("\n\n")[0] + "\n"
        lines = [chatty.key.cosign(body, chatty.now - i) for i in range(99)]
        return httpx.Response(200, content="".join(lines))

    transport = witnessing.transport
    assert isinstance(transport, Witnesses)
    transport.witnesses = {**transport.witnesses, "w1": answer}  # type: ignore[dict-item]
    for _ in range(2):  # the second time, the chatty answer is already held
        world.register("agency")
        until(lambda: world.ledger.size == world.ledger.signed.size, "the new one served")
    lines = split_cosigned(world.ledger.checkpoint).cosignature_lines
    by_w1 = [line for line in lines if chatty.key.verifier().matches(line)]
    assert by_w1 == [
        chatty.key.cosign(world.ledger.signed.checkpoint.partition("\n\n")[0] + "\n", chatty.now)
    ]


@pytest.mark.parametrize(
    ("lines", "code"),
    [
        ("witness w1 {k1} http://a\nwitness w1 {k2} http://b\nquorum w1\n", POLICY_NAME_DUPLICATE),
        ("witness w1 {k1} http://a\nwitness w2 {k1} http://b\nquorum w1\n", POLICY_KEY_DUPLICATE),
        ("witness w1 {k1} http://a\ngroup g 2 w1\nquorum g\n", POLICY_THRESHOLD_INVALID),
        ("witness w1 {k1} http://a\n", POLICY_QUORUM_MISSING),
    ],
    ids=["witness-named-twice", "key-twice", "quorum-beyond-witnesses", "no-quorum"],
)
def test_a_bad_witness_policy_is_refused_with_its_code(
    tmp_path: Path, lines: str, code: Code
) -> None:
    k1, k2 = (CosignerKey.generate(f"w{i}.example").vkey() for i in (1, 2))
    path = tmp_path / "witnesses.policy"
    path.write_text(lines.format(k1=k1, k2=k2))
    with pytest.raises(Error) as raised:
        load_policy(path)
    assert code.matches(raised.value)


def test_a_missing_witness_policy_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Error) as raised:
        load_policy(tmp_path / "absent.policy")
    assert WITNESS_POLICY_INVALID.matches(raised.value)
