"""Fault: a damaged ``<data-dir>/ledger/meta.json`` (cut short, not JSON, the wrong shape).
Write commands and read-only ones say so in one line with ``store_meta_invalid`` and touch
nothing (log.dat and meta.json stay as they were); moving the file aside and running
``civicid ledger repair`` writes it again, and the ledger works on."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ledger.test_cli import civicid

DAMAGE = {
    "cut short": b'{"meta": {"1": {"key"',
    "empty object cut": b"{",
    "not json": b"\x00\xff garbage",
    "a list": b"[]",
    "a number": b"7",
    "table a list": b'{"meta": []}',
    "record a number": b'{"meta": {"1": 5}}',
    "record without key": b'{"meta": {"1": {"value": 1}}}',
    "key a number": b'{"meta": {"1": {"key": 3, "value": 1}}}',
    "another table a string": b'{"meta": {}, "_default": "x"}',
}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    code, out, _ = civicid("ledger", "init", "--data-dir", str(tmp_path))
    assert code == 0, out
    code, out, _ = civicid("ledger", "register", "health", "--data-dir", str(tmp_path))
    assert code == 0, out
    return tmp_path


def files(data: Path) -> dict[str, bytes]:
    """Each file's bytes (a link leading nowhere: where it leads)."""
    return {
        p.name: p.read_bytes() if p.exists() else str(p.readlink()).encode()
        for p in (data / "ledger").iterdir()
        if p.name != "LOCK"
    }


@pytest.mark.parametrize("how", DAMAGE, ids=list(DAMAGE))
@pytest.mark.parametrize(
    "command",
    [("ledger", "register", "desk", "--role", "service-desk"), ("ledger", "audit"),
     ("ledger", "info"), ("ledger", "rotate", "health"), ("ledger", "prove", "1")],
    ids=lambda c: c[1],
)  # fmt: skip
def test_a_damaged_meta_json_is_one_line(data: Path, how: str, command: tuple[str, ...]) -> None:
    meta = data / "ledger" / "meta.json"
    meta.write_bytes(DAMAGE[how])
    before = files(data)
    code, _, err = civicid(*command, "--data-dir", str(data))
    assert code == 3, err
    assert err.count("\n") == 1 and err.startswith("error: "), err
    assert err.rstrip().endswith("[store_meta_invalid]") and str(meta) in err
    assert files(data) == before
    assert not (data / "keys" / "desk.json").exists()


def test_moved_aside_and_repaired_the_ledger_works_on(data: Path) -> None:
    meta = data / "ledger" / "meta.json"
    good = meta.read_bytes()
    meta.write_bytes(DAMAGE["cut short"])
    meta.rename(data / "meta.json.damaged")
    code, out, _ = civicid("ledger", "repair", "--data-dir", str(data))
    assert code == 0, out
    assert meta.read_bytes() == good
    code, out, _ = civicid("ledger", "register", "desk", "--data-dir", str(data))
    assert code == 0, out
    code, out, _ = civicid("ledger", "audit", "--data-dir", str(data))
    assert code == 0 and out.startswith("ok: 3 entries"), out


@pytest.mark.parametrize("how", ["emptied", "deleted", "a link leading nowhere"])
@pytest.mark.parametrize(
    "command", [("ledger", "register", "desk"), ("ledger", "info"), ("ledger", "audit")],
    ids=lambda c: c[1],
)  # fmt: skip
def test_a_lost_meta_json_beside_entries_is_refused(
    data: Path, how: str, command: tuple[str, ...]
) -> None:
    """Zero bytes or no file, while log.dat holds entries: the store's format is not known
    (a new store writes it before its first entry), so it is not read as a new one."""
    meta = data / "ledger" / "meta.json"
    good = meta.read_bytes()
    meta.write_bytes(b"") if how == "emptied" else meta.unlink()
    if how == "a link leading nowhere":  # said as it is, not as an empty file
        meta.symlink_to(data / "moved" / "meta.json")
    before = files(data)
    code, _, err = civicid(*command, "--data-dir", str(data))
    assert code == 3, err
    assert err.count("\n") == 1 and err.rstrip().endswith("[store_meta_invalid]"), err
    found = {"emptied": "empty", "deleted": "missing"}.get(
        how, f"a link to {data / 'moved' / 'meta.json'}, which is missing,"
    )
    assert f"{meta} is {found} while log.dat holds entries" in err, err
    assert "`civicid ledger repair`" in err, err
    assert files(data) == before
    if meta.is_symlink():
        meta.unlink()  # the link, not a file: taken away before the repair
        before = files(data)
    code, out, _ = civicid("ledger", "repair", "--dry-run", "--data-dir", str(data))
    assert code == 0 and "would rebuild meta.json" in out, out
    assert files(data) == before
    code, out, _ = civicid("ledger", "repair", "--data-dir", str(data))
    assert code == 0 and "rebuilt meta.json" in out, out
    assert meta.read_bytes() == good
    code, out, _ = civicid("ledger", "audit", "--data-dir", str(data))
    assert code == 0 and out.startswith("ok: 2 entries"), out


def test_a_new_store_writes_it(tmp_path: Path) -> None:
    code, out, _ = civicid("ledger", "init", "--data-dir", str(tmp_path))
    assert code == 0, out
    assert b'"format"' in (tmp_path / "ledger" / "meta.json").read_bytes()
