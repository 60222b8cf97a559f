"""The witness's checks (tlog-witness v1.0.0 "add-checkpoint") in order, each refusal by its
code with nothing stored changed; rollback and fork attempts; the evidence a fork leaves."""

from __future__ import annotations

import hashlib
import stat
import struct
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicid.checkpoint import Checkpoint, NoteSigner, NoteVerifier
from civicid.cosignature import CosignatureVerifier, CosignerKey, verify_cosignatures
from civicid.encoding import b64_encode
from civicid.errors import Error
from ledger.witness.evidence import Evidence, EvidenceStore
from ledger.witness.request import MAX_PROOF_LINES, MAX_REQUEST_BYTES, AddCheckpoint
from ledger.witness.setup import Paths
from ledger.witness.state import SLOT_BYTES, SLOT_HEADER, SLOT_MAGIC, StateStore, read_json
from ledger.witness.witness import FollowedLog, Witness
from tests.witness.logs import (
    NOW,
    ORIGIN,
    WITNESS_NAME,
    WITNESS_SEED,
    Clock,
    Log,
    open_test_witness,
    stored,
)

COSIGNER = CosignatureVerifier(CosignerKey(WITNESS_NAME, WITNESS_SEED).vkey())


@pytest.fixture
def witness(tmp_path: Path) -> Iterator[Witness]:
    opened = open_test_witness(tmp_path)
    yield opened
    opened.close()


def refused(witness: Witness, body: bytes, code: str) -> Error:
    """``body`` is refused with ``code`` and nothing stored changes."""
    before = stored(witness.state.directory.parent.parent)
    record = witness.state.get(ORIGIN)
    with pytest.raises(Error) as exc:
        witness.add_checkpoint(body)
    assert exc.value.code == code, exc.value
    assert witness.state.get(ORIGIN) == record
    if code not in ("witness_checkpoint_conflict", "witness_log_inconsistent"):
        assert stored(witness.state.directory.parent.parent) == before
    return exc.value


def cosigns(witness: Witness, log: Log, old: int, size: int | None = None) -> int:
    """The witness cosigns; the line verifies over that checkpoint; its timestamp."""
    line = witness.add_checkpoint(log.body(old, size))
    return COSIGNER.verify_line(log.checkpoint(size), line, now=NOW)


# -- what it cosigns ------------------------------------------------------------------------


def test_first_checkpoint_then_each_consistent_one(witness: Witness) -> None:
    log = Log().grow(5)
    assert cosigns(witness, log, 0) == NOW
    log.grow(3)
    assert cosigns(witness, log, 5) == NOW
    record = witness.state.get(ORIGIN)
    assert record is not None and (record.size, record.root) == (8, log.tree.root())
    assert record.note == log.note()
    for grow in (1, 8, 100):  # power-of-two and other old sizes
        old = log.tree.size
        log.grow(grow)
        cosigns(witness, log, old)
    assert witness.state.get(ORIGIN).size == log.tree.size  # type: ignore[union-attr]


def test_the_same_checkpoint_again_is_cosigned_again(witness: Witness) -> None:
    log = Log().grow(4)
    cosigns(witness, log, 0)
    before = stored(witness.state.directory.parent.parent)
    witness.clock.now = NOW + 60  # type: ignore[attr-defined]
    line = witness.add_checkpoint(log.body(4))
    assert COSIGNER.verify_line(log.checkpoint(), line) == NOW + 60
    assert stored(witness.state.directory.parent.parent) == before


def test_a_cosigned_note_meets_a_one_witness_quorum(witness: Witness) -> None:
    log = Log().grow(3)
    note = log.note() + witness.add_checkpoint(log.body(0))
    verified = verify_cosignatures(note, [COSIGNER], now=NOW)
    assert [(v.cosigner, v.timestamp) for v in verified] == [(COSIGNER, NOW)]
    assert NoteVerifier(log.signer.vkey()).verify(note) == log.checkpoint().body()


