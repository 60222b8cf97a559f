"""``civicid up`` stopped (killed) during its first run's genesis leaves the ledger's keys and
empty store files: every later run was refused with ``ledger_not_initialized`` ("run
`civicid ledger init`", which refuses a data dir holding them). Now one error saying what
happened and what to do (``up_genesis_incomplete``); a ledger with entries is opened as
before."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicid.errors import Error
from cli import stack
from ledger.setup import Paths, initialize


def test_a_genesis_cut_short_is_one_error_saying_what_to_do(tmp_path: Path) -> None:
    initialize(tmp_path)
    log = Paths(tmp_path).log
    for name in ("log.dat", "checkpoint.dat", "acknowledged.dat", "log.idx", "leaves.dat"):
        (log / name).write_bytes(b"")  # as a kill before the genesis reached the disk leaves it
    for name in ("state.snapshot", "state.answers"):  # written only once the genesis is logged
        (log / name).unlink()
    with pytest.raises(Error) as caught:
        stack.ensure_ledger(tmp_path)
    assert caught.value.code == "up_genesis_incomplete"
    assert f"remove {tmp_path}" in caught.value.message


def test_a_ledger_with_its_genesis_is_found(tmp_path: Path) -> None:
    made = initialize(tmp_path)
    found = stack.ensure_ledger(tmp_path)
    assert found.vkey == made.vkey and not found.created


@pytest.mark.parametrize(
    "later",
    ["ledger/state.snapshot", "stack/checkpoint.trusted", "witnesses", "issuer.toml",
     "tiles/checkpoint"],
)  # fmt: skip
def test_a_log_lost_after_the_genesis_is_not_told_to_remove_the_data_dir(
    tmp_path: Path, later: str
) -> None:
    # The log and both checkpoint files emptied in a data dir that ran (a snapshot of the
    # signed state beside them, witnesses, trust files, the issuer): said as a first run cut
    # short, the way out was "remove <data dir>", its keys and stores with it.
    initialize(tmp_path)
    log = Paths(tmp_path).log
    for name in ("log.dat", "checkpoint.dat", "acknowledged.dat"):
        (log / name).write_bytes(b"")
    for name in ("state.snapshot", "state.answers"):
        (log / name).unlink()
    found = tmp_path / later
    if later == "witnesses":
        found.mkdir()
    else:
        found.parent.mkdir(exist_ok=True)
        found.write_bytes(b"kept\n")
    with pytest.raises(Error) as caught:
        stack.ensure_ledger(tmp_path)
    assert caught.value.code == "store_truncated", caught.value
    message = caught.value.message
    assert f"ran past the ledger's genesis ({later})" in message
    assert f"never remove {tmp_path}" in message and "civicid ledger repair --from" in message
    assert found.exists()
