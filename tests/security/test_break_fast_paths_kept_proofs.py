"""Attack: a snapshot re-signed over a tree node that is not the log's, and an answer with
proofs rendered from it before the background re-hash ends. Once the re-hash has found the
node, the ledger serves no proof from its tree or map (``snapshot_hashes_mismatch``): an
answer with proofs kept rendered from before must not be served either (the same checkpoint
is served, so nothing else lets it go); it is answered as a fresh resolution is."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from ledger import integrity, resolution
from ledger.app import create_app
from ledger.errors import SNAPSHOT_HASHES_MISMATCH
from ledger.resolution import Resolver
from ledger.routes import resolution as resolution_routes
from ledger.settings import LedgerSettings
from tests.ledger.conftest import World
from tests.ledger.test_forged_inner_hashes import FORGERIES, forged, opened_on


@pytest.mark.parametrize("forgery", ["tree-inner-node", "map-inner-node"])
def test_answers_with_proofs_kept_from_forged_hashes_are_not_served_once_found(
    world: World, monkeypatch: pytest.MonkeyPatch, forgery: str
) -> None:
    monkeypatch.setattr(integrity.KeptHashes, "start", lambda self: None)  # not yet run
    content = forged(world, FORGERIES[forgery][0])
    ledger = opened_on(world, content)
    target = max(ledger.state.dids, key=lambda did: ledger.state.dids[did].current.seq)
    path = resolution_routes.PATH_PREFIX + target
    with TestClient(create_app(LedgerSettings(data_dir=world.root), ledger=ledger)) as http:
        before = http.get(path, params={"withProof": "true"})
        assert before.status_code == 200  # served while the re-hash has not concluded
        assert ledger.integrity is not None and ledger.integrity.wait() == integrity.FAILED
        fresh = Resolver(ledger).resolve(target, with_proof=True)
        error = json.loads(fresh.body)["didResolutionMetadata"]["error"]
        assert error["code"] == SNAPSHOT_HASHES_MISMATCH.name
        after = http.get(path, params={"withProof": "true"})
        assert (after.status_code, after.content) == (fresh.status, fresh.body)
        # The proof routes answer the same state 503, the resolution INTERNAL_ERROR's 500 (DID
        # Resolution's HTTP(S) binding: the status follows the error type), one code for both.
        proof = http.get("/proofs/inclusion", params={"seq": 1})
        assert (proof.status_code, after.status_code) == (503, 500)
        assert proof.json()["error"] == error["code"]
        assert error["type"] == resolution.ERROR_BASE + "INTERNAL_ERROR"
        # A DID not on the ledger has no proof of its absence served either.
        absent = http.get(
            resolution_routes.PATH_PREFIX + "did:civicid:" + "a" * 32, params={"withProof": "1"}
        )
        assert absent.status_code == 500
        assert absent.json()["didResolutionMetadata"]["error"]["code"] == error["code"]
        # Without proofs, nothing rests on the hashes found wrong: answered as before.
        assert http.get(path).status_code == 200
