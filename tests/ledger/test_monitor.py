"""A monitor mirrors a running ledger over its public API and audits the mirror: anyone can
hold the operator to what it signed. Each lie is one refusal with its code, and the mirror
keeps only what a checkpoint proved."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from civicid.checkpoint import NoteSigner
from civicid.errors import Error
from civicid.identity import Identity
from civicid.ledger_client import LedgerClient
from cli.harness import free_port, serving
from ledger.app import create_app
from ledger.monitor import REFUSED_FILE, TRUST_FILE, MonitorReport, monitor
from ledger.settings import LedgerSettings
from ledger.store import FileLogStore
from tests.ledger.conftest import World
from tests.ledger.mirror import Mirror, mirrored
from tests.ledger.test_cli import civicid
from tests.security.test_rogue_operator_rewrites_a_did_history import (
    current_key_update,
    log_unchecked,
    rotated_twice_committed,
)


def watch(
    mirror: Mirror,
    world: World,
    into: Path,
    *,
    transport: httpx.BaseTransport | None = None,
    vkey: str | None = None,
) -> MonitorReport:
    """One monitor run through ``mirror`` (or ``transport``), pinned to ``vkey``."""
    client = LedgerClient(
        str(mirror.upstream.base_url),
        vkey or world.genesis.vkey,
        transport=transport or httpx.MockTransport(mirror.handle),
        trust_file=into / TRUST_FILE,
        clock=lambda: world.clock.now,
    )
    try:
        return monitor(client, into)
    finally:
        client.close()


def mirrored_size(into: Path) -> int:
    store = FileLogStore(into, readonly=True)
    try:
        return store.size
    finally:
        store.close()


def test_an_honest_ledger_is_mirrored_and_audited(world: World, tmp_path: Path) -> None:
    into = tmp_path / "mirror"
    world.accredit(world.register(), vcts=["https://vct.example/a"])
    with mirrored(world) as mirror:
        first = watch(mirror, world, into)
        assert first.audit.checkpoint_verified and first.fetched == world.ledger.size
        assert first.audit.root == world.ledger.root(world.ledger.size)
        world.register()  # the ledger grows: the next run fetches only the new entry
        second = watch(mirror, world, into)
    assert second.fetched == 1 and second.audit.size == world.ledger.size
    assert mirrored_size(into) == world.ledger.size


def test_an_entry_swapped_in_transit_is_caught(
    world: World, agency: Identity, tmp_path: Path
) -> None:
    into = tmp_path / "mirror"
    genuine = world.ledger.entry(1).decode("ascii")
    other = world.ledger.entry(2).decode("ascii")
    assert genuine != other
    with mirrored(world) as mirror:
        mirror.rewrites["/transactions/1"] = lambda _, answer: {**answer, "transaction": other}
        with pytest.raises(Error) as info:
            watch(mirror, world, into)
    assert info.value.code == "checkpoint_mismatch"
    assert mirrored_size(into) == 0  # nothing unproven kept


def test_a_rolled_back_ledger_is_refused(world: World, tmp_path: Path) -> None:
    """A ledger (or a mirror of it) serving an older checkpoint than one already taken:
    whatever came after it (a revocation) would be hidden."""
    into = tmp_path / "mirror"
    with mirrored(world) as mirror:
        old = mirror.upstream.get("/checkpoint").text
        world.register()
        watch(mirror, world, into)
        size = mirrored_size(into)

        def rolled_back(request: httpx.Request) -> httpx.Response:
            if request.url.path == "/checkpoint":
                return httpx.Response(200, text=old)
            return mirror.handle(request)

        with pytest.raises(Error) as info:
            watch(mirror, world, into, transport=httpx.MockTransport(rolled_back))
    assert info.value.code == "ledger_answer_stale"
    assert mirrored_size(into) == size
    assert (into / REFUSED_FILE).read_text("utf-8") == old  # the signed evidence, kept


def test_a_mirror_that_lost_its_trust_file_holds_to_its_own_checkpoint(
    world: World, tmp_path: Path
) -> None:
    """Its copy and the checkpoint it proved are intact: an older checkpoint shown then is
    refused as stale, and the trust file is not written back to it."""
    into = tmp_path / "mirror"
    with mirrored(world) as mirror:
        old = mirror.upstream.get("/checkpoint").text
        world.register()
        watch(mirror, world, into)
        size = mirrored_size(into)
        (into / TRUST_FILE).unlink()

        def rolled_back(request: httpx.Request) -> httpx.Response:
            if request.url.path == "/checkpoint":
                return httpx.Response(200, text=old)
            return mirror.handle(request)

        with pytest.raises(Error) as info:
            watch(mirror, world, into, transport=httpx.MockTransport(rolled_back))
        assert info.value.code == "ledger_answer_stale"
        assert not (into / TRUST_FILE).exists() and mirrored_size(into) == size
        assert (into / REFUSED_FILE).read_text("utf-8") == old
        again = watch(mirror, world, into)  # the ledger as it is: followed, trusted again
    assert again.fetched == 0 and again.audit.size == size
    assert (into / TRUST_FILE).exists()


def test_a_log_breaking_its_rules_under_a_valid_checkpoint_is_caught(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The operator logs, proves and signs a DID update its own rules refuse (past the
    pre-rotation commitment): every proof checks; the replay does not."""
    _, successor = rotated_twice_committed(world)
    seq = log_unchecked(world, current_key_update(world, successor), monkeypatch)
    with mirrored(world) as mirror, pytest.raises(Error) as info:
        watch(mirror, world, tmp_path / "mirror")
    assert info.value.code == "prerotation_key_mismatch"
    assert info.value.details["seq"] == seq


