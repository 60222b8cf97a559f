"""``civicid ledger init`` stopped before its genesis reached the disk leaves the keys and
empty store files. ``info`` was an AssertionError traceback and ``serve`` served "ledger
None" with no entry; each is now one line with its code (``ledger_not_initialized``) naming
what to move aside before ``init`` runs again."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger import snapshot as snapshots
from ledger.setup import Paths, initialize
from tests.ledger.test_cli import civicid


def cut_short(root: Path) -> None:
    initialize(root)
    for path in Paths(root).log.iterdir():
        if path.suffix in (".dat", ".idx"):
            path.write_bytes(b"")  # as a kill before the genesis reached the disk leaves it
    # Nor had a snapshot been written (only a close writes one, after the genesis): one
    # left here shows a genesis was signed, a lost log (test_startup_edges.py).
    (Paths(root).log / snapshots.FILE).unlink()


@pytest.mark.parametrize("command", [["info"], ["serve", "--port", "0"]])
def test_a_store_without_genesis_is_one_line(tmp_path: Path, command: list[str]) -> None:
    cut_short(tmp_path)
    code, out, err = civicid("ledger", *command, "--data-dir", str(tmp_path))
    assert code == 1, out
    assert "Traceback" not in out + err
    line = err.strip().splitlines()[-1]
    assert line.startswith("error: ") and line.endswith("[ledger_not_initialized]")
    assert "civicid ledger init" in line and "aside" in line


@pytest.mark.parametrize("command", [["info"], ["serve", "--port", "0"]])
def test_a_store_lost_beside_tiles_this_ledger_signed_is_a_lost_log(
    tmp_path: Path, command: list[str]
) -> None:
    """The same store, beside tiles whose checkpoint this ledger signed: its log was lost,
    not an init stopped, and the way out said (move it all aside, init again) would make a
    new ledger where the old one had signed 5 entries."""
    from civicid.checkpoint import Checkpoint, NoteSigner
    from ledger.setup import load_signer

    cut_short(tmp_path)
    tiles = Paths(tmp_path).tiles
    tiles.mkdir()
    for signer, says in ((NoteSigner.generate("other.example/log"), "ledger_not_initialized"),
                         (load_signer(Paths(tmp_path)), "store_truncated")):  # fmt: skip
        note = signer.sign_checkpoint(Checkpoint(signer.name, 5, bytes(32)))
        (tiles / "checkpoint").write_text(note)
        code, out, err = civicid("ledger", *command, "--data-dir", str(tmp_path))
        line = err.strip().splitlines()[-1]
        assert code != 0 and line.endswith(f"[{says}]"), (out, err)
    assert f"({tiles / 'checkpoint'}, 5 entries): its log was lost" in line
    assert "civicid ledger repair --from" in line and "init" not in line.split(":")[-1]