def test_a_log_with_two_keys_is_followed_by_either(tmp_path: Path) -> None:
    old_key = NoteSigner(ORIGIN, b"\x05" * 32)
    log = Log().grow(2)
    both = FollowedLog(ORIGIN, (NoteVerifier(old_key.vkey()), log.signer_verifier()))
    opened = open_test_witness(tmp_path, both)
    try:
        cosigns(opened, log, 0)
        rotated = AddCheckpoint(2, (), old_key.sign_checkpoint(log.checkpoint()))
        opened.add_checkpoint(rotated.to_body())
    finally:
        opened.close()


def test_the_state_survives_a_restart(tmp_path: Path) -> None:
    log = Log().grow(6)
    first = open_test_witness(tmp_path)
    cosigns(first, log, 0)
    first.close()
    again = open_test_witness(tmp_path)
    try:
        assert again.state.get(ORIGIN) == first.state.get(ORIGIN)
        err = refused(again, log.body(0), "witness_old_size_mismatch")
        assert err.details == {"size": 6}
    finally:
        again.close()


# -- refusals, in the order the spec lists them ----------------------------------------------


def test_unknown_origin_is_404(witness: Witness) -> None:
    stranger = NoteSigner("other.example/log", b"\x07" * 32)
    note = stranger.sign_checkpoint(Checkpoint("other.example/log", 1, b"\x00" * 32))
    refused(witness, AddCheckpoint(0, (), note).to_body(), "witness_log_unknown")


def test_a_signature_by_no_key_of_the_log_is_403(witness: Witness) -> None:
    impostor = Log(signer=NoteSigner(ORIGIN, b"\x09" * 32)).grow(3)  # same name, other key
    refused(witness, impostor.body(0), "witness_signature_invalid")
    genuine = Log().grow(3)
    forged = genuine.note().replace(b64_encode(genuine.tree.root()), b64_encode(b"\x01" * 32))
    refused(witness, AddCheckpoint(0, (), forged).to_body(), "witness_signature_invalid")


def test_old_larger_than_the_checkpoint_is_400(witness: Witness) -> None:
    log = Log().grow(4)
    cosigns(witness, log, 0)
    refused(witness, AddCheckpoint(5, (), log.note()).to_body(), "witness_old_too_large")


def test_rollback_to_an_older_checkpoint_is_refused(witness: Witness) -> None:
    log = Log().grow(10)
    cosigns(witness, log, 0)
    # The log's own, genuine, older checkpoint: with the true old size it is a rollback...
    refused(witness, AddCheckpoint(10, (), log.note(6)).to_body(), "witness_old_too_large")
    # ...and pretending the witness is further back is a stale old size, answered with ours.
    err = refused(witness, log.body(0, 6), "witness_old_size_mismatch")
    assert err.details == {"size": 10}
    err = refused(witness, log.body(4, 6), "witness_old_size_mismatch")
    assert err.details == {"size": 10}


def test_a_stale_old_size_is_409_with_the_size_cosigned(witness: Witness) -> None:
    log = Log().grow(4)
    cosigns(witness, log, 0)
    log.grow(4)
    err = refused(witness, log.body(2), "witness_old_size_mismatch")
    assert err.details == {"size": 4}
    err = refused(witness, log.body(0), "witness_old_size_mismatch")
    assert err.details == {"size": 4}


def test_a_proof_that_does_not_verify_is_422_and_no_evidence(witness: Witness) -> None:
    log = Log().grow(5)
    cosigns(witness, log, 0)
    log.grow(6)
    good = log.request(5)
    for proof in (good.proof[:-1], (*good.proof, b"\x00" * 32), (b"\x00" * 32, *good.proof[1:])):
        body = AddCheckpoint(5, proof, good.note).to_body()
        refused(witness, body, "witness_proof_invalid")
    refused(witness, AddCheckpoint(5, (), good.note).to_body(), "witness_proof_invalid")
    assert len(witness.evidence) == 0


# -- forks: refused, and kept as evidence anyone can check -----------------------------------


