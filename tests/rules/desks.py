"""Distribution points: the world's desk and a second one, each with its own data directory
(keys, policies, store) on the same ledger, online or from a synced snapshot."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx

from civicid.identity import Identity
from civicid.keystore import KeyStore
from tests.rules.world import VOUCHER_POLICY, voucher_policy_text
from tests.verifier.world import LIST_URI, Clock, World, settings_for, write_policy
from verifier.service import Verifier, checkpoint_key
from verifier.snapshot import Snapshot, sync


def desk_root(world: World, desk: Identity, name: str) -> Path:
    """A data directory for ``desk``: the world's keys (the ledger's checkpoint key) with
    ``desk`` as its identity, and the voucher policy."""
    if name == "desk":
        write_policy(world, VOUCHER_POLICY, voucher_policy_text(LIST_URI))
        return world.root
    root = world.root / name
    shutil.copytree(world.root / "keys", root / "keys")
    KeyStore(root / "keys").put("desk", desk.to_json(), overwrite=True)
    (root / "verifier" / "policies").mkdir(parents=True)
    (root / "verifier" / "policies" / f"{VOUCHER_POLICY}.toml").write_text(
        voucher_policy_text(LIST_URI)
    )
    return root


def open_at(root: Path, http: httpx.BaseTransport, clock: Clock) -> Verifier:
    return Verifier.open(settings_for(root), clock=clock, ledger_transport=http)


def take_snapshot(root: Path, desk: Verifier, http: httpx.BaseTransport) -> Snapshot:
    settings = settings_for(root)
    snapshot = sync(
        ledger_url=settings.ledger_url,
        vkey=checkpoint_key(settings),
        trust_file=None,
        desk=desk.desk.did,
        policies=list(desk.policies.values()),
        status_lists=[LIST_URI],
        clock=desk.clock,
        transport=http,
    )
    snapshot.save(settings.snapshot_path)
    return snapshot


def open_offline(root: Path, clock: Clock) -> Verifier:
    return Verifier.open(settings_for(root), clock=clock, offline=True)
