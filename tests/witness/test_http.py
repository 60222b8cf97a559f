"""The witness over real HTTP on loopback (uvicorn, the shell's server configuration): the
status codes and bodies tlog-witness v1.0.0 gives each answer, and the evidence route."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from civicid.checkpoint import Checkpoint, NoteSigner
from civicid.cosignature import CosignatureVerifier
from cli.harness import serving
from ledger.witness.app import create_app
from ledger.witness.evidence import Evidence
from ledger.witness.models import EvidenceList, EvidenceView, WitnessHealth, WitnessStatus
from ledger.witness.request import MAX_REQUEST_BYTES
from ledger.witness.settings import WitnessSettings
from ledger.witness.witness import Witness
from tests.witness.logs import NOW, ORIGIN, Log, open_test_witness, stored

pytestmark = pytest.mark.xdist_group("loopback")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[httpx.Client, Witness]]:
    witness = open_test_witness(tmp_path)
    settings = WitnessSettings(data_dir=tmp_path, port=0)
    try:
        with (
            serving(create_app(settings, witness=witness), 0, settings=settings) as url,
            httpx.Client(base_url=url, timeout=10) as client,
        ):
            yield client, witness
    finally:
        witness.close()


def post(client: httpx.Client, body: bytes) -> httpx.Response:
    return client.post("/add-checkpoint", content=body, headers={"content-type": "text/plain"})


def test_cosigns_over_http(served: tuple[httpx.Client, Witness]) -> None:
    client, witness = served
    log = Log().grow(7)
    answer = post(client, log.body(0))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    assert answer.text.startswith("\u2014 ") and answer.text.endswith("\n")
    cosigner = CosignatureVerifier(witness.key.vkey())
    assert cosigner.verify_line(log.checkpoint(), answer.text, now=NOW) == NOW
    health = WitnessHealth.from_json(client.get("/health").content)
    assert health.vkey == witness.key.vkey()
    status = WitnessStatus.from_json(client.get("/status").content)
    assert [(s.origin, s.tree_size, s.root) for s in status.logs] == [(ORIGIN, 7, log.tree.root())]


def test_each_refusal_has_the_spec_status(served: tuple[httpx.Client, Witness]) -> None:
    client, witness = served
    log = Log().grow(6)
    assert post(client, log.body(0)).status_code == 200
    before = stored(witness.state.directory.parent.parent)

    stale = post(client, log.grow(2).body(3))
    assert stale.status_code == 409
    assert stale.headers["content-type"] == "text/x.tlog.size"
    assert stale.text == "6\n"

    bad_proof = log.request(6)
    body = type(bad_proof)(6, bad_proof.proof[:-1], bad_proof.note).to_body()
    assert post(client, body).json()["error"] == "witness_proof_invalid"
    assert post(client, body).status_code == 422

    stranger = NoteSigner("other.example/log", b"\x07" * 32)
    other = stranger.sign_checkpoint(Checkpoint("other.example/log", 1, b"\x00" * 32))
    unknown = post(client, b"old 0\n\n" + other.encode())
    assert (unknown.status_code, unknown.json()["error"]) == (404, "witness_log_unknown")

    impostor = Log(signer=NoteSigner(ORIGIN, b"\x09" * 32)).grow(6)
    forged = post(client, impostor.body(6))
    assert (forged.status_code, forged.json()["error"]) == (403, "witness_signature_invalid")

    no_old = post(client, b"\n" + log.note().encode())
    assert (no_old.status_code, no_old.json()["error"]) == (400, "witness_old_missing")
    too_old = post(client, b"old 99\n\n" + log.note().encode())
    assert (too_old.status_code, too_old.json()["error"]) == (400, "witness_old_too_large")

    oversized = post(client, b"old 0\n\n" + b"x" * (MAX_REQUEST_BYTES + 1))
    assert oversized.status_code == 413
    assert oversized.json()["error"] in ("witness_request_too_large", "request_body_too_large")

    assert stored(witness.state.directory.parent.parent) == before
    assert post(client, log.body(6)).status_code == 200  # and the log goes on


def test_a_fork_is_409_and_its_evidence_is_served(served: tuple[httpx.Client, Witness]) -> None:
    client, _ = served
    log = Log().grow(8)
    assert post(client, log.body(0)).status_code == 200
    fork = log.fork(5).grow(3)
    conflict = post(client, fork.body(8))
    assert (conflict.status_code, conflict.json()["error"]) == (409, "witness_checkpoint_conflict")
    listed = EvidenceList.from_json(client.get("/evidence").content)
    (view,) = listed.evidence
    evidence = Evidence.from_view(view)
    known, conflicting = evidence.check(log.signer_verifier())  # anyone can re-check it
    assert known.root == log.tree.root() and conflicting.root == fork.tree.root()
    one = EvidenceView.from_json(client.get(f"/evidence/{view.id}").content)
    assert one == view
    missing = client.get("/evidence/" + "0" * 16)
    assert (missing.status_code, missing.json()["error"]) == (404, "witness_evidence_not_found")
    status = WitnessStatus.from_json(client.get("/status").content)
    assert [e.id for e in status.evidence] == [view.id]
