"""Fault: ``civicid ledger register`` writes a DID through a ledger whose reply is lost (a
proxy on loopback passes the write on and then drops the answer, cuts the connection, or
answers an error page of its own). The new key is kept whenever the outcome is unknown, the
command finds out by resolving the DID (with proof) and says so; the key is deleted only
when the ledger itself refused (a 4xx carrying its code), when nothing was written. Never a
DID on the ledger without the key that controls it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from civicid.errors import (
    Conflict,
    Error,
    InvalidInput,
    NotFound,
    Refused,
    TooLarge,
    Unavailable,
)
from civicid.http import HTTP_DEADLINE, HTTP_RESPONSE_MALFORMED, HTTP_UNREACHABLE
from civicid.identity import Identity
from cli.harness import free_port, serving
from ledger.app import create_app
from ledger.settings import LedgerSettings
from ledger.writer import ledger_refusal
from tests.ledger.test_cli import civicid

Scope = dict[str, Any]


class ReplyDropped(Exception):
    """Raised after the answer's head is sent: the server cuts the connection mid-answer."""


@dataclass
class Proxy:
    """Forwards everything to ``upstream``; what it does with ``POST /transactions`` (and,
    once ``down`` is set, with everything after it) is the fault under test."""

    upstream: str
    mode: str = "forward"
    down: bool = False
    writes: list[int] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body, more = b"", True
        while more:
            message = await receive()
            body, more = body + message.get("body", b""), message.get("more_body", False)
        write = scope["method"] == "POST" and scope["path"] == "/transactions"
        if self.down and scope["path"] != "/health":
            await self.answer(send, 503, b"<html>503 Service Unavailable</html>")
            return
        if write and self.mode == "tamper":
            head, payload, signature = body.split(b".")
            body = b".".join((head, payload, b"A" * len(signature)))
        if write and self.mode == "lost before the ledger":
            await self.cut(send)
            return
        query = scope["query_string"].decode()
        async with httpx.AsyncClient(base_url=self.upstream) as client:
            answer = await client.request(
                scope["method"],
                scope["path"] + (f"?{query}" if query else ""),
                content=body,
                headers={"content-type": "application/jose"} if write else None,
            )
        if write:
            self.writes.append(answer.status_code)
            if self.mode in ("reset", "reset, then down"):
                self.down = self.mode == "reset, then down"
                await self.cut(send)
                return
            if self.mode == "502":
                await self.answer(send, 502, b"<html>502 Bad Gateway</html>")
                return
            if self.mode == "404":
                await self.answer(send, 404, b"<html>404 Not Found</html>")
                return
        await self.answer(send, answer.status_code, answer.content, answer.headers)

    @staticmethod
    async def answer(
        send: Any, status: int, content: bytes, headers: httpx.Headers | None = None
    ) -> None:
        kind = (headers or {}).get("content-type", "text/html")
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", kind.encode()),
                    (b"content-length", b"%d" % len(content)),
                ],
            }
        )
        await send({"type": "http.response.body", "body": content})

    @staticmethod
    async def cut(send: Any) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
            }
        )
        raise ReplyDropped("the answer never reaches the client")


@pytest.fixture
def data(tmp_path: Path) -> Path:
    code, out, _ = civicid("ledger", "init", "--data-dir", str(tmp_path))
    assert code == 0, out
    return tmp_path


@pytest.fixture
def ledger_url(data: Path) -> Iterator[str]:
    with serving(create_app(LedgerSettings(data_dir=data)), free_port()) as url:
        yield url


@pytest.fixture
def proxy(ledger_url: str) -> Iterator[tuple[Proxy, str]]:
    proxy = Proxy(ledger_url)
    with serving(proxy, free_port()) as url:
        yield proxy, url


def register(data: Path, url: str) -> tuple[int, str, str]:
    return civicid("ledger", "register", "health", "--data-dir", str(data), "--ledger", url)


def on_ledger(data: Path, did: str, ledger_url: str) -> bool:
    code, out, err = civicid(
        "ledger", "resolve", did, "--data-dir", str(data), "--ledger", ledger_url, "--json"
    )
    assert code == 0 or "[did_not_found]" in err, err
    return code == 0 and json.loads(out)["didDocument"]["id"] == did


def log_size(ledger_url: str) -> int:
    return int(httpx.get(f"{ledger_url}/checkpoint").text.splitlines()[1])


def kept_identity(data: Path) -> Identity:
    from civicid.keystore import KeyStore

    return KeyStore(data / "keys").identity("health")


@pytest.mark.parametrize("mode", ["reset", "502", "404"])
def test_a_lost_reply_keeps_the_key_and_says_the_did_is_on_the_ledger(
    data: Path, ledger_url: str, proxy: tuple[Proxy, str], mode: str
) -> None:
    fault, url = proxy
    fault.mode = mode
    code, out, err = register(data, url)
    assert fault.writes == [201] and log_size(ledger_url) == 2  # the ledger wrote it
    assert code == 0, err
    identity = kept_identity(data)
    assert identity.did in out and "written at entry 1" in out
    assert err.startswith("warning: ") and err.count("\n") == 1, err
    assert "answer was lost" in err and "resolved with proof" in err and identity.did in err
    assert on_ledger(data, identity.did, ledger_url)