def test_a_ledger_under_another_key_is_refused(world: World, tmp_path: Path) -> None:
    stranger = NoteSigner.generate(world.origin)
    with mirrored(world) as mirror, pytest.raises(Error) as info:
        watch(mirror, world, tmp_path / "mirror", vkey=stranger.vkey())
    assert info.value.code == "note_unknown_key"
    assert not (tmp_path / "mirror" / "log.dat").exists()


def test_the_command_mirrors_audits_and_says_what_is_new(world: World, tmp_path: Path) -> None:
    watcher = str(tmp_path / "watcher")
    app = create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with serving(app, free_port()) as url:
        key = ["--ledger-key", world.genesis.vkey]
        code, out, err = civicid("ledger", "monitor", url, "--data-dir", watcher, *key)
        assert code == 0, err
        assert out.startswith(f"ok: {world.ledger.size} entries ({world.ledger.size} new)")
        code, out, err = civicid("ledger", "monitor", url, "--data-dir", watcher, *key, "--json")
        assert code == 0 and json.loads(out)["fetched"] == 0
        other = NoteSigner.generate(world.origin).vkey()
        code, out, err = civicid(
            "ledger", "monitor", url, "--data-dir", watcher, "--ledger-key", other
        )
    assert code != 0 and err.strip().endswith("[note_unknown_key]")
    assert len(err.strip().splitlines()) == 1


def test_a_monitor_that_lost_its_witness_policy_is_told_which_file_to_remove(
    world: World, tmp_path: Path
) -> None:
    """A mirror or monitor has no ``forget-witnesses``: the refusal names the kept file to
    remove (or the policy to give again), for a lost policy and for a damaged record."""
    from civicid.checkpoint_policy import CheckpointPolicy
    from civicid.cosignature import CosignerKey

    witness = CosignerKey.generate("w1.example")
    rule = CheckpointPolicy.parse(f"witness w1 {witness.vkey()}\nquorum w1\n")
    kept = tmp_path / "watcher" / "mirror" / f"{TRUST_FILE}.witness-policy"
    kept.parent.mkdir(parents=True)
    args = ["ledger", "monitor", "http://127.0.0.1:9", "--data-dir", str(tmp_path / "watcher")]
    args += ["--ledger-key", world.genesis.vkey]
    for text, code in [
        (rule.witnesses.to_text(), "witness_policy_lost"),
        ("", "witness_policy_record_invalid"),
    ]:
        kept.write_text(text, "utf-8")
        status, _, err = civicid(*args)
        assert status != 0 and err.strip().endswith(f"[{code}]"), err
        assert "for a ledger mirror or monitor" in err and f"remove {kept}" in err
        assert len(err.strip().splitlines()) == 1
