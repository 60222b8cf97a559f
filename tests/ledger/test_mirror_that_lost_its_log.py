"""A mirror (or a monitor's copy) whose ``log.dat`` was lost while the rest of its store is
there is a store that lost its log (``store_truncated``, naming log.dat and a copy's way back:
not ``ledger repair``, which needs the ledger's keys), never a new copy started over from the
first entry. Nothing is
written: no new log.dat, the other files as they were. A directory with none of a store's
files is still a new copy."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicid.errors import Error
from cli.harness import free_port, serving
from ledger.app import create_app
from ledger.errors import STORE_META_INVALID, STORE_TRUNCATED
from ledger.mirror_cli import MIRROR_DIR
from ledger.monitor import TRUST_FILE
from ledger.settings import LedgerSettings
from ledger.store import FILES
from tests.ledger.conftest import World
from tests.ledger.mirror import mirrored
from tests.ledger.test_cli import civicid
from tests.ledger.test_mirror_follows import Counting, follower, served
from tests.ledger.test_monitor import watch


def files(directory: Path) -> dict[str, bytes]:
    """The copy's store files (its trust file may take a newer checkpoint it verified)."""
    return {
        p.name: p.read_bytes()
        for p in sorted(directory.iterdir())
        if p.is_file() and p.name != TRUST_FILE
    }


def lose_log(directory: Path, *, keep: str | None = None) -> dict[str, bytes]:
    """Delete log.dat (and, with ``keep``, every other store file but that one)."""
    for name in FILES:
        if name == "log.dat" or (keep is not None and name != keep):
            (directory / name).unlink(missing_ok=True)
    return files(directory)


def said_truncated(error: Error, directory: Path) -> None:
    assert STORE_TRUNCATED.matches(error), error
    assert f"{directory / 'log.dat'} is missing" in error.message, error.message
    assert "move this mirror's directory aside to start a new copy" in error.message
    assert "ledger repair" not in error.message, error.message


@pytest.mark.parametrize("keep", [None, "checkpoint.dat", "meta.json", "log.idx"])
def test_a_mirror_that_lost_its_log_is_refused_not_started_over(
    world: World, tmp_path: Path, keep: str | None
) -> None:
    into = tmp_path / "mirror"
    world.register()
    with served(world) as ledger:
        mirror = follower(world, ledger, into)
        assert mirror.follow().error is None
        mirror.close()
        before = lose_log(into, keep=keep)
        counting = Counting(ledger)
        with pytest.raises(Error) as raised:
            follower(world, counting, into)
    said_truncated(raised.value, into)
    assert counting.entries == 0 and files(into) == before
    assert not (into / "log.dat").exists()


def test_a_round_over_a_copy_that_lost_its_log_is_refused(world: World, tmp_path: Path) -> None:
    into = tmp_path / "mirror"
    with served(world) as ledger:
        mirror = follower(world, ledger, into)
        assert mirror.follow().error is None
        world.register()  # the next round has entries to fetch
        before = lose_log(into)
        done = mirror.follow()
        mirror.close()
    assert done.error is not None
    said_truncated(done.error, into)
    assert files(into) == before


def test_a_monitor_whose_copy_lost_its_log_is_refused(world: World, tmp_path: Path) -> None:
    into = tmp_path / "mirror"
    with mirrored(world) as mirror:
        watch(mirror, world, into)
        before = lose_log(into)
        with pytest.raises(Error) as raised:
            watch(mirror, world, into)
    said_truncated(raised.value, into)
    assert files(into) == before


def test_a_directory_with_no_store_is_still_a_new_mirror(world: World, tmp_path: Path) -> None:
    into = tmp_path / "mirror"
    into.mkdir()
    with served(world) as ledger:
        mirror = follower(world, ledger, into)
        assert mirror.follow().error is None and mirror.size == world.ledger.size
        mirror.close()


def test_the_commands_say_it_in_one_line(world: World, tmp_path: Path) -> None:
    key = ["--data-dir", str(tmp_path), "--ledger-key", world.genesis.vkey]
    app = create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with serving(app, free_port()) as url:
        code, _, err = civicid("ledger", "mirror", url, *key, "--once")
        assert code == 0, err
        before = lose_log(tmp_path / MIRROR_DIR)
        for command in ("mirror", "monitor"):
            extra = ["--once"] if command == "mirror" else []
            code, _, err = civicid("ledger", command, url, *key, *extra)
            line = err.strip()
            assert code == STORE_TRUNCATED.exit_code, (command, err)
            assert line.endswith("[store_truncated]") and len(line.splitlines()) == 1, err
            assert "log.dat is missing" in line and "ledger repair" not in line, line
    assert files(tmp_path / MIRROR_DIR) == before


def test_a_copy_that_lost_its_meta_json_says_a_copys_way_back(world: World, tmp_path: Path) -> None:
    into = tmp_path / "mirror"
    world.register()
    with served(world) as ledger:
        mirror = follower(world, ledger, into)
        assert mirror.follow().error is None
        mirror.close()
        good = (into / "meta.json").read_bytes()
        for damage, says in ((None, "is missing while log.dat holds entries"),
                             (b"", "is empty while log.dat holds entries"),
                             (b'{"meta": {"1"', "is damaged: it is not JSON")):  # fmt: skip
            if damage is None:
                (into / "meta.json").unlink()
            else:
                (into / "meta.json").write_bytes(damage)
            before = files(into)
            with pytest.raises(Error) as raised:
                follower(world, ledger, into)
            assert STORE_META_INVALID.matches(raised.value), raised.value
            message = raised.value.message
            assert f"{into / 'meta.json'} {says}" in message, message
            assert "move this mirror's directory aside" in message and "repair" not in message
            assert files(into) == before
        (into / "meta.json").write_bytes(good)
        follower(world, ledger, into).close()  # restored: it opens again
