"""Offline mode: ``sync`` records the ledger's answers a desk's policies need (the checkpoint;
each accepted issuer's DID history, grants and types; the desk's own accreditation; the
status lists it has seen), proofs included; ``check`` then replays them to the same client
code, which verifies every proof and signature again, without a network.

The snapshot holds public ledger data only. Its age is the sync time; a policy's maximum age
of ledger data bounds how long it may stand in for the ledger (``snapshot_stale``). It also
carries the checkpoint everything is proven against as the ledger served it, with its
witnesses' cosignatures (the checkpoint part of a C2SP tlog-proof), so a desk offline can
show that the state it relies on was witnessed, by whom and when; replayed, that checkpoint
is held to the desk's checkpoint policy as of the sync time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl

import httpx

from civicid.checkpoint_policy import CheckpointPolicy, Witnessed
from civicid.errors import Error
from civicid.files import read_bounded
from civicid.keystore import write_private
from civicid.ledger_client import LedgerClient
from civicid.times import Clock, parse_time, rfc3339
from civicid.trust import SNAPSHOT_INCOMPLETE, Trust
from verifier.errors import SNAPSHOT_INVALID, SNAPSHOT_MISSING
from verifier.policy import Policy

FORMAT: Final = "civicid-verifier-snapshot/1"
# Every answer a desk needs is small except status lists (at most a few MiB each).
MAX_SNAPSHOT_BYTES: Final = 256 * 1024 * 1024
MAX_EXCHANGES: Final = 100_000

Key = tuple[str, tuple[tuple[str, str], ...]]


def key_of(request: httpx.Request) -> Key:
    query = tuple(sorted(parse_qsl(request.url.query.decode("ascii"), keep_blank_values=True)))
    return request.url.path, query


@dataclass(frozen=True, slots=True)
class Exchange:
    path: str
    query: tuple[tuple[str, str], ...]
    status: int
    content_type: str
    body: str

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "query": [list(p) for p in self.query],
            "status": self.status,
            "content_type": self.content_type,
            "body": self.body,
        }

    @classmethod
    def from_json(cls, data: Any) -> Exchange:
        try:
            return cls(
                path=str(data["path"]),
                query=tuple((str(k), str(v)) for k, v in data["query"]),
                status=int(data["status"]),
                content_type=str(data["content_type"]),
                body=str(data["body"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SNAPSHOT_INVALID(f"an exchange is malformed: {exc}") from exc


class Recorder(httpx.BaseTransport):
    """Passes requests to the ledger and keeps each GET answer (only the last per key)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.exchanges: dict[Key, Exchange] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        content = response.read()
        if request.method == "GET":
            path, query = key_of(request)
            self.exchanges[(path, query)] = Exchange(
                path,
                query,
                response.status_code,
                response.headers.get("content-type", ""),
                content.decode("utf-8", errors="replace"),
            )
        headers = [
            (k, v)
            for k, v in response.headers.items()
            if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        return httpx.Response(response.status_code, headers=headers, content=content)

    def close(self) -> None:
        self.inner.close()


class Replayer(httpx.BaseTransport):
    """Answers from a snapshot; a question it holds no answer to is ``snapshot_incomplete``,
    raised as the desk's own word (an error answer would be a ledger's, which the ledger
    client says in its own code, ``ledger_refused``)."""

    def __init__(self, exchanges: dict[Key, Exchange]) -> None:
        self.exchanges = exchanges

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        found = self.exchanges.get(key_of(request)) if request.method == "GET" else None
        if found is None:
            raise SNAPSHOT_INCOMPLETE(
                f"the snapshot holds no answer to {request.method} {request.url.path}; "
                "sync again with the ledger reachable"
            )
        return httpx.Response(
            found.status,
            headers={"content-type": found.content_type},
            content=found.body.encode("utf-8"),
        )


@dataclass(frozen=True, slots=True)
class Snapshot:
    synced_at: int
    ledger_url: str
    checkpoint_size: int
    desk: str
    policies: tuple[str, ...]
    status_lists: tuple[str, ...]
    exchanges: tuple[Exchange, ...]
    problems: tuple[str, ...] = ()  # what could not be recorded (e.g. a list failing checks)
    # The checkpoint as served, cosignatures included (signed note); "" in older snapshots.
    checkpoint: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "synced_at": rfc3339(self.synced_at),
            "ledger_url": self.ledger_url,
            "checkpoint_size": self.checkpoint_size,
            "desk": self.desk,
            "policies": list(self.policies),
            "status_lists": list(self.status_lists),
            "problems": list(self.problems),
            "checkpoint": self.checkpoint,
            "exchanges": [e.to_json() for e in self.exchanges],
        }

    def summary(self) -> dict[str, Any]:
        data = self.to_json()
        data["exchanges"] = len(self.exchanges)
        return data

    @classmethod
    def from_json(cls, data: Any) -> Snapshot:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise SNAPSHOT_INVALID(f"not a {FORMAT} file")
        exchanges = data.get("exchanges")
        if not isinstance(exchanges, list) or len(exchanges) > MAX_EXCHANGES:
            raise SNAPSHOT_INVALID("exchanges must be a list")
        try:
            return cls(
                synced_at=parse_time(str(data["synced_at"])),
                ledger_url=str(data["ledger_url"]),
                checkpoint_size=int(data["checkpoint_size"]),
                desk=str(data["desk"]),
                policies=tuple(str(p) for p in data["policies"]),
                status_lists=tuple(str(u) for u in data["status_lists"]),
                exchanges=tuple(Exchange.from_json(e) for e in exchanges),
                problems=tuple(str(p) for p in data.get("problems", [])),
                checkpoint=str(data.get("checkpoint", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SNAPSHOT_INVALID(f"the snapshot is malformed: {exc}") from exc
        except Error as exc:
            raise SNAPSHOT_INVALID(f"the snapshot is malformed: {exc.message}") from exc

    def save(self, path: Path) -> None:
        write_private(path, json.dumps(self.to_json()).encode("utf-8"))

    @classmethod
    def load(cls, path: Path) -> Snapshot:
        try:
            # Bounded as it is read (a size looked up first could be of another file), and a
            # named pipe or a device in its place refused at once, not read until it ends.
            raw = read_bounded(
                path,
                MAX_SNAPSHOT_BYTES,
                too_large=SNAPSHOT_INVALID,
                message=f"{path} is over {MAX_SNAPSHOT_BYTES} bytes",
                not_regular=SNAPSHOT_INVALID,
            )
            data = json.loads(raw.decode("utf-8"))
        except FileNotFoundError as exc:
            raise SNAPSHOT_MISSING(f"no snapshot at {path}; run civicid verifier sync") from exc
        except (OSError, ValueError, RecursionError) as exc:  # RecursionError: deep nesting
            raise SNAPSHOT_INVALID(f"{path} cannot be read: {exc}") from exc
        return cls.from_json(data)

    def client(self, vkey: str, policy: CheckpointPolicy | None = None) -> LedgerClient:
        """A ledger client answered from this snapshot (every proof checked again); its
        checkpoints are held to ``policy`` as of the sync time (the snapshot's own age is
        the trust package's business: ``snapshot_stale``)."""
        replayer = Replayer({(e.path, e.query): e for e in self.exchanges})
        synced_at = self.synced_at
        return LedgerClient(
            self.ledger_url, vkey, transport=replayer, policy=policy, clock=lambda: synced_at
        )

    def trust(self, vkey: str, clock: Clock, policy: CheckpointPolicy | None = None) -> Trust:
        return Trust(self.client(vkey, policy), clock=clock, as_of=self.synced_at)

    def witnessed(self, vkey: str, policy: CheckpointPolicy | None = None) -> Witnessed:
        """The snapshot's checkpoint, verified as the desk's policy asks (as of the sync)."""
        if not self.checkpoint:
            raise SNAPSHOT_INVALID("the snapshot carries no checkpoint: sync again")
        client = self.client(vkey, policy)
        try:
            client.accept_checkpoint(self.checkpoint)
        finally:
            client.close()
        assert client.witnessed is not None
        return client.witnessed


def sync(
    *,
    ledger_url: str,
    vkey: str,
    trust_file: Path | None,
    desk: str,
    policies: list[Policy],
    status_lists: list[str],
    clock: Clock,
    transport: httpx.BaseTransport | None = None,
    checkpoint_policy: CheckpointPolicy | None = None,
) -> Snapshot:
    """Ask the ledger everything ``policies`` need, proven, and record the answers."""
    recorder = Recorder(transport or httpx.HTTPTransport())
    client = LedgerClient(
        ledger_url,
        vkey,
        trust_file=trust_file,
        transport=recorder,
        clock=clock,
        policy=checkpoint_policy,
        remember=True,  # the desk's own trust file: recorded as its online client does
    )
    now = clock()
    trust = Trust(client, clock=clock)
    problems: list[str] = []
    try:
        checkpoint = trust.checkpoint()
        client.governance()
        for policy in policies:
            for vct in policy.credential_types:
                trust.desk_standing(desk, vct, policy.requested, now=now)
                trust.credential_type(vct, now=now)
                try:
                    issuers = policy.issuers or trust.issuers_for(vct, now=now)
                except Error as exc:
                    problems.append(f"issuers of {vct}: {exc.message} [{exc.code}]")
                    continue
                for issuer in issuers:
                    try:
                        trust.issuer_standing(issuer, vct, now, now=now)
                        trust.history(issuer, now=now)
                    except Error as exc:
                        problems.append(f"{issuer} for {vct}: {exc.message} [{exc.code}]")
        for uri in status_lists:
            try:
                trust.status_list(uri, issuer=None, now=now)
                # A single-use credential of the list redeemed elsewhere is refused offline.
                trust.redemptions(uri, now=now)
            except Error as exc:
                problems.append(f"status list {uri}: {exc.message} [{exc.code}]")
    finally:
        client.close()
    return Snapshot(
        synced_at=now,
        ledger_url=ledger_url,
        checkpoint_size=checkpoint.size,
        desk=desk,
        policies=tuple(p.name for p in policies),
        status_lists=tuple(status_lists),
        exchanges=tuple(recorder.exchanges.values()),
        problems=tuple(problems),
        checkpoint=client.trusted_note or "",
    )