def test_same_size_other_root_is_a_conflict_kept_as_evidence(witness: Witness) -> None:
    log = Log().grow(8)
    cosigns(witness, log, 0)
    fork = log.fork(5).grow(3)  # size 8 too, under the same key
    assert fork.tree.root() != log.tree.root()
    refused(witness, fork.body(8), "witness_checkpoint_conflict")
    refused(witness, fork.body(0), "witness_checkpoint_conflict")  # whatever its old line
    (evidence,) = list(witness.evidence)
    assert (evidence.kind, evidence.origin) == ("same_size", ORIGIN)
    assert (evidence.known, evidence.conflicting) == (log.note(), fork.note())
    known, conflicting = evidence.check(log.signer_verifier())
    assert known.size == conflicting.size == 8 and known.root != conflicting.root
    (summary,) = witness.status().evidence
    assert summary.id == evidence.id
    # The honest log goes on being cosigned.
    log.grow(1)
    cosigns(witness, log, 8)


def test_a_larger_tree_that_does_not_extend_the_cosigned_one_is_evidence(
    witness: Witness,
) -> None:
    log = Log().grow(6)  # 6: not a power of two, so the proof carries the old root's parts
    cosigns(witness, log, 0)
    fork = log.fork(3).grow(7)  # size 10, diverging at leaf 3
    body = fork.body(6)  # the fork's own, correct, proof from its tree at 6
    refused(witness, body, "witness_log_inconsistent")
    (evidence,) = list(witness.evidence)
    assert evidence.kind == "inconsistent"
    assert evidence.proof == fork.request(6).proof
    known, conflicting = evidence.check(log.signer_verifier())
    assert (known.size, conflicting.size) == (6, 10)
    assert witness.state.get(ORIGIN).size == 6  # type: ignore[union-attr]


def test_a_fork_from_a_power_of_two_is_refused_as_a_bad_proof(witness: Witness) -> None:
    # At a power-of-two size the old root is the proof's seed, not something it yields: the
    # fork cannot be told from a wrong proof, so it is refused, not kept.
    log = Log().grow(4)
    cosigns(witness, log, 0)
    fork = log.fork(2).grow(6)
    refused(witness, fork.body(4), "witness_proof_invalid")
    assert len(witness.evidence) == 0


def test_the_same_fork_twice_is_kept_once(witness: Witness) -> None:
    log = Log().grow(8)
    cosigns(witness, log, 0)
    fork = log.fork(5).grow(3)
    for _ in range(3):
        refused(witness, fork.body(8), "witness_checkpoint_conflict")
    assert len(witness.evidence) == 1


def test_evidence_is_durable_and_reloads(tmp_path: Path) -> None:
    log = Log().grow(8)
    first = open_test_witness(tmp_path)
    cosigns(first, log, 0)
    refused(first, log.fork(5).grow(3).body(8), "witness_checkpoint_conflict")
    first.close()
    reloaded = EvidenceStore(Paths(tmp_path).evidence, readonly=True)
    assert list(reloaded) == list(first.evidence)


# -- evidence that does not hold up is refused -----------------------------------------------


def _evidence(tmp_path: Path) -> tuple[Evidence, Log]:
    witness = open_test_witness(tmp_path)
    log = Log().grow(8)
    cosigns(witness, log, 0)
    refused(witness, log.fork(5).grow(3).body(8), "witness_checkpoint_conflict")
    witness.close()
    return next(iter(witness.evidence)), log


