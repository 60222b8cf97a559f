"""Recovering a lost issuer store from the ledger: the lists there are the truth. Nothing is
reset (a suspension stays, a revocation stays), no index is handed out twice, and setting
the issuer up anew over lists it already published is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicid.errors import Error
from civicid.keystore import KeyStore
from civicid.status_list import STATUS_INVALID, STATUS_SUSPENDED, STATUS_VALID
from cli.main import app
from issuer.records import Issued
from issuer.recovery import recover
from issuer.service import Issuer
from issuer.settings import ConfigurationSettings
from issuer.setup import add_clerk, initialize
from issuer.store import DB_FILE
from tests.issuer.conftest import (
    CONFIG,
    FAST,
    NATIONAL_ID,
    Clock,
    Env,
    LedgerWorld,
    make_env,
)
from tests.issuer.test_status import issue

runner = CliRunner()


def statuses(env: Env, uri_slots: dict[str, set[int]]) -> dict[tuple[str, int], int]:
    """What verifiers read on the ledger, with proofs, for each (uri, index)."""
    client = env.world.client
    return {(u, i): client.status_list(u).status(i) for u, idx in uri_slots.items() for i in idx}


def where(env: Env, *issued: Issued) -> dict[str, set[int]]:
    uris = env.issuer.list_uris()
    out: dict[str, set[int]] = {}
    for one in issued:
        for number, idx in one.slots:
            out.setdefault(uris[number], set()).add(idx)
    return out


def history(env: Env, *, revoke: bool = True) -> tuple[Issued, Issued, Issued]:
    """A suspended, a revoked and a valid credential, all on the ledger."""
    suspended = issue(env, record="REG-S", copies=2)
    revoked = issue(env, record="REG-R", copies=2)
    valid = issue(env, record="REG-V", copies=2)
    env.issuer.set_status(env.clerk(), suspended.id, "suspend")
    if revoke:
        env.issuer.set_status(env.clerk(), revoked.id, "revoke")
    env.issuer.publish()
    return suspended, revoked, valid


def lose_store(env: Env) -> None:
    env.issuer.close()
    for path in env.settings.store_dir.glob(DB_FILE + "*"):
        path.unlink()


def reopen_after_recovery(env: Env) -> Issuer:
    """The recovered issuer with its clerks made again (they were in the lost store)."""
    env.keys = {
        name: add_clerk(env.settings, name, scopes, env.clock, hasher=FAST).api_key
        for name, scopes in (("alice", ["issue", "revoke"]), ("root", ["admin"]))
    }
    env.issuer = Issuer.open(env.settings, clock=env.clock)
    return env.issuer


@pytest.mark.parametrize("revoke", [False, True])
def test_init_force_over_published_lists_is_refused(env: Env, revoke: bool) -> None:
    """The advice of old (``init --force``) would republish list 1 all valid: a suspended
    credential valid again, and with a revocation in it the issuer could not publish at all."""
    suspended, revoked, _ = history(env, revoke=revoke)
    before = statuses(env, where(env, suspended, revoked))
    lose_store(env)
    with pytest.raises(Error) as caught:
        initialize(
            env.data_dir,
            configurations=[ConfigurationSettings(id=CONFIG, vct=NATIONAL_ID, batch_size=3)],
            force=True,
            public_url=env.settings.public_url,
            ledger_url=env.world.url,
            checkpoint_key=env.world.vkey,
            identity="agency",
            clock=env.clock,
            status_list_size=1024,
        )
    assert caught.value.code == "issuer_lists_on_ledger"
    assert "civicid issuer recover" in caught.value.message
    assert "(s)" not in caught.value.message and " status list" in caught.value.message
    assert not (env.settings.store_dir / DB_FILE).exists()
    assert statuses(env, where_from(before)) == before


def where_from(seen: dict[tuple[str, int], int]) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for uri, idx in seen:
        out.setdefault(uri, set()).add(idx)
    return out


def test_recovery_keeps_every_status_and_reuses_no_index(env: Env) -> None:
    suspended, revoked, valid = history(env)
    old = {s for i in (suspended, revoked, valid) for s in i.slots}
    places = where(env, suspended, revoked, valid)
    lose_store(env)

    done = recover(env.settings, clock=env.clock)
    assert [r.number for r in done.lists] == [1]
    assert (done.lists[0].revoked, done.lists[0].suspended) == (2, 2)
    assert done.fresh.number > 1

    # Recovery republished the lists it rebuilt (the ledger took them: nothing was cleared).
    seen = statuses(env, places)
    assert {seen[(u, i)] for u, idx in where(env, suspended).items() for i in idx} == {
        STATUS_SUSPENDED
    }
    assert {seen[(u, i)] for u, idx in where(env, revoked).items() for i in idx} == {STATUS_INVALID}
    assert {seen[(u, i)] for u, idx in where(env, valid).items() for i in idx} == {STATUS_VALID}

    issuer = reopen_after_recovery(env)
    # New credentials go to the fresh list, never to an index of the old one (even a "valid"
    # one: it may belong to a credential in a wallet).
    fresh = [issue(env, record=f"NEW-{n}", copies=3) for n in range(4)]
    new = {s for i in fresh for s in i.slots}
    assert not new & old
    assert {n for n, _ in new} == {done.fresh.number}

    # Later changes work as ever, and leave the recovered statuses alone.
    issuer.set_status(env.clerk(), fresh[0].id, "suspend")
    issuer.set_status(env.clerk(), fresh[0].id, "reinstate")
    issuer.set_status(env.clerk(), fresh[1].id, "revoke")
    issuer.set_status(env.clerk(), fresh[2].id, "suspend")
    issuer.publish()
    assert set(statuses(env, where(env, fresh[1])).values()) == {STATUS_INVALID}
    assert set(statuses(env, where(env, fresh[2])).values()) == {STATUS_SUSPENDED}
    assert set(statuses(env, where(env, fresh[0])).values()) == {STATUS_VALID}
    assert statuses(env, places) == seen

    # After a restart the rebuilt lists still hold what the ledger holds.
    issuer = env.reopen()
    for number in (1, done.fresh.number):
        uri = issuer.list_uris()[number]
        on_ledger = env.world.client.status_list(uri).token.status_list
        assert issuer.lists.lists[number].bits.to_bytes() == on_ledger.to_bytes()


def test_recovery_of_several_lists(tmp_path: Path, ledger_world: LedgerWorld, clock: Clock) -> None:
    env = make_env(tmp_path, ledger_world, clock, status_list_size=16)
    try:
        issued = [issue(env, record=f"REG-{i}", copies=3) for i in range(6)]
        env.issuer.set_status(env.clerk(), issued[-1].id, "suspend")
        env.issuer.publish()
        old = {s for i in issued for s in i.slots}
        assert {n for n, _ in old} == {1, 2}
        lose_store(env)
        done = recover(env.settings, clock=env.clock)
        assert [r.number for r in done.lists] == [1, 2]
        assert done.fresh.number > 2
        reopen_after_recovery(env)
        fresh = [issue(env, record=f"NEW-{n}", copies=3) for n in range(6)]
        new = {s for i in fresh for s in i.slots}
        assert not new & old
        assert all(n > 2 for n, _ in new)
    finally:
        env.issuer.close()


def test_recovery_refused_while_the_store_is_there(env: Env) -> None:
    env.issuer.close()
    db = (env.settings.store_dir / DB_FILE).read_bytes()
    with pytest.raises(Error) as caught:
        recover(env.settings, clock=env.clock)
    assert caught.value.code == "issuer_store_present"
    assert (env.settings.store_dir / DB_FILE).read_bytes() == db
    env.issuer = Issuer.open(env.settings, clock=env.clock)


def test_recovery_refuses_lists_another_agency_owns(env: Env, ledger_world: LedgerWorld) -> None:
    """A key store holding another agency (under the same base URL): the lists there are not
    its own, and nothing is made."""
    issue(env)
    env.issuer.publish()
    lose_store(env)
    other, _ = ledger_world.agency(env.settings.public_url)
    KeyStore(env.data_dir / "keys").put("agency", other.to_json(), overwrite=True)
    with pytest.raises(Error) as caught:
        recover(env.settings, clock=env.clock)
    assert caught.value.code == "status_list_not_issuers"  # as the desk and the wallet say
    assert not (env.settings.store_dir / DB_FILE).exists()


def test_recovery_reads_lists_whose_tokens_expired(env: Env) -> None:
    """An issuer down longer than its tokens live still recovers: the ledger proves the
    token is the latest; its age does not matter for rebuilding the store."""
    suspended, _, _ = history(env)
    lose_store(env)
    env.clock.offset = 3 * env.settings.status_ttl  # past every token's exp
    from civicid.trust import Trust
    from issuer.agency import ledger_client
    from issuer.recovery import ledger_lists

    with ledger_client(env.settings) as client:
        trust = Trust(client, clock=env.clock)
        found = ledger_lists(trust, env.settings.public_url, env.agency.did, now=env.clock())
    number, idx = suspended.slots[0]
    assert [f.number for f in found] == [number]
    assert found[0].token.status_list.get(idx) == STATUS_SUSPENDED


def test_recover_command(env: Env) -> None:
    history(env)
    lose_store(env)
    result = runner.invoke(app, ["issuer", "recover", "--data-dir", str(env.data_dir)])
    assert result.exit_code == 0, result.output
    assert "1 status list recovered" in result.stdout
    assert "2 revoked, 2 suspended" in result.stdout
    assert "new credentials go to" in result.stdout
    again = runner.invoke(app, ["issuer", "recover", "--data-dir", str(env.data_dir), "--json"])
    assert again.exit_code != 0
    assert again.stderr.strip().startswith("error:")
    assert again.stderr.strip().endswith("[issuer_store_present]")
    assert "Traceback" not in again.stderr
    env.issuer = Issuer.open(env.settings, clock=env.clock)


def test_init_recover_when_the_settings_are_lost_too(env: Env) -> None:
    suspended, _, _ = history(env)
    places = where(env, suspended)
    lose_store(env)
    (env.data_dir / "issuer.toml").unlink()
    args = ["issuer", "init", "--data-dir", str(env.data_dir), "--vct", NATIONAL_ID]
    args += ["--public-url", env.settings.public_url, "--ledger-url", env.world.url]
    args += ["--checkpoint-key", env.world.vkey]
    refused = runner.invoke(app, args)
    assert refused.exit_code != 0
    assert refused.stderr.strip().endswith("[issuer_lists_on_ledger]")
    assert not (env.data_dir / "issuer.toml").exists()
    result = runner.invoke(app, [*args, "--recover"])
    assert result.exit_code == 0, result.output
    assert "1 status list recovered" in result.stdout
    assert set(statuses(env, places).values()) == {STATUS_SUSPENDED}
    env.issuer = Issuer.open(env.settings, clock=env.clock)


def test_recover_command_json(env: Env) -> None:
    history(env)
    lose_store(env)
    result = runner.invoke(app, ["issuer", "recover", "--data-dir", str(env.data_dir), "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert [(r["number"], r["revoked"], r["suspended"]) for r in body["recovered"]] == [(1, 2, 2)]
    assert body["freshList"]["number"] > 1
    env.issuer = Issuer.open(env.settings, clock=env.clock)


def test_recovery_that_cannot_publish_leaves_no_store(env: Env) -> None:
    """Read from the ledger, then unable to publish back (it went away): no half-made store
    is left, and recovery runs again once the ledger is back."""
    from cli.harness import free_port
    from issuer.agency import ledger_client

    suspended, _, _ = history(env)
    places = where(env, suspended)
    lose_store(env)
    away = env.settings.model_copy(update={"ledger_url": f"http://127.0.0.1:{free_port()}"})
    with ledger_client(env.settings) as reader, pytest.raises(Error) as caught:
        recover(away, clock=env.clock, client=reader)
    assert caught.value.code == "http_unreachable"
    assert not list(env.settings.store_dir.glob(DB_FILE + "*"))
    assert set(statuses(env, places).values()) == {STATUS_SUSPENDED}
    done = recover(env.settings, clock=env.clock)
    assert [r.suspended for r in done.lists] == [2]
    env.issuer = Issuer.open(env.settings, clock=env.clock)


def test_recovery_under_another_public_url_finds_nothing_and_makes_nothing(env: Env) -> None:
    history(env)
    lose_store(env)
    moved = env.settings.model_copy(update={"public_url": env.settings.public_url + "/v2"})
    with pytest.raises(Error) as caught:
        recover(moved, clock=env.clock)
    assert caught.value.code == "issuer_nothing_to_recover"
    assert "/v2/status/" in caught.value.message
    assert not list(env.settings.store_dir.glob(DB_FILE + "*"))
    recover(env.settings, clock=env.clock)
    env.issuer = Issuer.open(env.settings, clock=env.clock)
