"""``civicid demo``: the whole flow on loopback with embedded defaults, narrated.

Starts a real ledger server on 127.0.0.1, then acts as governance, an agency and a service
desk would, through the HTTP client that checks every answer against signed checkpoints.
"""

from __future__ import annotations

import contextlib
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Final

import typer

from civicid.console import reporting
from civicid.errors import Error, Unavailable
from civicid.identity import Identity
from civicid.ledger_client import LedgerClient

# How long to wait for a service started here to answer before giving up.
STARTUP_TIMEOUT: Final = 20.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serving(app: object, port: int) -> Iterator[str]:
    """Run an ASGI app with uvicorn in a thread on loopback; yield its base URL."""
    import httpx
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                break
        if time.monotonic() > deadline or not thread.is_alive():
            raise Unavailable("service_start_failed", f"service on port {port} did not start")
        time.sleep(0.05)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def step(text: str) -> None:
    typer.secho(f"\n▸ {text}", bold=True)


def say(text: str) -> None:
    typer.echo(f"  {text}")


def demo(
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir", help="Keep the demo's data here (default: a fresh temporary directory)."
        ),
    ] = None,
) -> None:
    with reporting(False):
        if data_dir is None:
            with tempfile.TemporaryDirectory(prefix="civicid-demo-") as tmp:
                run(Path(tmp))
        else:
            run(data_dir)


def run(root: Path) -> None:
    from ledger.app import create_app
    from ledger.audit import audit
    from ledger.settings import LedgerSettings
    from ledger.setup import Paths, initialize, load_governance

    step("Ledger: genesis")
    genesis = initialize(root)
    say(f"origin          {genesis.origin}")
    say(f"governance DID  {genesis.governance.did}")
    say(f"checkpoint key  {genesis.vkey}")

    with serving(create_app(LedgerSettings(data_dir=root)), free_port()) as url:
        say(f"ledger serving at {url} (OpenAPI at {url}/docs)")
        client = LedgerClient(url, genesis.vkey, trust_file=root / "client" / "checkpoint")
        governance = load_governance(Paths(root))
        origin = genesis.origin

        step("Governance endorses an agency and a service desk; each writes its own DID")
        agency = Identity.create(prerotate=True)
        desk = Identity.create()
        for name, who, role in (("agency", agency, "agency"), ("desk", desk, "service-desk")):
            endorsement = governance.endorse(who.did, role, ledger=origin)
            receipt = client.submit(
                who.create_tx(role=role, endorsement=endorsement, ledger=origin)
            )
            Paths(root).keys.put(name, who.to_json())
            say(f"{role:<13} {who.did}  entry {receipt['seq']} (inclusion verified)")

        step("Anyone resolves the agency's DID; the client checks the proof")
        resolved = client.resolve(agency.did)
        say(
            f"version {resolved.metadata['versionId'][:12]}…  proven in checkpoint of size "
            f"{resolved.checkpoint.size}"
        )

        step("The agency rotates its key (pre-rotation: only the committed key may)")
        rotated, update = agency.rotate(resolved.metadata["versionId"], ledger=origin)
        client.submit(update)
        latest = client.resolve(agency.did)
        say(f"now {latest.metadata['versionId'][:12]}…, controller {rotated.kid.split('#')[1]}")
        first = client.resolve(agency.did, version_id="1")
        say(
            "version 1 still resolves: key-1 verifies what it signed before "
            + first.metadata["nextUpdate"]
        )

        step("Refusals leave the log unchanged")
        size_before = client.checkpoint().size
        for label, tx in (
            ("replayed transaction", update),
            (
                "rotation by a spent key",
                agency.rotate(latest.metadata["versionId"], ledger=origin)[1],
            ),
            (
                "unendorsed DID",
                Identity.create().create_tx(role="agency", endorsement="x.y.z", ledger=origin),
            ),
        ):
            try:
                client.submit(tx)
                say(f"{label}: ACCEPTED (unexpected)")
            except Error as exc:
                say(f"{label:<24} refused [{exc.code}]")
        assert client.checkpoint().size == size_before

        step("The service desk leaves; its DID is deactivated, its history kept")
        current = client.resolve(desk.did)
        client.submit(desk.deactivate_tx(current.metadata["versionId"], ledger=origin))
        gone = client.resolve(desk.did)
        say(f"deactivated: {gone.deactivated}")

        step("Audit: replay every entry, check every hash, signature and rule")
        note = client.checkpoint()
        report = audit(Paths(root).log, checkpoint=client.http.get("/checkpoint").text)
        say(
            f"{report.size} entries, root {report.root.hex()[:16]}…, checkpoint verified: "
            f"{report.checkpoint_verified} ({report.seconds * 1000:.0f} ms)"
        )
        say(f"client's trusted checkpoint: size {note.size}")
        client.close()
    typer.secho("\ndemo complete", fg=typer.colors.GREEN, bold=True)
