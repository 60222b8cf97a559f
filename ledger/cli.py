"""``civicid ledger …``: create, serve, audit and query a ledger. Thin: calls, then prints."""

from __future__ import annotations

import json
import math
import os
import socket
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from civicid.checkpoint import MAX_NOTE_BYTES, NoteVerifier, open_checkpoint
from civicid.checkpoint_policy import CheckpointPolicy
from civicid.clock_check import check_clock
from civicid.console import AsJson, DatabaseUrl, DataDir, emit, inert, reflowed, reporting, stderr
from civicid.db import parse_url, where
from civicid.errors import Conflict, Error, NotFound, declare
from civicid.files import naming, read_bounded
from civicid.identity import Identity
from civicid.keystore import KEY_NOT_FOUND
from civicid.ledger_client import LedgerClient, forget_checkpoint_command
from civicid.merkle import leaf_hash, verify_consistency, verify_inclusion
from civicid.names import names_service, parse_names
from civicid.settings import DEFAULT_HOST, LEDGER_PORT
from civicid.status_uri import status_service
from civicid.wire import ConsistencyProof, InclusionProof, LedgerInfo, Proof
from civicid.words import counted
from ledger import answers_file, governance_cli, mirror_cli
from ledger import snapshot as snapshots
from ledger.audit import audit as run_audit
from ledger.errors import (
    FILE_UNREADABLE,
    LEDGER_KEY_MISSING,
    LEDGER_NOT_INITIALIZED,
    LEDGER_WRITE_UNCONFIRMED,
    SERVE_PORT_IN_USE,
    SETTINGS_INVALID,
    STORE_TRUNCATED,
)
from ledger.integrity import unshown
from ledger.log import Ledger
from ledger.resolution import Resolver
from ledger.sequencer import SEQUENCER_URL, Reader, refresh_snapshot
from ledger.settings import LedgerSettings
from ledger.setup import (
    CHECKPOINT_KEY,
    DEFAULT_ORIGIN,
    Paths,
    initialize,
    load_governance,
    load_signer,
    open_ledger,
)
from ledger.startup import (
    PROGRESS_EVERY,
    SNAPSHOT_LOADED,
    SNAPSHOT_REFUSED,
    Loading,
    check_snapshot_witness,
)
from ledger.store import LEDGER_WAY_BACK, FileLogStore
from ledger.tiles import CHECKPOINT
from ledger.writer import LedgerUrl, Writer, client_trust_file, open_writer

# The temporary name ``answers`` writes under: not the one a closing ledger writes under.
RENDER_SUFFIX = ".render.tmp"
STATE_SNAPSHOT_MISSING = declare(
    "state_snapshot_missing", NotFound, "the ledger has no state snapshot to render answers for"
)
STATE_SNAPSHOT_CHANGED = declare(
    "state_snapshot_changed",
    Conflict,
    "the state snapshot was replaced while its answers were rendered",
)

app = typer.Typer(
    help="The public ledger: genesis, serve, audit, DIDs, proofs, accreditations, types, lists.",
    no_args_is_help=True,
)


