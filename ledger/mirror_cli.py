"""``civicid ledger mirror URL``: follow a ledger into a verified copy and serve its read API."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from civicid.console import AsJson, DataDir, emit, reflowed, reporting, stderr
from civicid.ledger_client import forget_checkpoint_command
from civicid.settings import DEFAULT_HOST, MIRROR_PORT
from ledger.setup import CHECKPOINT_KEY, Paths

MIRROR_DIR = "mirror"  # the copy, as `ledger monitor` keeps it: one may start the other
TILES_DIR = "mirror-tiles"


def mirror(
    data_dir: DataDir,
    url: Annotated[
        str | None,
        typer.Argument(help="The ledger to follow, e.g. http://127.0.0.1:8700."),
    ] = None,
    ledger_key: Annotated[
        str | None,
        typer.Option(
            "--ledger-key",
            help="The ledger's checkpoint key to pin (default: this data dir's ledger's).",
        ),
    ] = None,
    from_tiles: Annotated[
        str | None,
        typer.Option(
            "--from-tiles",
            help="Follow the ledger's C2SP tiles (a directory or a URL prefix), not its API.",
        ),
    ] = None,
    host: Annotated[
        str | None, typer.Option(help="Interface to listen on.", show_default=DEFAULT_HOST)
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="TCP port to listen on.", show_default=str(MIRROR_PORT))
    ] = None,
    interval: Annotated[
        float | None,
        typer.Option(help="Seconds between two rounds of following.", show_default="5"),
    ] = None,
    witness_policy: Annotated[
        Path | None,
        typer.Option(
            "--witness-policy",
            help="A C2SP tlog-policy file: the witness quorum every checkpoint needs.",
        ),
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="Follow one round, say how far, and exit.")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Follow a ledger into <data-dir>/mirror, verifying every entry, checkpoint and the state
    map as `ledger monitor` does, and serve the ledger's read API (and its tiles) from it."""
    from civicid.shell.server import listen, serve, server_config
    from ledger.mirror import Mirror
    from ledger.mirror_app import MirrorSettings, create_mirror_app, status_of
    from ledger.monitor import TRUST_FILE, client_for

    with reporting(as_json):
        # A path given on the command line is where the operator stands (as `ledger
        # monitor` reads it); one in mirror.toml is relative to the data directory.
        policy_path = witness_policy.absolute() if witness_policy is not None else None
        settings = MirrorSettings.load(
            data_dir, host=host, port=port, interval=interval, witness_policy=policy_path
        )
        vkey = ledger_key or str(Paths(data_dir).keys.get(CHECKPOINT_KEY)["vkey"])
        copy = data_dir / MIRROR_DIR
        policy = settings.checkpoint_policy()
        client = client_for(url, from_tiles, vkey, copy / TRUST_FILE, policy=policy)
        try:
            kept = Mirror(client, copy, tiles=data_dir / TILES_DIR)
            try:
                if once:
                    done = kept.follow()
                    if done.error is not None:
                        raise done.error
                    if kept.tiles is not None:
                        kept.tiles.stop()  # this round's tiles written, or why they stopped
                        if kept.tiles.failed is not None:
                            stderr(f"the copy holds {kept.size:,} entries; its tiles stopped")
                            raise kept.tiles.failed
                    body = status_of(kept).to_json()
                    emit(as_json, body, lambda: f"ok: {kept.size} entries ({done.fetched} new)")
                    return
                sock = listen(settings.host, settings.port, option="--port")
                where = f"http://{settings.host}:{sock.getsockname()[1]}"
                stderr(
                    f"mirror of {url or from_tiles}: {kept.size:,} entries held in {copy}\n"
                    f"serving on {where} (status at {where}/mirror); Ctrl-C stops"
                )
                app = create_mirror_app(kept, interval=settings.interval)
                serve(server_config(settings, app), sock)
            finally:
                kept.close()
        finally:
            client.close()


def forget_mirror_checkpoint(data_dir: DataDir, as_json: AsJson = False) -> None:
    """Forget the ledger checkpoint this data dir's mirror and monitor trusted, to trust the
    ledger's next on first use (the copy is still held to the checkpoint its store proved).

    Without it, a mirror or monitor that trusted a checkpoint and lost the file that keeps it
    (mirror/trusted-checkpoint) refuses to start (trust_file_lost): a lost file is not a first
    run. Restore the file from a backup if there is one. The ledger's own store is untouched."""
    from ledger.monitor import TRUST_FILE

    with reporting(as_json):
        running = "`civicid ledger mirror` or `ledger monitor` over this data dir"
        emit(as_json, *forget_checkpoint_command(data_dir / MIRROR_DIR / TRUST_FILE, running))


def add_commands(app: typer.Typer) -> None:
    app.command("mirror")(reflowed(mirror))
    app.command("forget-mirror-checkpoint")(reflowed(forget_mirror_checkpoint))
