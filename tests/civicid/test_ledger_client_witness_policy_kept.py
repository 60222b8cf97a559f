"""The witness policy a client keeps beside its trust file: written (canonical text, 0600,
before the checkpoint) when a checkpoint is first accepted under a policy, and only when the
policy differs from the one kept; a client given no witness policy where one is kept is
refused (``witness_policy_lost``) before it believes anything; another policy with witnesses
is taken and kept in its place; a damaged record is refused with its own code, never read as
none; forgetting it is what lets the client trust the ledger's signature alone again."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import httpx
import pytest

from civicid import ledger_client
from civicid.checkpoint import Checkpoint, NoteSigner
from civicid.checkpoint_policy import CheckpointPolicy
from civicid.cosignature import CosignerKey, attach_cosignatures
from civicid.errors import Code, Error
from civicid.ledger_client import (
    KEPT_POLICY_SUFFIX,
    MAX_KEPT_POLICY_BYTES,
    TRUST_FILE_WRITE_FAILED,
    WITNESS_POLICY_LOST,
    WITNESS_POLICY_RECORD_INVALID,
    LedgerClient,
    check_kept_policy,
    forget_kept_policy,
    kept_policy_file,
    read_kept_policy,
)
from civicid.merkle import MerkleTree, leaf_hash
from civicid.statemap import extension_line

NOW = 1_780_000_000
ORIGIN = "ledger.example/kept"
SIGNER = NoteSigner.generate(ORIGIN)
W = {name: CosignerKey.generate(f"{name}.example") for name in ("w1", "w2", "w3")}
TREE = MerkleTree.from_leaf_hashes(b"".join(leaf_hash(bytes([i])) for i in range(8)))
MAP = extension_line(b"\x05" * 32)


def policy_text(quorum: str = "2", names: tuple[str, ...] = ("w1", "w2", "w3")) -> str:
    lines = [f"witness {n} {W[n].vkey()}" for n in names]
    lines += [f"group main {quorum} {' '.join(names)}", "quorum main"]
    return "".join(line + "\n" for line in lines)


def policy(text: str | None = None) -> CheckpointPolicy:
    return CheckpointPolicy.parse(policy_text() if text is None else text)


def note(size: int, *cosigners: str) -> str:
    checkpoint = Checkpoint(ORIGIN, size, TREE.root(size), (MAP,))
    signed = SIGNER.sign_checkpoint(checkpoint)
    return attach_cosignatures(signed, [W[n].cosign(checkpoint, NOW) for n in cosigners])


def consistency(request: httpx.Request) -> httpx.Response:
    old, new = int(request.url.params["from"]), int(request.url.params["to"])
    hashes = [base64.b64encode(h).decode() for h in TREE.consistency_proof(old, new)]
    return httpx.Response(200, json={"from": old, "to": new, "consistency": hashes})


def client(trust_file: Path | None, rule: CheckpointPolicy | None = None) -> LedgerClient:
    return LedgerClient(
        "http://ledger.test",
        SIGNER.vkey(),
        trust_file=trust_file,
        policy=rule,
        clock=lambda: NOW,
        transport=httpx.MockTransport(consistency),
    )


def files(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(root.iterdir()) if p.is_file()}


def refused(code: Code, trust_file: Path, rule: CheckpointPolicy | None = None) -> Error:
    before = files(trust_file.parent)
    with pytest.raises(Error) as caught:
        client(trust_file, rule)
    assert code.matches(caught.value), caught.value
    assert files(trust_file.parent) == before  # nothing changed by the refusal
    return caught.value


@pytest.fixture
def trust_file(tmp_path: Path) -> Path:
    """A trust file whose client accepted a checkpoint under the three-witness policy."""
    path = tmp_path / "checkpoint"
    first = client(path, policy())
    first.accept_checkpoint(note(3, "w1", "w2"))
    first.close()
    return path


def test_the_policy_is_kept_beside_the_trust_file_when_a_checkpoint_is_accepted(
    trust_file: Path,
) -> None:
    kept = trust_file.with_name("checkpoint.witness-policy")
    assert kept_policy_file(trust_file) == kept and KEPT_POLICY_SUFFIX == ".witness-policy"
    assert kept.read_text() == policy().witnesses.to_text() == policy_text()
    assert os.stat(kept).st_mode & 0o777 == 0o600
    assert read_kept_policy(trust_file) == policy_text()
    # The same policy again: started, and accepting.
    again = client(trust_file, policy())
    assert again.accept_checkpoint(note(5, "w2", "w3")).size == 5
    again.close()


def test_nothing_is_kept_without_a_trust_file_or_without_witnesses(tmp_path: Path) -> None:
    plain = client(tmp_path / "checkpoint")
    plain.accept_checkpoint(note(3))
    plain.close()
    explicit = client(tmp_path / "other", CheckpointPolicy.parse("quorum none\n"))
    explicit.accept_checkpoint(note(3))
    explicit.close()
    # Each beside the lock its clients held (``civicid.trust_lock``), and nothing more.
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "checkpoint",
        "checkpoint.lock",
        "other",
        "other.lock",
    ]
    assert read_kept_policy(tmp_path / "checkpoint") is None
    memory = client(None, policy())
    memory.accept_checkpoint(note(3, "w1", "w3"))
    memory.close()
    # Each beside the lock its clients held (``civicid.trust_lock``), and nothing more.
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "checkpoint",
        "checkpoint.lock",
        "other",
        "other.lock",
    ]


def test_a_client_given_no_witness_policy_where_one_is_kept_is_refused(trust_file: Path) -> None:
    error = refused(WITNESS_POLICY_LOST, trust_file)
    kept = str(kept_policy_file(trust_file))
    assert kept in error.message and "witness_policy" in error.message
    assert "forget-witnesses" in error.message
    # A policy that asks for no witness is no witness policy either.
    refused(WITNESS_POLICY_LOST, trust_file, CheckpointPolicy.parse("quorum none\n"))
    text = f"witness w1 {W['w1'].vkey()}\nquorum none\n"
    refused(WITNESS_POLICY_LOST, trust_file, CheckpointPolicy.parse(text))
    # Whether or not the trust file itself is still there.
    trust_file.unlink()
    refused(WITNESS_POLICY_LOST, trust_file)


def test_the_check_alone_answers_as_the_client_does(trust_file: Path) -> None:
    with pytest.raises(Error) as caught:
        check_kept_policy(trust_file, CheckpointPolicy())
    assert WITNESS_POLICY_LOST.matches(caught.value)
    assert check_kept_policy(trust_file, policy()) == policy_text()
    assert check_kept_policy(trust_file.with_name("never"), CheckpointPolicy()) is None


def test_another_witness_policy_is_taken_and_kept_in_its_place(trust_file: Path) -> None:
    other = policy(policy_text("1", ("w1", "w2")))
    changed = client(trust_file, other)
    assert read_kept_policy(trust_file) == policy_text()  # kept once a checkpoint is accepted
    changed.accept_checkpoint(note(5, "w1"))
    changed.close()
    assert read_kept_policy(trust_file) == policy_text("1", ("w1", "w2"))
    refused(WITNESS_POLICY_LOST, trust_file)


def test_the_same_tree_head_accepted_again_under_a_new_policy_keeps_it(trust_file: Path) -> None:
    other = policy(policy_text("3"))
    changed = client(trust_file, other)
    changed.accept_checkpoint(note(3, "w1", "w2", "w3"))  # the trusted size: kept fresher
    changed.close()
    assert read_kept_policy(trust_file) == policy_text("3")


def test_the_policy_is_written_once_and_before_the_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[str] = []
    real = ledger_client.write_private

    def recording(path: Path, data: bytes) -> None:
        written.append(path.name)
        real(path, data)

    monkeypatch.setattr(ledger_client, "write_private", recording)
    path = tmp_path / "checkpoint"
    first = client(path, policy())
    first.accept_checkpoint(note(3, "w1", "w2"))
    first.accept_checkpoint(note(5, "w1", "w2"))
    first.close()
    kept = "checkpoint" + KEPT_POLICY_SUFFIX
    assert written == [kept, "checkpoint", "checkpoint"]
    second = client(path, policy())  # a new run reads what is kept: nothing written again
    second.accept_checkpoint(note(6, "w2", "w3"))
    second.close()
    assert written == [kept, "checkpoint", "checkpoint", "checkpoint"]


def test_a_crash_between_the_two_writes_leaves_the_policy_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = ledger_client.write_private

    def failing(path: Path, data: bytes) -> None:
        if path.name == "checkpoint":
            raise OSError(28, "No space left on device")
        real(path, data)

    monkeypatch.setattr(ledger_client, "write_private", failing)
    path = tmp_path / "checkpoint"
    first = client(path, policy())
    with pytest.raises(Error) as failed:
        first.accept_checkpoint(note(3, "w1", "w2"))
    assert TRUST_FILE_WRITE_FAILED.matches(failed.value)
    first.close()
    assert not path.exists() and read_kept_policy(path) == policy_text()
    refused(WITNESS_POLICY_LOST, path)


DAMAGE = {
    "empty": b"",
    "not UTF-8": b"\xff\xfe",
    "not a policy": b"hello\n",
    "not canonical": b"# a comment\n" + policy_text().encode(),
    "asks for no witness": b"quorum none\n",
}


@pytest.mark.parametrize("damage", list(DAMAGE))
@pytest.mark.parametrize("given", ["no policy", "a policy"])
def test_a_damaged_record_is_refused_never_read_as_none(
    trust_file: Path, damage: str, given: str
) -> None:
    kept = kept_policy_file(trust_file)
    kept.write_bytes(DAMAGE[damage])
    error = refused(
        WITNESS_POLICY_RECORD_INVALID, trust_file, None if given == "no policy" else policy()
    )
    assert str(kept) in error.message and "forget-witnesses" in error.message
    with pytest.raises(Error) as caught:
        read_kept_policy(trust_file)
    assert WITNESS_POLICY_RECORD_INVALID.matches(caught.value)


def test_a_record_that_is_no_policy_keeps_why(trust_file: Path) -> None:
    kept_policy_file(trust_file).write_bytes(b"quorum\n")
    error = refused(WITNESS_POLICY_RECORD_INVALID, trust_file)
    assert error.details == {"reason": "policy_malformed"} and "is damaged" in error.message


@pytest.mark.parametrize("extra", [0, 1])
def test_a_record_at_its_bound_is_read_past_it_is_not(trust_file: Path, extra: int) -> None:
    kept = kept_policy_file(trust_file)
    text = policy_text().encode()
    kept.write_bytes(text + b"\n" * (MAX_KEPT_POLICY_BYTES + extra - len(text)))
    error = refused(WITNESS_POLICY_RECORD_INVALID, trust_file, policy())
    assert "forget-witnesses" in error.message  # what to do, for either
    if extra:
        assert f"exceeds {MAX_KEPT_POLICY_BYTES} bytes" in error.message
    else:  # read whole, and judged for what it holds
        assert "exceeds" not in error.message and "not a policy this client kept" in error.message


@pytest.mark.parametrize("kind", ["named pipe", "directory", "dangling link"])
def test_a_record_that_is_no_file_is_refused_at_once(trust_file: Path, kind: str) -> None:
    kept = kept_policy_file(trust_file)
    kept.unlink()
    if kind == "named pipe":
        os.mkfifo(kept)
    elif kind == "directory":
        kept.mkdir()
    else:
        kept.symlink_to(trust_file.parent / "gone")
    with pytest.raises(Error) as caught:
        client(trust_file, policy())
    assert WITNESS_POLICY_RECORD_INVALID.matches(caught.value), caught.value
    told = "cannot read" if kind == "dangling link" else f"is not a regular file (a {kind})"
    assert f"{kept} {told}" in caught.value.message or f"{told} {kept}" in caught.value.message


def test_forgetting_is_the_way_to_trust_the_ledger_alone_again(
    trust_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[Path] = []
    monkeypatch.setattr(ledger_client, "fsync_directory", synced.append)
    assert forget_kept_policy(trust_file) is True
    assert synced == [trust_file.parent]  # the removal made durable
    assert not os.path.lexists(kept_policy_file(trust_file))
    assert forget_kept_policy(trust_file) is False
    loose = client(trust_file)
    assert loose.accept_checkpoint(note(5)).size == 5  # the ledger's signature alone
    loose.close()
    assert read_kept_policy(trust_file) is None


def test_a_damaged_record_is_forgotten_too(trust_file: Path) -> None:
    kept = kept_policy_file(trust_file)
    kept.write_bytes(b"")
    assert forget_kept_policy(trust_file) is True and not kept.exists()
    kept.symlink_to(trust_file.parent / "gone")
    assert forget_kept_policy(trust_file) is True and not os.path.lexists(kept)


def test_a_record_that_cannot_be_removed_is_told(trust_file: Path) -> None:
    kept = kept_policy_file(trust_file)
    kept.unlink()
    kept.mkdir()
    (kept / "inside").write_bytes(b"x")
    with pytest.raises(Error) as caught:
        forget_kept_policy(trust_file)
    assert WITNESS_POLICY_RECORD_INVALID.matches(caught.value)
    assert f"cannot remove {kept}" in caught.value.message
