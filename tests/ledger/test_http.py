"""The ledger over real HTTP (uvicorn on 127.0.0.1) and in-process, through the client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from civicid.errors import Error, VerificationError
from civicid.identity import Identity
from civicid.ledger_client import LedgerClient
from cli.harness import free_port, serving, wait_until_healthy
from ledger.app import create_app
from ledger.settings import LedgerSettings
from tests.ledger.conftest import World


@pytest.fixture
def live(world: World) -> Iterator[str]:
    app = create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with serving(app, free_port()) as url:
        yield url


@pytest.fixture
def client(world: World, live: str) -> Iterator[LedgerClient]:
    c = LedgerClient(live, world.genesis.vkey, trust_file=world.root / "trusted-checkpoint")
    yield c
    c.close()


def register_over_http(world: World, client: LedgerClient, role: str = "agency") -> Identity:
    who = Identity.create()
    endorsement = world.governance.endorse(who.did, role, ledger=world.origin, now=world.clock.now)
    client.submit(
        who.create_tx(role=role, endorsement=endorsement, ledger=world.origin, now=world.clock.now)
    )
    return who


def test_submit_resolve_and_prove_over_real_http(world: World, client: LedgerClient) -> None:
    agency = register_over_http(world, client)
    resolved = client.resolve(agency.did)
    assert resolved.document == agency.document
    assert resolved.metadata["versionId"].startswith("1-")
    assert client.trusted is not None and client.trusted.size == world.ledger.size


def test_checkpoint_is_a_signed_note(world: World, live: str) -> None:
    response = httpx.get(live + "/checkpoint")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    lines = response.text.split("\n")
    assert lines[0] == world.origin and int(lines[1]) == world.ledger.size
    assert lines[3].startswith("civicid-state-map ")  # the state map's root (an extension line)
    assert lines[5].startswith("\u2014 " + world.origin + " ")


def test_refusal_carries_its_code_over_http(world: World, live: str) -> None:
    response = httpx.post(
        live + "/transactions", content="not.a.jws", headers={"content-type": "application/jose"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "jws_malformed"


def test_oversized_body_is_refused_before_reading_it_all(live: str) -> None:
    response = httpx.post(live + "/transactions", content=b"x" * (2 * 1024 * 1024))
    assert response.status_code == 413
    assert response.json()["error"] == "tx_too_large"


def test_proof_beyond_the_tree_is_refused(world: World, live: str) -> None:
    size = world.ledger.size
    response = httpx.get(live + "/proofs/inclusion", params={"seq": 0, "treeSize": size + 1})
    assert response.status_code == 400 and response.json()["error"] == "proof_out_of_range"
    response = httpx.get(live + "/proofs/consistency", params={"from": 1, "to": size + 5})
    assert response.status_code == 400 and response.json()["error"] == "proof_out_of_range"
    response = httpx.get(live + "/proofs/inclusion", params={"seq": size, "treeSize": size})
    assert response.status_code == 400 and response.json()["error"] == "proof_out_of_range"


def test_entry_by_seq_and_by_hash(world: World, live: str) -> None:
    first = httpx.get(live + "/transactions/0").json()
    again = httpx.get(live + f"/transactions/by-hash/{first['leafHash']}").json()
    assert again == first
    assert httpx.get(live + "/transactions/999").json()["error"] == "entry_not_found"


def test_client_refuses_a_forked_ledger(
    world: World, client: LedgerClient, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Another ledger signed with the same key but a different history is caught."""
    register_over_http(world, client)
    assert client.trusted is not None
    # Build a second, different log of the same size under the same origin and key.
    from civicid.checkpoint import Checkpoint, NoteSigner
    from civicid.encoding import b64_decode
    from ledger.setup import CHECKPOINT_KEY, Paths

    seed = b64_decode(Paths(world.root).keys.get(CHECKPOINT_KEY)["seed"])
    forged = NoteSigner(world.origin, seed).sign_checkpoint(
        Checkpoint(world.origin, client.trusted.size, b"\x07" * 32)
    )
    with pytest.raises(VerificationError) as info:
        client.accept_checkpoint(forged)
    assert info.value.code == "ledger_forked"
    bigger = NoteSigner(world.origin, seed).sign_checkpoint(
        Checkpoint(world.origin, client.trusted.size + 1, b"\x07" * 32)
    )
    with pytest.raises(Error) as info2:
        client.accept_checkpoint(bigger)
    assert info2.value.code in {"ledger_inconsistent", "proof_out_of_range"}