def test_tampered_or_mismatched_evidence_is_refused(tmp_path: Path) -> None:
    evidence, log = _evidence(tmp_path)
    verifier = log.signer_verifier()
    cases = {
        "note_signature_invalid": Evidence(
            evidence.kind,
            ORIGIN,
            NOW,
            evidence.known,
            evidence.conflicting.replace("\n8\n", "\n9\n", 1),
        ),
        "evidence_invalid": Evidence("same_size", ORIGIN, NOW, evidence.known, evidence.known),
        "checkpoint_origin_mismatch": Evidence(
            "same_size", "another.example", NOW, evidence.known, evidence.conflicting
        ),
    }
    for code, bad in cases.items():
        with pytest.raises(Error) as exc:
            bad.check(verifier)
        assert exc.value.code == code
    with pytest.raises(Error) as exc:
        evidence.check(NoteVerifier(NoteSigner(ORIGIN, b"\x09" * 32).vkey()))
    assert exc.value.code == "note_unknown_key"
    inconsistent = Evidence("inconsistent", ORIGIN, NOW, log.note(4), log.note(8), ())
    with pytest.raises(Error) as exc:  # no proof: it cannot be followed
        inconsistent.check(verifier)
    assert exc.value.code == "evidence_invalid"
    honest = Evidence("inconsistent", ORIGIN, NOW, log.note(6), log.note(8), log.request(6).proof)
    with pytest.raises(Error) as exc:  # the proof shows the two consistent
        honest.check(verifier)
    assert exc.value.code == "evidence_invalid"
    data = evidence.to_view().to_json()
    assert Evidence.from_json(data) == evidence
    with pytest.raises(Error) as exc:
        Evidence.from_json({**data, "known": log.note(7)})  # its id no longer matches
    assert exc.value.code == "evidence_invalid"


# -- malformed bodies ------------------------------------------------------------------------


def _body_cases() -> dict[str, tuple[bytes, str]]:
    log = Log().grow(9)
    note = log.note().encode()
    hash_line = (b64_encode(b"\x00" * 32) + "\n").encode()
    return {
        "no old line": (b"\n" + note, "witness_old_missing"),
        "old not first": (hash_line + b"old 0\n\n" + note, "witness_old_missing"),
        "old with a leading zero": (b"old 01\n\n" + note, "witness_old_missing"),
        "old negative": (b"old -1\n\n" + note, "witness_old_missing"),
        "old, two spaces": (b"old  0\n\n" + note, "witness_old_missing"),
        "empty": (b"", "witness_old_missing"),
        "no empty line": (b"old 0\n" + note.replace(b"\n\n", b"\n"), "witness_request_malformed"),
        "too many proof lines": (
            b"old 1\n" + hash_line * (MAX_PROOF_LINES + 1) + b"\n" + note,
            "witness_proof_too_long",
        ),
        "a proof line not base64": (b"old 1\n!!!!\n\n" + note, "witness_request_malformed"),
        "a proof line not a hash": (b"old 1\nAAAA\n\n" + note, "witness_request_malformed"),
        "a proof from 0": (b"old 0\n" + hash_line + b"\n" + note, "witness_request_malformed"),
        "not UTF-8": (b"old 0\n\n\xff" + note, "witness_request_malformed"),
        "oversized": (b"old 0\n\n" + b"x" * MAX_REQUEST_BYTES, "witness_request_too_large"),
        "no checkpoint": (b"old 0\n\n", "note_malformed"),
        "not a checkpoint": (
            b"old 0\n\n" + NoteSigner(ORIGIN, b"\x01" * 32).sign("hello\n").encode(),
            "checkpoint_malformed",
        ),
    }


@pytest.mark.parametrize("case", list(_body_cases()))
def test_malformed_body_is_400(witness: Witness, case: str) -> None:
    cosigns(witness, Log().grow(1), 0)
    body, code = _body_cases()[case]
    refused(witness, body, code)


def test_63_proof_lines_are_read(witness: Witness) -> None:
    body = ("old 1\n" + (b64_encode(b"\x00" * 32) + "\n") * MAX_PROOF_LINES + "\n").encode()
    parsed = AddCheckpoint.parse(body + Log().grow(2).note().encode())
    assert len(parsed.proof) == MAX_PROOF_LINES
    assert parsed.to_body() == body + Log().grow(2).note().encode()


