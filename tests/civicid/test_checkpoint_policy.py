"""A client's checkpoint rule: the log's signature, then a quorum of the policy's witnesses,
the newest quorum recent enough, no cosignature from the future (civicid.checkpoint_policy)."""

from __future__ import annotations

import pytest

from civicid.checkpoint import Checkpoint, NoteSigner, NoteVerifier
from civicid.checkpoint_policy import (
    CHECKPOINT_QUORUM_MISSING,
    CHECKPOINT_TOO_OLD,
    TRUST_POLICY_INVALID,
    CheckpointPolicy,
)
from civicid.cosignature import (
    COSIGNATURE_FROM_FUTURE,
    COSIGNATURE_INVALID,
    CosignerKey,
    attach_cosignatures,
)
from civicid.errors import Code, Error

NOW = 1_780_000_000
LOG = NoteSigner.generate("civicid.example/ledger")
CHECKPOINT = Checkpoint(LOG.name, 7, bytes(32))
W = {name: CosignerKey.generate(f"{name}.example") for name in ("w1", "w2", "w3")}
LOG_VERIFIER = NoteVerifier(LOG.vkey())
OUTSIDER = CosignerKey.generate("w1.example")  # another key under a known name


def policy(quorum: str = "2", max_age: int = 600) -> CheckpointPolicy:
    lines = [f"witness {n} {k.vkey()}" for n, k in W.items()]
    lines += [f"group main {quorum} w1 w2 w3", "quorum main"]
    return CheckpointPolicy.parse("\n".join(lines) + "\n", max_age=max_age)


def note(*cosigs: tuple[CosignerKey, int]) -> str:
    signed = LOG.sign_checkpoint(CHECKPOINT)
    return attach_cosignatures(signed, [key.cosign(CHECKPOINT, at) for key, at in cosigs])


def refused(code: Code, text: str, rule: CheckpointPolicy | None = None, now: int = NOW) -> Error:
    with pytest.raises(Error) as raised:
        (rule or policy()).check(text, CHECKPOINT, now=now)
    assert code.matches(raised.value), raised.value
    return raised.value


def test_a_quorum_of_fresh_cosignatures_is_accepted() -> None:
    witnessed = policy().check(note((W["w1"], NOW - 5), (W["w3"], NOW - 9)), CHECKPOINT, now=NOW)
    assert witnessed.cosigners == ("w1", "w3")
    assert witnessed.quorum_at == NOW - 9  # the quorum stood once both had cosigned


def test_one_short_of_the_quorum_names_who_is_missing() -> None:
    error = refused(CHECKPOINT_QUORUM_MISSING, note((W["w2"], NOW)))
    assert "cosigned by w2" in error.message and "w1, w3" in error.message


def test_stripped_cosignatures_are_refused() -> None:
    error = refused(CHECKPOINT_QUORUM_MISSING, LOG.sign_checkpoint(CHECKPOINT))
    assert "no witness" in error.message


def test_duplicate_cosignatures_from_one_witness_count_once() -> None:
    refused(CHECKPOINT_QUORUM_MISSING, note((W["w1"], NOW - 1), (W["w1"], NOW - 2)))


def test_a_cosignature_by_an_unknown_key_is_ignored() -> None:
    text = note((W["w1"], NOW), (OUTSIDER, NOW), (CosignerKey.generate("w9.example"), NOW))
    refused(CHECKPOINT_QUORUM_MISSING, text)
    assert policy().check(note((W["w1"], NOW), (OUTSIDER, NOW), (W["w2"], NOW)), CHECKPOINT,
                          now=NOW).cosigners == ("w1", "w2")  # fmt: skip


def test_a_future_timestamp_beyond_the_skew_is_refused() -> None:
    rule = policy()
    ahead = NOW + rule.max_skew + 1
    refused(COSIGNATURE_FROM_FUTURE, note((W["w1"], NOW), (W["w2"], ahead)))
    # Within the skew it stands.
    rule.check(note((W["w1"], NOW), (W["w2"], NOW + rule.max_skew)), CHECKPOINT, now=NOW)


def test_the_newest_quorum_older_than_the_maximum_age_is_refused() -> None:
    rule = policy(max_age=600)
    # w1 is fresh but alone; the quorum stood only when w2 cosigned, 601 s ago.
    error = refused(CHECKPOINT_TOO_OLD, note((W["w1"], NOW), (W["w2"], NOW - 601)), rule)
    assert "601 s ago" in error.message and "600 s" in error.message
    rule.check(note((W["w1"], NOW), (W["w2"], NOW - 600)), CHECKPOINT, now=NOW)  # exactly: stands


def test_a_cosignature_over_another_checkpoint_is_refused() -> None:
    other = Checkpoint(LOG.name, 8, bytes(32))
    forged = LOG.sign_checkpoint(CHECKPOINT) + W["w2"].cosign(other, NOW)
    refused(COSIGNATURE_INVALID, attach_cosignatures(forged, [W["w1"].cosign(CHECKPOINT, NOW)]))


def test_without_witnesses_the_log_signature_is_all() -> None:
    witnessed = CheckpointPolicy().check(LOG.sign_checkpoint(CHECKPOINT), CHECKPOINT, now=NOW)
    assert witnessed.quorum_at is None and not CheckpointPolicy().requires_witnesses


def test_a_policy_for_another_log_is_refused() -> None:
    other = NoteSigner.generate("other.example/log")
    rule = CheckpointPolicy.parse(f"log {other.vkey()}\nquorum none\n")
    with pytest.raises(Error) as raised:
        rule.check_log(LOG_VERIFIER, LOG.vkey())
    assert TRUST_POLICY_INVALID.matches(raised.value)


def test_a_maximum_age_of_zero_is_refused() -> None:
    with pytest.raises(Error) as raised:
        policy(max_age=0)
    assert TRUST_POLICY_INVALID.matches(raised.value)
