"""A lost trust file is not a first run: a part's client (``remember``) records beside its
trust file that it trusted a checkpoint (the tree size of the first, 0600), and any client
refuses to start with ``trust_file_lost`` once that record is there and the trust file is
gone (deleted, a link that leads nowhere): it would trust the ledger's next checkpoint on
first use, a rolled-back one's included. ``forget_checkpoint`` is the way on; a client that
never trusted one starts as before; a damaged record is ``trust_file_invalid``, left as it is."""

from __future__ import annotations

import base64
import os
import shutil
from pathlib import Path

import httpx
import pytest

from civicid.checkpoint import Checkpoint, NoteSigner
from civicid.errors import Code, Error
from civicid.ledger_client import (
    LEDGER_ANSWER_STALE,
    TRUST_FILE_INVALID,
    TRUST_FILE_LOST,
    LedgerClient,
    check_trust_file,
    forget_checkpoint,
    forget_checkpoint_command,
    trusted_record_file,
)
from civicid.merkle import MerkleTree, leaf_hash
from civicid.statemap import extension_line

ORIGIN = "ledger.example/lost"
SIGNER = NoteSigner.generate(ORIGIN)
TREE = MerkleTree.from_leaf_hashes(b"".join(leaf_hash(bytes([i])) for i in range(8)))
MAP = extension_line(b"\x07" * 32)


def note(size: int) -> str:
    return SIGNER.sign_checkpoint(Checkpoint(ORIGIN, size, TREE.root(size), (MAP,)))


def consistency(request: httpx.Request) -> httpx.Response:
    old, new = int(request.url.params["from"]), int(request.url.params["to"])
    hashes = [base64.b64encode(h).decode() for h in TREE.consistency_proof(old, new)]
    return httpx.Response(200, json={"from": old, "to": new, "consistency": hashes})


def client(trust_file: Path, *, remember: bool = True) -> LedgerClient:
    return LedgerClient(
        "http://ledger.test",
        SIGNER.vkey(),
        trust_file=trust_file,
        transport=httpx.MockTransport(consistency),
        remember=remember,
    )


def refused(code: Code, trust_file: Path) -> Error:
    with pytest.raises(Error) as caught:
        client(trust_file)
    assert code.matches(caught.value), caught.value
    return caught.value


@pytest.fixture
def trusted(tmp_path: Path) -> Path:
    """A part's trust file once it trusted the ledger's checkpoint at size 4, then 6."""
    trust_file = tmp_path / "checkpoint"
    with client(trust_file) as first:
        first.accept_checkpoint(note(4))
        first.accept_checkpoint(note(6))
    return trust_file


def test_the_first_checkpoint_trusted_is_recorded_privately(trusted: Path) -> None:
    record = trusted_record_file(trusted)
    assert record.read_bytes() == b"4\n"  # written once, at the first: not at each one
    assert record.stat().st_mode & 0o777 == 0o600
    assert check_trust_file(trusted) == 4


@pytest.mark.parametrize("how", ["deleted", "a link that leads nowhere"])
def test_a_lost_trust_file_is_refused_not_taken_for_a_first_run(trusted: Path, how: str) -> None:
    trusted.unlink()
    if how != "deleted":
        trusted.symlink_to(trusted.with_name("gone"))
    error = refused(TRUST_FILE_LOST, trusted)
    assert str(trusted) in error.message and "forget-checkpoint" in error.message
    assert "restore it from a backup" in error.message.lower()
    assert trusted_record_file(trusted).read_bytes() == b"4\n"  # left as it is
    with pytest.raises(Error) as caught:
        check_trust_file(trusted)
    assert TRUST_FILE_LOST.matches(caught.value)


def test_any_client_of_that_file_is_refused_not_only_a_part(trusted: Path) -> None:
    trusted.unlink()
    with pytest.raises(Error) as caught:
        client(trusted, remember=False)
    assert TRUST_FILE_LOST.matches(caught.value)


def test_forgetting_it_lets_the_next_checkpoint_be_trusted_on_first_use(trusted: Path) -> None:
    trusted.unlink()
    refused(TRUST_FILE_LOST, trusted)
    data, text = forget_checkpoint_command(trusted)
    assert data == {"forgotten": True, "file": str(trusted)} and "first use" in text
    assert not trusted_record_file(trusted).exists()
    with client(trusted) as again:
        assert again.accept_checkpoint(note(2)).size == 2  # as a new client would
    assert trusted_record_file(trusted).read_bytes() == b"2\n"
    assert forget_checkpoint(trusted) is True
    assert forget_checkpoint(trusted) is False
    assert "nothing to forget" in forget_checkpoint_command(trusted)[1]