def test_a_lost_reply_from_a_ledger_then_gone_keeps_the_key(
    data: Path, ledger_url: str, proxy: tuple[Proxy, str]
) -> None:
    fault, url = proxy
    fault.mode = "reset, then down"
    code, _, err = register(data, url)
    assert code == 3 and err.count("\n") == 1, err
    assert err.rstrip().endswith("[ledger_write_unconfirmed]"), err
    key = data / "keys" / "health.json"
    assert str(key) in err and "unknown" in err
    # How to check later: asking the ledger the write went to.
    assert f"check with `civicid ledger resolve health --data-dir {data} --ledger {url}`" in err
    identity = kept_identity(data)
    assert on_ledger(data, identity.did, ledger_url)  # written, and its key is still here


def test_a_write_lost_before_the_ledger_keeps_the_key_and_says_it_is_not_there(
    data: Path, ledger_url: str, proxy: tuple[Proxy, str]
) -> None:
    fault, url = proxy
    fault.mode = "lost before the ledger"
    code, _, err = register(data, url)
    assert code == 3 and err.count("\n") == 1, err
    assert err.rstrip().endswith("[ledger_write_unconfirmed]") and "not on the ledger" in err
    assert fault.writes == [] and log_size(ledger_url) == 1
    identity = kept_identity(data)
    assert not on_ledger(data, identity.did, ledger_url)


def test_a_refusal_by_the_ledger_deletes_the_key(
    data: Path, ledger_url: str, proxy: tuple[Proxy, str]
) -> None:
    fault, url = proxy
    fault.mode = "tamper"
    code, _, err = register(data, url)
    assert code == 1 and err.count("\n") == 1, err
    assert err.rstrip().endswith("[jws_signature_invalid]") and fault.writes == [400]
    assert not (data / "keys" / "health.json").exists()
    assert log_size(ledger_url) == 1  # the genesis alone: nothing was written


def test_through_an_honest_proxy_nothing_changes(
    data: Path, ledger_url: str, proxy: tuple[Proxy, str]
) -> None:
    _, url = proxy
    code, _, err = register(data, url)
    assert code == 0 and err == "", err
    assert on_ledger(data, kept_identity(data).did, ledger_url)


def test_a_local_refusal_deletes_the_key(data: Path) -> None:
    code, _, err = civicid(
        "ledger", "register", "health", "--role", "mayor", "--data-dir", str(data)
    )
    assert code == 1 and err.rstrip().endswith("[role_unknown]"), err
    assert not (data / "keys" / "health.json").exists()


@pytest.mark.parametrize(
    "error, refusal",
    [
        (InvalidInput("jws_signature_invalid", "x"), True),
        (Refused("issuer_not_accredited", "x"), True),
        (TooLarge("tx_too_large", "x"), True),
        (Conflict("tx_replayed", "x"), False),  # perhaps our own write, sent twice on the way
        (Conflict("did_exists", "x"), False),
        (NotFound("http_404", "x"), False),  # a 4xx without our code: someone else's page
        (HTTP_DEADLINE("timed out"), False),
        (HTTP_UNREACHABLE("reset"), False),
        (Unavailable("http_503", "x"), False),
        (HTTP_RESPONSE_MALFORMED("x"), False),
    ],
    ids=lambda v: v.code if isinstance(v, Error) else str(v),
)
def test_only_the_ledgers_own_refusal_is_one(error: Error, refusal: bool) -> None:
    assert ledger_refusal(error) is refusal


def test_a_local_write_the_disk_refused_is_not_said_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Registered into the local store, the DID's entry is taken into the ledger's state
    before its write; the write refused (a full disk), resolving read that state and said
    "resolved with proof, ... written at entry N": an entry the log never held."""
    import errno

    from ledger import store

    code, out, _ = civicid("ledger", "init", "--data-dir", str(tmp_path))
    assert code == 0, out

    def no_room(*_: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store, "_write_all", no_room)
    code, out, err = civicid("ledger", "register", "agency", "--data-dir", str(tmp_path))
    assert code != 0 and "[ledger_write_unconfirmed]" in err, (out, err)
    assert "written at entry" not in out and "resolved with proof" not in err, err
    assert "No space left on device" in err and "is unknown" in err, err
    assert (tmp_path / "keys" / "agency.json").exists()  # kept: the outcome was unknown
    # How to check later: in the local store it was written to (it named ``--ledger URL``).
    check = f"civicid ledger resolve agency --data-dir {tmp_path}"
    assert f"check with `{check}`" in err and "--ledger" not in err, err
    monkeypatch.undo()
    code, _, err = civicid(*check.split()[1:])
    assert code == 1 and err.rstrip().endswith("[did_not_found]"), err  # as it says: not there
    code, out, _ = civicid("ledger", "audit", "--data-dir", str(tmp_path))
    assert code == 0 and out.startswith("ok: 1 entries"), out
