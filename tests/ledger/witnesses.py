"""Witnesses in memory for the ledger's witnessing tests: each speaks C2SP tlog-witness
add-checkpoint over an httpx transport, and can be made slow or unreachable."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import httpx

from civicid.checkpoint import NoteVerifier, open_checkpoint
from civicid.cosignature import CosignerKey
from civicid.encoding import b64_decode
from civicid.errors import Error
from civicid.merkle import verify_consistency


@dataclass
class MemoryWitness:
    key: CosignerKey
    log_vkey: str
    now: int = 1_780_000_000
    delay: float = 0.0  # seconds before answering (a slow witness)
    down: bool = False  # refuses connections
    state: tuple[int, bytes] | None = None  # the size and root last cosigned
    calls: int = 0
    seen: list[int] = field(default_factory=list)  # sizes cosigned, in order

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if self.delay:
            await asyncio.sleep(self.delay)
        head, _, note = request.content.decode().partition("\n\n")
        lines = head.split("\n")
        old = int(lines[0].removeprefix("old "))
        proof = [b64_decode(line) for line in lines[1:]]
        try:
            checkpoint = open_checkpoint(note, NoteVerifier(self.log_vkey))
        except Error:
            return httpx.Response(403)
        size, root = self.state if self.state is not None else (0, b"")
        if old != size:
            return httpx.Response(
                409, content=f"{size}\n", headers={"content-type": "text/x.tlog.size"}
            )
        if old == checkpoint.size and root != checkpoint.root:
            return httpx.Response(
                409, content=f"{size}\n", headers={"content-type": "text/x.tlog.size"}
            )
        if 0 < old < checkpoint.size:
            try:
                verify_consistency(old, checkpoint.size, root, checkpoint.root, proof)
            except Error:
                return httpx.Response(422)
        self.state = (checkpoint.size, checkpoint.root)
        self.seen.append(checkpoint.size)
        return httpx.Response(200, content=self.key.cosign(checkpoint, self.now))


class Witnesses(httpx.AsyncBaseTransport):
    """Routes ``http://<name>/add-checkpoint`` to the memory witness of that name."""

    def __init__(self, witnesses: dict[str, MemoryWitness]) -> None:
        self.witnesses = witnesses

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.witnesses[request.url.host](request)


def policy_text(witnesses: dict[str, MemoryWitness], quorum: int) -> str:
    lines = [f"witness {name} {w.key.vkey()} http://{name}" for name, w in witnesses.items()]
    lines.append(f"group main {quorum} {' '.join(witnesses)}")
    lines.append("quorum main")
    return "".join(line + "\n" for line in lines)