def test_a_damaged_trust_file_is_forgotten_too(trusted: Path) -> None:
    trusted.write_bytes(b"x")
    refused(TRUST_FILE_INVALID, trusted)
    assert forget_checkpoint(trusted) is True
    client(trusted).close()


def test_a_directory_in_the_trust_files_place_says_the_way_on_and_is_forgotten(
    trusted: Path,
) -> None:
    # Refused naming no way on; and the way on the docs give, forget-checkpoint, failed:
    # "cannot remove ...: Is a directory".
    trusted.unlink()
    trusted.mkdir()
    error = refused(TRUST_FILE_INVALID, trusted)
    assert "is not a regular file (a directory)" in error.message
    assert "forget-checkpoint" in error.message
    data, _ = forget_checkpoint_command(trusted)
    assert data["forgotten"] is True and not os.path.lexists(trusted)
    client(trusted).close()  # a first use again, as forgotten
    trusted.mkdir()
    (trusted / "something").write_bytes(b"kept")  # not emptied for anyone: refused
    with pytest.raises(Error) as caught:
        forget_checkpoint_command(trusted)
    assert TRUST_FILE_INVALID.matches(caught.value) and "not empty" in caught.value.message
    assert (trusted / "something").read_bytes() == b"kept"


def test_a_new_client_starts_as_before_and_a_client_not_remembering_records_nothing(
    tmp_path: Path,
) -> None:
    trust_file = tmp_path / "checkpoint"
    transport = httpx.MockTransport(consistency)
    with LedgerClient("http://ledger.test", SIGNER.vkey(), trust_file=trust_file,
                      transport=transport) as plain:  # fmt: skip
        plain.accept_checkpoint(note(3))
    assert trust_file.exists() and not trusted_record_file(trust_file).exists()
    trust_file.unlink()
    with client(trust_file) as new:  # never recorded: a first run
        assert new.trusted is None
        new.accept_checkpoint(note(1))


def test_a_trust_file_kept_without_its_record_is_recorded_at_the_next_start(
    trusted: Path,
) -> None:
    trusted_record_file(trusted).unlink()  # kept before records were, or a crash between
    client(trusted).close()
    assert trusted_record_file(trusted).read_bytes() == b"6\n"
    trusted.unlink()
    refused(TRUST_FILE_LOST, trusted)


def test_a_rolled_back_ledger_is_caught_after_a_restore(trusted: Path) -> None:
    backup = trusted.with_name("backup")
    shutil.copy(trusted, backup)
    trusted.unlink()  # lost: refused, not trusting the ledger's size 5 afresh
    refused(TRUST_FILE_LOST, trusted)
    shutil.copy(backup, trusted)  # restored
    with client(trusted) as restored, pytest.raises(Error) as caught:
        restored.accept_checkpoint(note(5))
    assert LEDGER_ANSWER_STALE.matches(caught.value)


@pytest.mark.parametrize(
    "content", [b"", b"4", b"04\n", b"-4\n", b"four\n", b"4\n4\n", b"\xff\n", b"9" * 40]
)
def test_a_damaged_record_is_refused_and_left_as_it_is(trusted: Path, content: bytes) -> None:
    record = trusted_record_file(trusted)
    record.write_bytes(content)
    error = refused(TRUST_FILE_INVALID, trusted)
    assert str(record) in error.message and "forget-checkpoint" in error.message
    assert record.read_bytes() == content


def test_a_record_that_is_no_file_is_refused_at_once(trusted: Path) -> None:
    record = trusted_record_file(trusted)
    record.unlink()
    os.mkfifo(record)
    refused(TRUST_FILE_INVALID, trusted)


def test_a_trust_file_older_than_the_record_is_not_the_one_kept(tmp_path: Path) -> None:
    trust_file = tmp_path / "checkpoint"
    with client(trust_file) as first:
        first.accept_checkpoint(note(3))
    trusted_record_file(trust_file).write_bytes(b"5\n")
    error = refused(TRUST_FILE_INVALID, trust_file)
    assert "older than the first" in error.message


def test_a_trust_file_at_the_recorded_size_is_the_one_kept(tmp_path: Path) -> None:
    trust_file = tmp_path / "checkpoint"
    with client(trust_file) as first:
        first.accept_checkpoint(note(3))
    with client(trust_file) as again:
        assert again.trusted is not None and again.trusted.size == 3