@app.command()
def init(
    data_dir: DataDir,
    origin: Annotated[
        str, typer.Option(help="The log's origin line (its name in checkpoints).")
    ] = DEFAULT_ORIGIN,
    database_url: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:
    """Create a ledger: checkpoint key, governance DID and the genesis entry."""
    with reporting(as_json):
        if origin == DEFAULT_ORIGIN:
            stderr(
                f"warning: the origin is the example {DEFAULT_ORIGIN!r}; a real ledger names "
                "itself with --origin <your domain>/ledger (it cannot change later)"
            )
        url = LedgerSettings.load(data_dir, database_url=database_url).database_url
        genesis = initialize(data_dir, origin=origin, database_url=url)
        data = {
            "origin": genesis.origin,
            "governance": genesis.governance.did,
            "checkpointKey": genesis.vkey,
            "keys": str(Paths(data_dir).keys.directory),
        }
        emit(
            as_json,
            data,
            lambda: (
                f"ledger {genesis.origin} created in {data_dir}\n"
                f"  governance DID  {genesis.governance.did}\n"
                f"  checkpoint key  {genesis.vkey}\n"
                f"  keys (0600)     {data['keys']}"
            ),
        )


@app.command()
def serve(
    data_dir: DataDir,
    host: Annotated[
        str | None,
        typer.Option(help="Interface to listen on.", show_default=DEFAULT_HOST),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(help="TCP port to listen on.", show_default=str(LEDGER_PORT)),
    ] = None,
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = False,
    database_url: DatabaseUrl = None,
    reader: Annotated[
        bool,
        typer.Option(
            "--reader",
            help="Only read (with --database-url): serve the log the sequencer writes, "
            "from its database or a standby of it.",
        ),
    ] = False,
    sequencer: Annotated[
        str | None,
        typer.Option(
            metavar="URL",
            help="The sequencer a reader names when it refuses a write (default: the URL "
            "the sequencer recorded in the database).",
        ),
    ] = None,
    take_over: Annotated[
        bool,
        typer.Option(
            "--take-over",
            help="With --database-url: wait while another sequencer writes, and take over "
            "when it stops.",
        ),
    ] = False,
) -> None:
    """Serve the ledger over HTTP (OpenAPI at /docs); settings also from <data-dir>/ledger.toml."""
    from civicid.shell.server import listen  # the web stack, only for a server

    with reporting(False):
        settings = LedgerSettings.load(data_dir, host=host, port=port, database_url=database_url)
        check_clock(data_dir, [Paths(data_dir).log], time.time())
        # The data dir or the database first: no ledger there, a database out of reach or
        # another sequencer running is said before a port another program holds.
        ledger = open_role(settings, reader=reader, sequencer=sequencer, wait=take_over)
        try:
            database = settings.database_url
            stored = where(parse_url(database)) if database else data_dir
            require_genesis(ledger, stored)
            with listen(
                settings.host, settings.port, taken=SERVE_PORT_IN_USE, option="--port"
            ) as sock:
                url = f"http://{settings.host}:{sock.getsockname()[1]}"
                if database is not None and not reader:
                    # Readers name it when refusing a write: the port bound (--port 0 is any).
                    ledger.store.put_meta(SEQUENCER_URL, url)
                stderr(
                    f"ledger {ledger.state.origin}: {ledger.size:,} entries, data in {stored}\n"
                    f"serving on {url} (API description at {url}/docs); Ctrl-C stops"
                )
                run_server(settings, ledger, sock, access_log=access_log)
        finally:
            ledger.close()


def open_role(
    settings: LedgerSettings, *, reader: bool, sequencer: str | None, wait: bool
) -> Ledger:
    """The ledger this process serves: the files of the data directory, or with a database
    the sequencer (the one writer) or a reader that follows it."""
    data_dir, database = settings.data_dir, settings.database_url
    if database is None:
        if reader or wait:
            raise SETTINGS_INVALID("--reader and --take-over need --database-url")
        paths = Paths(data_dir)
        if os.path.lexists(paths.log / "log.dat") and not paths.keys.exists(CHECKPOINT_KEY):
            # Served without it, a ledger with entries signs nothing and tells every client
            # it has no checkpoint yet, as if it were new.
            raise LEDGER_KEY_MISSING(
                f"{paths.keys.directory / CHECKPOINT_KEY}.json is missing: this ledger cannot"
                " sign a checkpoint without it; restore the key file from a backup"
            )
        stderr(f"opening the ledger in {paths.log}")
        return open_ledger(data_dir, progress=replaying)
    if reader:
        stderr(f"opening the ledger's database at {where(parse_url(database))} to read")
        follower = Reader(database, sequencer=sequencer, progress=replaying)
        follower.start_following()
        return follower
    if wait:
        stderr("waiting for the sequencer writing to the database to stop, to take over")
    return open_ledger(
        data_dir, database_url=database, wait=math.inf if wait else 0.0, progress=replaying
    )


def replaying(step: Loading) -> None:
    """What opening does, on stderr: a large log takes a while."""
    if step.step == SNAPSHOT_LOADED:
        stderr(f"  loaded snapshot at {step.done:,}, replaying {step.total - step.done:,}")
    elif step.step == SNAPSHOT_REFUSED:
        stderr(f"  snapshot not used ({step.reason}): replaying all {step.total:,} entries")
    elif step.total >= PROGRESS_EVERY:
        stderr(f"  replayed {step.done:,} of {step.total:,} entries")


def run_server(
    settings: LedgerSettings, ledger: Ledger, sock: socket.socket, *, access_log: bool
) -> None:
    from civicid.shell.server import serve, server_config
    from ledger.app import create_app

    app = create_app(settings, ledger=ledger, write_tiles=True)
    serve(server_config(settings, app, access_log=access_log), sock)


@app.command()
def audit(
    data_dir: DataDir,
    checkpoint: Annotated[
        Path | None,
        typer.Option(
            help="A checkpoint note to hold the log to.",
            show_default="the last one the ledger signed",
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Replay the whole log, re-checking every hash, signature and rule (read-only)."""
    with reporting(as_json):
        note = read_text(checkpoint) if checkpoint else None
        report = run_audit(Paths(data_dir).log, checkpoint=note)
        emit(
            as_json,
            report.to_json(),
            lambda: (
                f"ok: {report.size} entries, root {report.root.hex()}, {report.seconds:.2f}s"
                + (", checkpoint verified" if report.checkpoint_verified else "")
            ),
        )


def read_text(path: Path) -> str:
    try:
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FILE_UNREADABLE(f"{path}: {exc}") from exc


@app.command()
def snapshot(data_dir: DataDir, database_url: DatabaseUrl = None, as_json: AsJson = False) -> None:
    """Snapshot the ledger in a database beside its running sequencer, so readers start fast."""
    with reporting(as_json):
        url = LedgerSettings.load(data_dir, database_url=database_url).database_url
        if url is None:
            raise SETTINGS_INVALID("a snapshot beside the sequencer needs --database-url")
        size = refresh_snapshot(url, load_signer(Paths(data_dir)))
        emit(as_json, {"size": size}, lambda: f"the snapshot covers {size:,} entries")


@app.command()
@reflowed
def answers(data_dir: DataDir, as_json: AsJson = False) -> None:
    """Render every DID's plain answer ahead (state.answers) for the ledger's snapshot.

    What a clean close writes with the snapshot (after a long replay, the snapshot written at
    open has none). Read-only on the log; safe beside a running ledger: the file is written
    beside, fsynced, then renamed over the old one. A ledger serving now reads it from its
    next start (if it opens from that snapshot)."""
    with reporting(as_json):
        settings = LedgerSettings.load(data_dir)
        if settings.database_url is not None:
            raise SETTINGS_INVALID(
                "a ledger on PostgreSQL keeps no answers file: its snapshot is a database row"
            )
        ledger = open_ledger(data_dir, readonly=True, progress=None if as_json else replaying)
        try:
            require_genesis(ledger, data_dir)
            size, snapshot = ledger.snapshot_size, Paths(data_dir).log / snapshots.FILE
            if not size:
                why = ledger.snapshot_refused
                raise STATE_SNAPSHOT_MISSING(
                    f"{snapshot} "
                    + (f"is not used ({why})" if why else "does not exist")
                    + ": there is no snapshot to render answers for; one is written when the "
                    "ledger closes cleanly (or opens after a long replay)"
                )
            refused = unshown(ledger.integrity)  # as a snapshot is written: only once shown
            if refused is not None:
                raise refused
            path = answers_file.beside(snapshot)
            vkey, origin = ledger.state.checkpoint_vkey, ledger.state.origin
            assert vkey is not None and origin is not None  # a genesis was found

            def still_that_snapshot() -> None:
                # A ledger closing meanwhile writes a newer snapshot and its own answers:
                # never replaced by the answers of the one it replaced.
                now = snapshots.signed_size(snapshot, vkey=vkey, origin=origin)
                if now != size:
                    raise STATE_SNAPSHOT_CHANGED(
                        f"{snapshot} changed while its answers were rendered (it is now "
                        + ("none" if now is None else f"of {now:,} entries")
                        + f", not of {size:,}): {path} is left as it was; run it again"
                    )

            started = time.monotonic()
            try:
                count = answers_file.write(
                    path,
                    ledger.state,
                    size,
                    ledger.tree.root(size),
                    temporary=RENDER_SUFFIX,
                    before_replace=still_that_snapshot,
                )
            except OSError as exc:
                raise naming(exc, path) from exc
            seconds = time.monotonic() - started
        finally:
            ledger.close()
        written = path.stat().st_size
        emit(
            as_json,
            {
                "path": str(path),
                "snapshotSize": size,
                "answers": count,
                "bytes": written,
                "seconds": round(seconds, 3),
            },
            lambda: (
                f"{path}: {counted(count, 'answer', 'answers')} rendered for the snapshot at "
                f"{size:,} entries, {written:,} bytes, {seconds:.2f}s"
            ),
        )


def require_genesis(ledger: Ledger, stored: object) -> None:
    """A store holding no genesis is an ``init`` stopped before it logged one (nothing was
    signed): said so, with the way out, rather than served or shown as ``ledger None``;
    unless the data dir's tiles hold a checkpoint it signed: then its log was lost."""
    if ledger.state.origin is None:
        signed = _tiles_signed(stored) if isinstance(stored, Path) else None
        if signed is not None:
            raise STORE_TRUNCATED(
                f"{stored} holds a ledger store but no genesis, and its tiles hold a checkpoint"
                f" this ledger signed ({signed[1]}, {signed[0]:,} entries): its log was lost,"
                " not an init stopped; never make a new ledger over it:"
                f" {LEDGER_WAY_BACK.lost_entries}",
                held=0,
                signed=signed[0],
            )
        raise LEDGER_NOT_INITIALIZED(
            f"{stored} holds a ledger store but no genesis: `civicid ledger init` was stopped"
            " before it logged one, and nothing was signed; move the store (ledger/) and the"
            " keys ledger-checkpoint and governance aside, then run `civicid ledger init`"
        )


def _tiles_signed(data_dir: Path) -> tuple[int, Path] | None:
    """The size the tiles' checkpoint in ``data_dir`` states, verified with this ledger's
    checkpoint key (the ledger writes it only once it signed that many entries), and its
    path; None without one."""
    paths = Paths(data_dir)
    path = paths.tiles / CHECKPOINT
    try:
        raw = read_bounded(
            path, MAX_NOTE_BYTES, too_large=STORE_TRUNCATED, not_regular=STORE_TRUNCATED
        )
        vkey = paths.keys.text(CHECKPOINT_KEY, "vkey")
        size = open_checkpoint(raw.decode("utf-8"), NoteVerifier(vkey)).size
    except (OSError, ValueError, Error):
        return None  # none there, or not one this ledger signed: nothing said of a lost log
    return (size, path) if size > 0 else None


@app.command()
def info(data_dir: DataDir, as_json: AsJson = False) -> None:
    """What this data dir holds: origin, size, checkpoint and its key (read-only)."""
    with reporting(as_json):
        ledger = open_ledger(data_dir, readonly=True)
        try:
            require_genesis(ledger, data_dir)
            state = ledger.state
            assert state.origin is not None and state.checkpoint_vkey is not None
            data = LedgerInfo(
                origin=state.origin,
                tree_size=ledger.size,
                root=ledger.root(ledger.size) if ledger.size else None,
                checkpoint=ledger.checkpoint,
                checkpoint_key=state.checkpoint_vkey,
                governance=str(state.governance),
                data_dir=str(data_dir),
                bytes_on_disk=ledger.store.bytes_on_disk(),  # type: ignore[attr-defined]
            )
        finally:
            ledger.close()
        emit(
            as_json,
            data.to_json(),
            lambda: (
                f"ledger {data.origin} in {data.data_dir}\n"
                f"  entries         {data.tree_size:,} ({data.bytes_on_disk:,} bytes on disk)\n"
                f"  governance DID  {data.governance}\n"
                f"  checkpoint key  {data.checkpoint_key}\n"
                f"  checkpoint:\n{data.checkpoint}"
            ),
        )


@app.command()
@reflowed
def repair(
    data_dir: DataDir,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be rebuilt; change nothing.")
    ] = False,
    mirror: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="A mirror of this ledger (its URL): restore the log from it, every entry "
            "checked against this ledger's key and what it signed.",
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Rebuild what log.dat allows (index, leaf hashes, a torn tail past the last signed
    checkpoint) and drop the state snapshot and the answers rendered ahead beside it
    (state.answers); what it does not allow is one line naming it.

    Entries lost after they were acknowledged (store_truncated) come back only from a
    mirror: --from URL."""
    with reporting(as_json):
        if mirror is not None:
            restore(data_dir, mirror, dry_run=dry_run, as_json=as_json)
            return
        snapshot = Paths(data_dir).log / snapshots.FILE
        store = FileLogStore(Paths(data_dir).log, readonly=dry_run, remake_meta=True)
        try:
            # A snapshot signed past the log is the witness of lost entries: never dropped.
            check_snapshot_witness(store, snapshot)
        finally:
            store.close()
        findings = store.findings
        dropped = os.path.lexists(snapshot)  # a link to nothing too
        # Derived from the snapshot: of none once it is dropped (passed over, but said).
        rendered = answers_file.beside(snapshot)
        answers_dropped = os.path.lexists(rendered)
        if not dry_run:
            if dropped:
                snapshot.unlink()
            if answers_dropped:
                rendered.unlink()
        data = {
            "dryRun": dry_run,
            "records": findings.records,
            "checkpointSize": findings.checkpoint_size,
            "rebuilt": findings.rebuilt,
            "trimmedBytes": findings.trimmed,
            "snapshotDropped": dropped,
            "answersDropped": answers_dropped,
        }
        verb = "would rebuild" if dry_run else "rebuilt"
        emit(
            as_json,
            data,
            lambda: (
                f"log.dat: {findings.records:,} intact records"
                + (f"; {verb} {', '.join(findings.rebuilt)}" if findings.rebuilt else "")
                + (
                    f"; {'would trim' if dry_run else 'trimmed'} a torn tail of "
                    f"{findings.trimmed} bytes"
                    if findings.trimmed
                    else ""
                )
                + (
                    f"; {'would drop' if dry_run else 'dropped'} the state snapshot (the next "
                    "start replays the whole log)"
                    if dropped
                    else ""
                )
                + (
                    f"; {'would drop' if dry_run else 'dropped'} the answers rendered ahead "
                    f"({answers_file.FILE})"
                    if answers_dropped
                    else ""
                )
                + (
                    ""
                    if findings.rebuilt or findings.trimmed or dropped or answers_dropped
                    else "; nothing to repair"
                )
            ),
        )


def restore(data_dir: Path, url: str, *, dry_run: bool, as_json: bool) -> None:
    from ledger.recovery import restore_from_mirror

    vkey = str(Paths(data_dir).keys.get(CHECKPOINT_KEY)["vkey"])
    with LedgerClient(url, vkey) as client:
        done = restore_from_mirror(
            data_dir, client, dry_run=dry_run, progress=None if as_json else fetching
        )
    emit(
        as_json,
        done.to_json(),
        lambda: (
            f"{'would restore' if dry_run else 'restored'} {done.restored:,} entries from "
            f"{url}: the log holds {done.size:,} entries (log.dat held {done.intact:,}; this "
            f"ledger had signed {done.signed:,}), every one checked"
            + ("" if done.aside is None else f"; the store as found is kept in {done.aside}")
        ),
    )


@app.command()
def identities(data_dir: DataDir, as_json: AsJson = False) -> None:
    """The local identities in the key store: their names and DIDs."""
    with reporting(as_json):
        found = Paths(data_dir).keys.identities()
        emit(
            as_json,
            [
                {"name": name, "did": did}
                | ({"error": error.code, "error_description": error.message} if error else {})
                for name, did, error in found
            ],
            lambda: (
                "\n".join(
                    f"{name:<24} {did}"
                    if error is None
                    else f"{name:<24} unreadable: {error.message} [{error.code}]"
                    for name, did, error in found
                )
                or "no identities"
            ),
        )


def ledger_key_here(data_dir: Path) -> str:
    """The checkpoint key of the ledger kept in ``data_dir``; asking another ledger without
    one is told to pass the key its operator publishes."""
    try:
        return Paths(data_dir).keys.text(CHECKPOINT_KEY, "vkey")
    except Error as exc:
        if not KEY_NOT_FOUND.matches(exc):
            raise
        raise KEY_NOT_FOUND(
            f"no ledger checkpoint key in {data_dir}: pass --checkpoint-key, the key the "
            "ledger's operator publishes"
        ) from exc


@app.command()
@reflowed
def resolve(
    did: Annotated[str, typer.Argument(help="A DID, or the name of a local identity.")],
    data_dir: DataDir,
    version_id: Annotated[
        str | None, typer.Option("--version-id", help="The version with this versionId.")
    ] = None,
    version_time: Annotated[
        str | None,
        typer.Option("--version-time", help="The version in force at this RFC 3339 time."),
    ] = None,
    ledger_url: Annotated[
        str | None,
        typer.Option(
            "--ledger",
            envvar="CIVICID_LEDGER_URL",
            help="Ask a ledger at this URL; its proof is checked.",
            show_default="the local store",
        ),
    ] = None,
    checkpoint_key: Annotated[
        str | None,
        typer.Option(
            help="The ledger's checkpoint key (vkey).", show_default="the local key store's"
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Resolve a DID: from the local store (read-only; works beside a running server), or
    from a ledger's HTTP API with its inclusion proof verified against the checkpoint."""
    with reporting(as_json):
        did = Paths(data_dir).keys.did_of(did)
        if ledger_url is None:
            body = resolve_locally(data_dir, did, version_id, version_time)
        else:
            vkey = checkpoint_key or ledger_key_here(data_dir)
            client = LedgerClient(
                ledger_url, vkey, trust_file=client_trust_file(data_dir), remember=True
            )
            try:
                resolved = client.resolve(did, version_id=version_id, version_time=version_time)
            finally:
                client.close()
            body = {
                "didDocument": resolved.document,
                "didDocumentMetadata": resolved.metadata,
                "proof": {"seq": resolved.seq, "checkpointSize": resolved.checkpoint.size},
            }
        meta = body["didDocumentMetadata"]
        emit(
            as_json,
            body,
            lambda: (
                f"{did}\n  version {meta['versionId']} at {meta['versionTime']}"
                + ("  DEACTIVATED" if meta.get("deactivated") else "")
                + f"\n  role {meta['ledger']['role']}, entry {meta['ledger']['seq']}"
                + (
                    ""
                    if ledger_url is None
                    else " (inclusion proven in checkpoint of size "
                    f"{body['proof']['checkpointSize']})"
                )
                + (
                    ""
                    if body["didDocument"] is None
                    else "\n  keys "
                    + ", ".join(
                        vm["id"].split("#")[1] for vm in body["didDocument"]["verificationMethod"]
                    )
                )
            ),
        )


def resolve_locally(
    data_dir: Path, did: str, version_id: str | None, version_time: str | None
) -> dict[str, Any]:
    ledger = open_ledger(data_dir, readonly=True)
    try:
        result = Resolver(ledger).lookup(did, version_id=version_id, version_time=version_time)
    finally:
        ledger.close()
    body: dict[str, Any] = json.loads(result.body)
    return body


@app.command()
def prove(
    seq: Annotated[int, typer.Argument(help="Entry to prove included.")],
    data_dir: DataDir,
    since: Annotated[
        int | None,
        typer.Option("--since", help="Also prove the log only grew since this tree size."),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Prove an entry is in the log (and the log only grew), verified against the checkpoint."""
    with reporting(as_json):
        ledger = open_ledger(data_dir, readonly=True)
        try:
            note, size = ledger.checkpoint, ledger.size
            assert ledger.state.checkpoint_vkey is not None
            checkpoint = open_checkpoint(note, NoteVerifier(ledger.state.checkpoint_vkey))
            leaf = ledger.entry(seq)
            path = ledger.inclusion_proof(seq, size)
            verify_inclusion(leaf_hash(leaf), seq, size, path, checkpoint.root)
            consistency = None
            if since is not None:
                cons = ledger.consistency_proof(since, size)
                verify_consistency(since, size, ledger.root(since), checkpoint.root, cons)
                consistency = ConsistencyProof(from_size=since, to=size, consistency=cons)
            proof = Proof(
                checkpoint=note,
                inclusion_proof=InclusionProof(
                    seq=seq, tree_size=size, leaf_hash=leaf_hash(leaf), inclusion=path
                ),
                consistency_proof=consistency,
            )
        finally:
            ledger.close()
        emit(
            as_json,
            proof.to_json(),
            lambda: (
                f"entry {seq} is in the log of size {size} "
                f"(inclusion proof: {len(path)} hashes, verified)"
                + (
                    f"\nthe log of size {since} is a prefix of it (consistency proof verified)"
                    if since is not None
                    else ""
                )
                + f"\nsigned checkpoint:\n{note}"
            ),
        )


@app.command()
def register(
    name: Annotated[str, typer.Argument(help="Local name for the new identity's keys.")],
    data_dir: DataDir,
    role: Annotated[str, typer.Option(help="agency or service-desk")] = "agency",
    prerotate: Annotated[bool, typer.Option(help="Commit to the next key now.")] = False,
    service: Annotated[
        list[str] | None,
        typer.Option(
            help="An agency's public base URL (repeatable): its status lists live under it."
        ),
    ] = None,
    name_in: Annotated[
        list[str] | None,
        typer.Option(
            "--name",
            help="Its display name in one language, LANG=NAME (repeatable), e.g. "
            'en="City of Cadur": what wallets and desks show instead of the DID.',
        ),
    ] = None,
    ledger_url: LedgerUrl = None,
    as_json: AsJson = False,
) -> None:
    """Create a public body's DID, endorsed by governance, and write it to the ledger."""
    with reporting(as_json):
        paths = Paths(data_dir)
        names = parse_names(name_in or [])  # checked before any key is made
        governance = load_governance(paths)
        with open_writer(data_dir, ledger_url) as writer:
            services = [
                status_service(url, f"status-lists-{i}" if i else "status-lists")
                for i, url in enumerate(service or [])
            ]
            if names:
                services.append(names_service(names))
            identity = Identity.create(prerotate=prerotate, services=services or None)
            endorsement = governance.endorse(identity.did, role, ledger=writer.origin)
            # The key is on disk before the DID exists: a crash cannot strand a DID keyless.
            key_file = paths.keys.put(name, identity.to_json())
            try:
                receipt = writer.submit(
                    identity.create_tx(role=role, endorsement=endorsement, ledger=writer.origin)
                )
            except Error as exc:
                if writer.refused(exc):  # nothing written: the key controls nothing
                    paths.keys.remove(name)
                    raise
                # The DID may be on the ledger: keep its key, and find out.
                receipt = find_out(writer, name, identity.did, exc, key_file, data_dir, ledger_url)
        emit(
            as_json,
            {"name": name, "did": identity.did, "role": role, "names": names, "receipt": receipt},
            f"{name}: {identity.did} ({role}) written at entry {receipt['seq']}"
            + "".join(f"\n  {tag:<8} {inert(shown)}" for tag, shown in names.items()),
        )


def find_out(
    writer: Writer,
    name: str,
    did: str,
    lost: Error,
    key_file: Path,
    data_dir: Path,
    ledger_url: str | None,
) -> dict[str, Any]:
    """After a write whose outcome is unknown: resolve ``did``, and say what is so. The write
    went to ``ledger_url``, or without one to the local store of ``data_dir``: the command
    that checks later asks the same place (``resolve`` reads the local store unless given
    ``--ledger``)."""
    why = f"the ledger's answer was lost ({lost.message} [{lost.code}])"
    try:
        seq = writer.entry_of(did)
    except Error as exc:
        check = f"civicid ledger resolve {name} --data-dir {data_dir}"
        if ledger_url is not None:
            check += f" --ledger {ledger_url}"
        raise LEDGER_WRITE_UNCONFIRMED(
            f"{why}, and resolving {did} failed too ({exc.message} [{exc.code}]): whether it "
            f"is on the ledger is unknown; its key is kept in {key_file}: check with `{check}`"
        ) from lost
    if seq is None:
        raise LEDGER_WRITE_UNCONFIRMED(
            f"{why}; resolving {did} finds it is not on the ledger; its key is kept in "
            f"{key_file}: resolve it again later, or remove the key and register again"
        ) from lost
    stderr(f"warning: {why}; resolved with proof, {did} is on the ledger; its key is kept")
    return {"seq": seq, "confirmedBy": "resolution"}


@app.command()
def rotate(
    name: str, data_dir: DataDir, ledger_url: LedgerUrl = None, as_json: AsJson = False
) -> None:
    """Rotate a local identity's controller key (DID update)."""
    with reporting(as_json):
        paths = Paths(data_dir)
        identity = paths.keys.identity(name)
        with open_writer(data_dir, ledger_url) as writer:
            successor, tx = identity.rotate(writer.head(identity.did), ledger=writer.origin)
            # Keep the new key beside the old until the ledger has taken the rotation.
            paths.keys.put(f"{name}.next", successor.to_json(), overwrite=True)
            receipt = writer.submit(tx)
            paths.keys.put(name, successor.to_json(), overwrite=True)
            paths.keys.remove(f"{name}.next")
        emit(
            as_json,
            {"did": identity.did, "kid": successor.kid, "receipt": receipt},
            f"{identity.did}: controller key is now {successor.kid} (entry {receipt['seq']})",
        )


@app.command()
def deactivate(
    name: str, data_dir: DataDir, ledger_url: LedgerUrl = None, as_json: AsJson = False
) -> None:
    """Deactivate a local identity's DID; its history stays resolvable."""
    with reporting(as_json):
        identity = Paths(data_dir).keys.identity(name)
        with open_writer(data_dir, ledger_url) as writer:
            receipt = writer.submit(
                identity.deactivate_tx(writer.head(identity.did), ledger=writer.origin)
            )
        emit(
            as_json,
            {"did": identity.did, "receipt": receipt},
            f"{identity.did} deactivated (entry {receipt['seq']})",
        )


governance_cli.add_commands(app)
mirror_cli.add_commands(app)


@app.command("forget-client-checkpoint")
@reflowed
def forget_client_checkpoint(data_dir: DataDir, as_json: AsJson = False) -> None:
    """Forget the ledger checkpoint that `ledger resolve --ledger` and the governance commands
    given a ledger's URL trusted (<data-dir>/client/checkpoint and its record), to trust the
    ledger's next on first use.

    Without it, once they trusted a checkpoint and lost the file that keeps it, they refuse
    (trust_file_lost): a lost file is not a first run. Restore the file from a backup if there
    is one. The ledger's own store is untouched."""
    with reporting(as_json):
        running = "a `ledger resolve --ledger` or governance command over this data dir"
        emit(as_json, *forget_checkpoint_command(client_trust_file(data_dir), running))


FromTiles = Annotated[
    str | None,
    typer.Option(
        "--from-tiles",
        help="Read the log from its C2SP tiles (a directory or a URL prefix) instead of the API.",
    ),
]


@app.command()
def monitor(
    data_dir: DataDir,
    url: Annotated[
        str | None,
        typer.Argument(help="The ledger to watch, e.g. http://127.0.0.1:8700."),
    ] = None,
    ledger_key: Annotated[
        str | None,
        typer.Option(
            "--ledger-key",
            help="The ledger's checkpoint key to pin (default: this data dir's ledger's).",
        ),
    ] = None,
    from_tiles: FromTiles = None,
    witness_policy: Annotated[
        Path | None,
        typer.Option(
            "--witness-policy",
            help="A C2SP tlog-policy file: the witness quorum every checkpoint needs.",
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Mirror a running ledger into <data-dir>/mirror and audit it by replay (again: new only)."""
    from ledger.monitor import TRUST_FILE, client_for
    from ledger.monitor import monitor as run_monitor

    with reporting(as_json):
        vkey = ledger_key or str(Paths(data_dir).keys.get(CHECKPOINT_KEY)["vkey"])
        mirror = data_dir / "mirror"
        policy = CheckpointPolicy.load(witness_policy) if witness_policy else None
        client = client_for(url, from_tiles, vkey, mirror / TRUST_FILE, policy=policy)
        try:
            report = run_monitor(client, mirror, progress=None if as_json else fetching)
        finally:
            client.close()
        audit_ = report.audit
        emit(
            as_json,
            report.to_json(),
            lambda: (
                f"ok: {audit_.size} entries ({report.fetched} new), root {audit_.root.hex()}, "
                f"checkpoint and state map root verified by replay, {report.seconds:.2f}s"
            ),
        )


def fetching(done: int, total: int) -> None:
    stderr(f"  mirrored {done:,} of {total:,} entries")