def test_client_refuses_a_checkpoint_from_another_key(world: World, client: LedgerClient) -> None:
    from civicid.checkpoint import Checkpoint, NoteSigner

    other = NoteSigner.generate(world.origin).sign_checkpoint(
        Checkpoint(world.origin, 1, b"\x00" * 32)
    )
    with pytest.raises(Error) as info:
        client.accept_checkpoint(other)
    assert info.value.code in {"note_unknown_key", "note_signature_invalid"}


def test_in_process_resolution_and_openapi(world: World) -> None:
    agency = world.register()
    app = create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with TestClient(app) as http:
        body = http.get(f"/1.0/identifiers/{agency.did}").json()
        assert body["didDocument"]["id"] == agency.did
        assert http.get("/openapi.json").json()["info"]["title"] == "CivicID ledger"
        only = http.get(f"/1.0/identifiers/{agency.did}", headers={"accept": "application/did"})
        assert only.headers["content-type"].startswith("application/did")
        assert only.json()["id"] == agency.did


def test_the_serve_command_runs_a_real_server(tmp_path: Path) -> None:
    """`civicid ledger serve` in its own process, as an operator starts it."""
    import subprocess
    import sys

    from ledger.setup import initialize

    genesis = initialize(tmp_path)
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli",
            "ledger",
            "serve",
            "--data-dir",
            str(tmp_path),
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", alive=lambda: proc.poll() is None)
        client = LedgerClient(f"http://127.0.0.1:{port}", genesis.vkey)
        assert client.checkpoint().size == 1
        client.close()
        # A second writer on the same store is refused while the server holds it.
        second = subprocess.run(
            [
                sys.executable,
                "-m",
                "cli",
                "ledger",
                "register",
                "x",
                "--data-dir",
                str(tmp_path),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 3 and "[store_locked]" in second.stderr
        # ... and the same command goes through the server with --ledger.
        url = f"http://127.0.0.1:{port}"
        for command in (
            ["register", "x", "--role", "service-desk"],
            ["rotate", "x"],
            ["deactivate", "x"],
        ):
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "cli",
                    "ledger",
                    *command,
                    "--ledger",
                    url,
                    "--data-dir",
                    str(tmp_path),
                    "--json",
                ],
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["receipt"]["seq"] == 3
        did = json.loads(done.stdout)["did"]
        shown = subprocess.run(
            [
                sys.executable,
                "-m",
                "cli",
                "ledger",
                "resolve",
                did,
                "--ledger",
                url,
                "--data-dir",
                str(tmp_path),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert shown.returncode == 0, shown.stderr
        assert "DEACTIVATED" in shown.stdout and "inclusion proven" in shown.stdout
        assert not (tmp_path / "keys" / "x.next.json").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_framework_errors_carry_a_code_too(world: World) -> None:
    app = create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with TestClient(app) as http:
        response = http.get("/transactions/not-a-number")
        assert response.status_code == 400 and response.json()["error"] == "request_invalid"
        response = http.get("/no/such/route")
        assert response.status_code == 404 and response.json()["error"] == "route_not_found"
        response = http.delete("/checkpoint")
        assert response.status_code == 405 and response.json()["error"] == "method_not_allowed"


def test_client_refuses_an_oversized_answer(world: World) -> None:
    """A hostile ledger cannot make the client buffer an unbounded answer."""
    from civicid import http

    def huge(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"x" * (http.MAX_RESPONSE_BYTES + 1))

    client = LedgerClient(
        "http://ledger.invalid", world.genesis.vkey, transport=httpx.MockTransport(huge)
    )
    with pytest.raises(Error) as info:
        client.checkpoint()
    assert info.value.code == "http_response_too_large"