def test_a_second_process_cannot_hold_the_state(tmp_path: Path) -> None:
    opened = open_test_witness(tmp_path)
    try:
        with pytest.raises(Error) as exc:
            StateStore(Paths(tmp_path).state)
        assert exc.value.code == "witness_state_locked"
    finally:
        opened.close()


def test_an_unreadable_record_stops_the_start(tmp_path: Path) -> None:
    opened = open_test_witness(tmp_path)
    cosigns(opened, Log().grow(3), 0)
    opened.close()
    (record,) = Paths(tmp_path).state.glob("*.state")
    intact = record.read_bytes()
    for damage in (b"", intact[:40], intact[:-1] + b"!", intact + bytes(2 * SLOT_BYTES)):
        record.write_bytes(damage)
        with pytest.raises(Error) as exc:
            StateStore(Paths(tmp_path).state)
        assert exc.value.code == "witness_state_unreadable"


def test_a_write_cut_short_leaves_the_record_before_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log = Log().grow(3)
    opened = open_test_witness(tmp_path)
    for old, grow in ((0, 0), (3, 2), (5, 2)):  # records 1, 2 and 3: both slots used
        cosigns(opened, log.grow(grow), old)
    opened.close()
    (path,) = Paths(tmp_path).state.glob("*.state")
    intact = path.read_bytes()
    # Record 3 is in slot 0, record 2 (size 5) in slot 1: cut record 3 short, or damage it.
    assert StateStore(Paths(tmp_path).state, readonly=True).get(ORIGIN).size == 7  # type: ignore[union-attr]
    assert not [r for r in caplog.records if r.name == "civicid.witness"]  # intact: no word
    for cut in (
        intact[:100] + bytes(SLOT_BYTES - 100) + intact[SLOT_BYTES:],
        intact[:200] + b"\xff" + intact[201:],
    ):
        path.write_bytes(cut)
        caplog.clear()
        again = open_test_witness(tmp_path)
        try:
            record = again.state.get(ORIGIN)
            assert record is not None and record.size == 5
            said = [r.getMessage() for r in caplog.records if r.name == "civicid.witness"]
            assert f"{path.name}: one slot is damaged" in said[0] and "of size 5" in said[0]
            refused(again, log.body(7), "witness_old_size_mismatch")
            assert COSIGNER.verify_line(log.checkpoint(), again.add_checkpoint(log.body(5)))
            assert again.state.get(ORIGIN).size == 7  # type: ignore[union-attr]
        finally:
            again.close()
        path.write_bytes(intact)


