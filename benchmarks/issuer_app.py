"""The issuer's app alone, in process: the CPU of an issuance (offer, token, nonce, credential)
sent straight to the ASGI app, with no HTTP server and no sockets, so that what the app itself
costs is measured without the noise of the server, the load generator and the loopback.

The event loop's thread is timed (``time.thread_time``) with the store writer's thread (from
``/proc``); the wallets' proofs are signed in a thread pool, outside both. In alternating
rounds of one run, the app as it serves (``IssuerApp``: the wallet's calls answered straight
from the scope) and the same app through the framework's routes, so each round's load weighs
on both alike. Used by ``python -m benchmarks.issuer --app-only`` (docs/performance/README.md).
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections.abc import MutableMapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode

from fastapi import FastAPI

from civicid import jose
from civicid.jose import PrivateKey
from civicid.oid4vci import PRE_AUTHORIZED_GRANT, build_proof_jwt

WARM: Final = 2  # issuances per wallet before the first round, outside it
BATCH: Final = 4  # copies per issuance, each bound to its own fresh holder key
STORE_THREAD: Final = "issuer-store"
JSON_TYPE: Final = (b"content-type", b"application/json")
FORM_TYPE: Final = (b"content-type", b"application/x-www-form-urlencoded")
MODES: Final = ("the app (calls answered past the framework)", "the framework's routes")


@dataclass(frozen=True)
class Cpu:
    """Milliseconds of CPU per issuance: the event loop's thread and the store's writer."""

    loop: float
    writer: float

    @property
    def total(self) -> float:
        return self.loop + self.writer


def thread_seconds(name: str) -> float:
    """CPU seconds so far of this process's thread called ``name`` (0 if there is none)."""
    for thread in threading.enumerate():
        if thread.name == name and thread.native_id is not None:
            stat = Path(f"/proc/self/task/{thread.native_id}/stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def fresh_proofs(aud: str, nonce: str, now: int) -> list[str]:
    """A batch's proofs, each with a fresh holder key, as a wallet draws them. Made in this
    process, each key was read into the process's cache of parsed keys (``civicid.jose``),
    which a wallet's own process would not share with the issuer's: each is forgotten there,
    so that the issuer reads and checks every key anew, as it does when served."""
    keys = [PrivateKey.generate() for _ in range(BATCH)]
    for key in keys:
        jose._KEY_CACHE.pop(frozenset(key.public.to_jwk().items()), None)
    return [build_proof_jwt(key, aud=aud, nonce=nonce, iat=now) for key in keys]


class Wallets:
    """``clients`` wallets and a clerk issuing through ``app``, each a task on one loop (as many
    as the end-to-end run's connections, so that group commits are alike)."""

    def __init__(
        self, app: FastAPI, api_key: str, claims: Any, aud: str, config: str, clients: int
    ) -> None:
        self.app, self.api_key, self.claims, self.aud = app, api_key, claims, aud
        self.config, self.clients = config, clients
        self.signer = ThreadPoolExecutor(2, thread_name_prefix="wallet-proofs")

    async def call(
        self, method: str, path: str, body: bytes = b"", *headers: tuple[bytes, bytes]
    ) -> tuple[int, bytes]:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "headers": [(b"host", b"issuer"), (b"content-length", b"%d" % len(body)), *headers],
        }
        pending = [{"type": "http.request", "body": body, "more_body": False}]
        sent: list[MutableMapping[str, Any]] = []

        async def receive() -> dict[str, Any]:
            if pending:
                return pending.pop()
            await asyncio.Event().wait()  # no disconnect: the answer is awaited
            raise AssertionError("unreachable")

        async def send(message: MutableMapping[str, Any]) -> None:
            sent.append(message)

        await self.app(scope, receive, send)
        return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])

    async def issue(self, n: int, record: str) -> None:
        body = {"configuration": self.config, "record": record, "claims": self.claims}
        staff = (b"authorization", f"Bearer {self.api_key}".encode())
        status, answer = await self.call(
            "POST", "/staff/offers", json.dumps(body).encode(), JSON_TYPE, staff
        )
        assert status == 201, answer
        made = json.loads(answer)
        code = made["credentialOffer"]["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
        form = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code}
        status, answer = await self.call(
            "POST", "/token", urlencode({**form, "tx_code": made["txCode"]}).encode(), FORM_TYPE
        )
        assert status == 200, answer
        access = json.loads(answer)["access_token"]
        status, answer = await self.call("POST", "/nonce")
        nonce, now = json.loads(answer)["c_nonce"], int(time.time())
        proofs = await asyncio.get_running_loop().run_in_executor(
            self.signer, lambda: fresh_proofs(self.aud, nonce, now)
        )
        request = {"credential_configuration_id": self.config, "proofs": {"jwt": proofs}}
        token = (b"authorization", f"Bearer {access}".encode())
        status, answer = await self.call(
            "POST", "/credential", json.dumps(request).encode(), JSON_TYPE, token
        )
        assert status == 200, answer

    async def round(self, label: str, per_wallet: int) -> Cpu:
        async def wallet(n: int) -> None:
            for i in range(per_wallet):
                await self.issue(n, f"{label}-{n}-{i}")

        loop, writer = time.thread_time(), thread_seconds(STORE_THREAD)
        await asyncio.gather(*(wallet(n) for n in range(self.clients)))
        done = per_wallet * self.clients
        return Cpu(
            (time.thread_time() - loop) / done * 1000,
            (thread_seconds(STORE_THREAD) - writer) / done * 1000,
        )


def app_cpu(
    app: FastAPI,
    api_key: str,
    claims: Any,
    aud: str,
    config: str,
    *,
    issuances: int,
    rounds: int,
    clients: int,
) -> dict[str, list[Cpu]]:
    """Each mode's CPU per issuance in each of ``rounds`` alternating rounds of ``issuances``."""
    wallets = Wallets(app, api_key, claims, aud, config, clients)
    served = type(app)
    per_wallet = max(1, issuances // clients)

    async def run() -> dict[str, list[Cpu]]:
        used: dict[str, list[Cpu]] = {mode: [] for mode in MODES}
        for n in range(clients * WARM):
            await wallets.issue(n % clients, f"warm-{n}")
        for r in range(rounds):
            for mode in MODES:
                app.__class__ = served if mode == MODES[0] else FastAPI
                used[mode].append(await wallets.round(f"r{r}-{MODES.index(mode)}", per_wallet))
        app.__class__ = served
        return used

    try:
        import uvloop

        return uvloop.run(run())
    except ImportError:
        return asyncio.run(run())
    finally:
        wallets.signer.shutdown()