def test_a_record_file_cut_short_of_its_second_slot_stops_the_start(tmp_path: Path) -> None:
    # Read as it was, the file cut short gave the record in its first slot: one checkpoint
    # older than the last cosigned (record 4, in the second slot), from which the witness
    # would have cosigned a fork of the size it had cosigned.
    log = Log().grow(3)
    opened = open_test_witness(tmp_path)
    for old, grow in ((0, 0), (3, 2), (5, 2), (7, 2)):  # records 1 to 4, sizes 3 to 9
        cosigns(opened, log.grow(grow), old)
    opened.close()
    (path,) = Paths(tmp_path).state.glob("*.state")
    intact = path.read_bytes()
    for cut in (SLOT_BYTES, SLOT_BYTES + SLOT_HEADER.size - 1, SLOT_BYTES // 2):
        path.write_bytes(intact[:cut])
        with pytest.raises(Error) as exc:
            StateStore(Paths(tmp_path).state)
        assert exc.value.code == "witness_state_unreadable"
        assert f"{path.name} is cut short ({cut} bytes)" in exc.value.message
        assert path.read_bytes() == intact[:cut]  # left as it is
    path.write_bytes(intact)
    assert StateStore(Paths(tmp_path).state, readonly=True).get(ORIGIN).size == 9  # type: ignore[union-attr]


def test_only_the_logs_own_lines_are_kept(witness: Witness) -> None:
    log = Log().grow(3)
    stranger = CosignerKey("junk.example", b"\x08" * 32)
    padded = log.note() + stranger.cosign(log.checkpoint(), NOW) * 50
    witness.add_checkpoint(AddCheckpoint(0, (), padded).to_body())
    assert witness.state.get(ORIGIN).note == log.note()  # type: ignore[union-attr]
    fork = log.fork(1).grow(2)
    refused(
        witness,
        AddCheckpoint(3, (), fork.note() + "\u2014 x AAAAAAA=\n").to_body(),
        "witness_checkpoint_conflict",
    )
    (evidence,) = list(witness.evidence)
    assert (evidence.known, evidence.conflicting) == (log.note(), fork.note())


def test_a_clock_is_what_dates_the_cosignature(tmp_path: Path) -> None:
    opened = open_test_witness(tmp_path, clock=Clock(NOW + 5))
    try:
        assert cosigns(opened, Log().grow(1), 0) == NOW + 5
    finally:
        opened.close()


def test_concurrent_requests_from_one_old_size_cosign_one(witness: Witness) -> None:
    # tlog-witness: checking the old size and persisting must be atomic, or a smaller
    # checkpoint's write can land after a larger one's and roll the record back.
    log = Log().grow(4)
    cosigns(witness, log, 0)
    log.grow(40)
    bodies = {size: log.body(4, size) for size in range(5, 45)}

    def send(size: int) -> str:
        try:
            witness.add_checkpoint(bodies[size])
        except Error as exc:
            return exc.code
        return "cosigned"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = dict(zip(bodies, pool.map(send, bodies), strict=True))
    winners = [size for size, outcome in outcomes.items() if outcome == "cosigned"]
    assert len(winners) == 1
    assert set(outcomes.values()) == {"cosigned", "witness_old_size_mismatch"}
    assert witness.state.get(ORIGIN).size == winners[0]  # type: ignore[union-attr]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048) | st.text(max_size=512).map(str.encode))
def test_any_body_is_answered_with_a_code(body: bytes) -> None:
    try:
        AddCheckpoint.parse(body)
    except Error as exc:  # anything else (a crash) fails the test
        assert exc.http_status in (400, 413)


# -- edges found by mutation testing ----------------------------------------------------------


def test_an_empty_tree_cosigned_then_grown_from_it(witness: Witness) -> None:
    log = Log()
    cosigns(witness, log, 0)  # size 0: nothing to extend yet
    log.grow(3)
    cosigns(witness, log, 0)
    assert witness.state.get(ORIGIN).size == 3  # type: ignore[union-attr]


def test_refusals_say_what_they_compared(witness: Witness) -> None:
    log = Log().grow(4)
    cosigns(witness, log, 0)
    log.grow(3)
    assert (
        "last size cosigned is 4"
        in refused(witness, log.body(2), "witness_old_size_mismatch").message
    )
    bad = AddCheckpoint(4, log.request(4).proof[:-1], log.note())
    assert "from 4 to 7" in refused(witness, bad.to_body(), "witness_proof_invalid").message


def test_a_same_size_fork_keeps_no_proof_and_says_so_in_the_log(
    witness: Witness, caplog: pytest.LogCaptureFixture
) -> None:
    log = Log().grow(8)
    cosigns(witness, log, 0)
    fork = log.fork(5).grow(3)
    fork_from_five = AddCheckpoint(5, tuple(fork.tree.consistency_proof(5, 8)), fork.note())
    with caplog.at_level("WARNING", logger="civicid.witness"):
        refused(witness, fork_from_five.to_body(), "witness_checkpoint_conflict")
        refused(witness, fork.body(8), "witness_checkpoint_conflict")
    (evidence,) = list(witness.evidence)  # the same pair of notes: kept once, without a proof
    assert evidence.proof == ()
    first, again = caplog.messages
    assert first == f"equivocation by log {ORIGIN!r} (same_size): evidence {evidence.id}"
    assert again == first + " (already kept, or the evidence store is full)"


def test_own_lines_are_the_log_keys_lines_only(witness: Witness) -> None:
    log = Log().grow(3)
    own = log.note().split("\n\n")[-1]
    other_id = f"\u2014 {ORIGIN} AAAAAAA=\n"  # the log's name, another key ID
    witness.add_checkpoint(AddCheckpoint(0, (), log.note() + other_id + own).to_body())
    assert witness.state.get(ORIGIN).note == log.note() + own  # type: ignore[union-attr]


def test_status_lists_every_log_by_origin(tmp_path: Path) -> None:
    first, second = Log(), Log(signer=NoteSigner("a.example/log", b"\x0a" * 32))
    opened = open_test_witness(
        tmp_path,
        FollowedLog(ORIGIN, (first.signer_verifier(),)),
        FollowedLog("a.example/log", (second.signer_verifier(),)),
    )
    try:
        cosigns(opened, first.grow(2), 0)
        status = opened.status()
        assert [(v.origin, v.tree_size, v.root) for v in status.logs] == [
            ("a.example/log", 0, None),
            (ORIGIN, 2, first.tree.root()),
        ]
    finally:
        opened.close()


def test_records_files_and_their_modes(tmp_path: Path) -> None:
    log = Log().grow(1)
    opened = open_test_witness(tmp_path)
    cosigns(opened, log, 0)
    opened.close()
    state = Paths(tmp_path).state
    name = hashlib.sha256(ORIGIN.encode()).hexdigest()[:32] + ".state"
    assert sorted(p.name for p in state.iterdir()) == ["LOCK", name]
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert stat.S_IMODE((state / name).stat().st_mode) == 0o600
    assert stat.S_IMODE((state / "LOCK").stat().st_mode) == 0o600
    # Two records, then a restart: the second went to the other slot and both are read.
    again = open_test_witness(tmp_path)
    cosigns(again, log.grow(1), 1)
    again.close()
    assert (state / name).stat().st_size > SLOT_BYTES
    reopened = StateStore(state)
    try:
        assert reopened.get(ORIGIN).size == 2  # type: ignore[union-attr]
    finally:
        reopened.close()
        reopened.close()  # closing twice is harmless


def test_leftovers_of_a_cut_write_are_dropped_unless_read_only(tmp_path: Path) -> None:
    state = Paths(tmp_path).state
    open_test_witness(tmp_path).close()
    leftover = state / ".0123.state.tmp"
    leftover.write_bytes(b"half")
    StateStore(state, readonly=True).close()
    assert leftover.exists()
    StateStore(state).close()
    assert not leftover.exists()


def test_damaged_slots_are_refused(tmp_path: Path) -> None:
    log = Log().grow(2)
    opened = open_test_witness(tmp_path)
    cosigns(opened, log, 0)
    cosigns(opened, log.grow(1), 2)
    opened.close()
    (path,) = Paths(tmp_path).state.glob("*.state")
    intact = path.read_bytes()
    padded = intact + bytes(2 * SLOT_BYTES - len(intact))  # exactly two slots: still read
    path.write_bytes(padded)
    assert StateStore(Paths(tmp_path).state, readonly=True).get(ORIGIN).size == 3  # type: ignore[union-attr]
    slot0 = intact[:SLOT_BYTES].rstrip(b"\x00")
    twins = slot0 + bytes(SLOT_BYTES - len(slot0)) + slot0  # one record number in both slots
    payload = b'["origin","size","root","note"]'  # intact, but not a record
    header = struct.pack(">8sQI", SLOT_MAGIC, 9, len(payload))
    not_a_record = SLOT_HEADER.pack(
        SLOT_MAGIC, 9, len(payload), hashlib.sha256(header + payload).digest()
    )
    for damaged in (twins, not_a_record + payload):
        path.write_bytes(damaged)
        with pytest.raises(Error) as exc:
            StateStore(Paths(tmp_path).state)
        assert exc.value.code == "witness_state_unreadable"


def test_a_file_of_exactly_the_read_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "evidence.json"
    exact = b'"' + b"x" * 98 + b'"'
    path.write_bytes(exact)
    assert read_json(path, 100) == "x" * 98
    path.write_bytes(exact + b" ")
    with pytest.raises(Error) as exc:
        read_json(path, 100)
    assert exc.value.code == "witness_state_unreadable"


def test_a_damaged_piece_of_evidence_is_one_line_naming_it_once(tmp_path: Path) -> None:
    """Before, the message named the file twice ("PATH: PATH: Expecting property name …")
    and said nothing of what the file was or what to do."""
    directory = tmp_path / "evidence"
    directory.mkdir()
    damaged = directory / "0123456789abcdef.json"
    damaged.write_text("{")
    with pytest.raises(Error) as caught:
        EvidenceStore(directory)
    assert caught.value.code == "witness_state_unreadable"
    assert caught.value.message.count(str(damaged)) == 1
    assert "evidence of a log's conflicting checkpoints" in caught.value.message
    assert damaged.read_text() == "{"


def test_one_root_with_another_state_at_a_cosigned_size_is_evidence(witness: Witness) -> None:
    """The same size and log root, another extension line (a ledger's state-map root, which
    clients prove revocations and accreditations against): a split view of the state, refused
    and kept, where the tlog-witness check of the root alone cosigned it."""
    log = Log().grow(8)
    honest = Checkpoint(ORIGIN, 8, log.tree.root(), extensions=("civicid-state-map AAAA",))
    cosigned = AddCheckpoint(0, (), log.signer.sign_checkpoint(honest))
    witness.add_checkpoint(cosigned.to_body())
    record = witness.state.get(ORIGIN)
    for extensions in (("civicid-state-map BBBB",), (), ("civicid-state-map AAAA", "more")):
        other = Checkpoint(ORIGIN, 8, log.tree.root(), extensions=extensions)
        note = log.signer.sign_checkpoint(other)
        err = refused(witness, AddCheckpoint(8, (), note).to_body(), "witness_checkpoint_conflict")
        assert "one root, other extension lines" in err.message
        refused(witness, AddCheckpoint(0, (), note).to_body(), "witness_checkpoint_conflict")
    assert witness.state.get(ORIGIN) == record
    kept = sorted(witness.evidence, key=lambda e: e.conflicting)
    assert len(kept) == 3 and {e.kind for e in kept} == {"same_size"}
    for evidence in kept:
        known, conflicting = evidence.check(log.signer_verifier())
        assert (known.size, known.root) == (conflicting.size, conflicting.root)
        assert known.extensions != conflicting.extensions
    # The very checkpoint cosigned before is cosigned again.
    witness.add_checkpoint(AddCheckpoint(8, (), log.signer.sign_checkpoint(honest)).to_body())


def test_evidence_of_one_checkpoint_twice_is_refused(witness: Witness) -> None:
    log = Log().grow(4)
    note = log.note()
    evidence = Evidence("same_size", ORIGIN, NOW, note, note, ())
    with pytest.raises(Error) as raised:
        evidence.check(log.signer_verifier())
    assert raised.value.code == "evidence_invalid", raised.value


@pytest.mark.parametrize("which", ["known", "conflicting"])
def test_evidence_naming_another_origin_than_its_notes_is_refused(which: str) -> None:
    """Evidence against one log made of a note whose body names another origin (signed by
    that log's key all the same): each note must be of the origin the evidence accuses."""
    log = Log().grow(8)
    fork = log.fork(5).grow(3)
    known, conflicting = log.note(), fork.note()
    elsewhere = log.signer.sign_checkpoint(Checkpoint("other.example/log", 8, fork.tree.root()))
    if which == "known":
        known = elsewhere
    else:
        conflicting = elsewhere
    evidence = Evidence("same_size", ORIGIN, NOW, known, conflicting, ())
    with pytest.raises(Error) as raised:
        evidence.check(log.signer_verifier())
    assert raised.value.code == "checkpoint_origin_mismatch", raised.value
    Evidence("same_size", ORIGIN, NOW, log.note(), fork.note(), ()).check(log.signer_verifier())
