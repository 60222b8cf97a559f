"""Two countries, each with its own ledger on loopback: ``home``, where the desk is, and
``abroad``, whose agency issued the citizen's national ID. The desk pins the foreign ledger
by its trust policy; every test starts from here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from civicid.checkpoint import NoteVerifier, open_checkpoint
from civicid.cosignature import CosignerKey, attach_cosignatures
from civicid.did import DID
from civicid.trust.federation import Federation
from civicid.trust.pins import PinnedLedger, Pins
from cli.harness import serving
from ledger.app import create_app as ledger_app
from ledger.settings import LedgerSettings
from tests.verifier.world import NATIONAL_ID, Clock, World, settings_for
from verifier.service import Verifier


@dataclass
class Countries:
    home: World
    abroad: World
    home_url: str
    abroad_url: str
    desk_clock: Clock


def serve(world: World, stack: ExitStack) -> str:
    app = ledger_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    return stack.enter_context(serving(app, 0))


def log_line(world: World, url: str | None = None) -> str:
    return f"log {world.genesis.vkey}" + (f" {url}" if url else "")


def policy_text(
    world: World, *, witnesses: tuple[CosignerKey, ...] = (), vkey: str | None = None
) -> str:
    lines = [f"log {vkey or world.genesis.vkey}"]
    lines += [f"witness w{i} {key.vkey()}" for i, key in enumerate(witnesses, 1)]
    lines.append("quorum w1" if witnesses else "quorum none")
    return "".join(line + "\n" for line in lines)


def pin(
    countries: Countries,
    *,
    name: str = "abroad",
    types: tuple[str, ...] = (NATIONAL_ID,),
    issuers: tuple[str, ...] | None = None,
    governance: str | None = None,
    text: str | None = None,
    url: str | None = None,
) -> PinnedLedger:
    """Pin the foreign ledger at the desk (as ``civicid verifier federate add`` does)."""
    abroad = countries.abroad
    pinned = PinnedLedger(
        name=name,
        urls=url or countries.abroad_url,
        policy_text=text or policy_text(abroad),
        governance=DID(governance or abroad.genesis.governance.did),
        types=types,
        issuers=None if issuers is None else tuple(DID(d) for d in issuers),
    )
    Pins(settings_for(countries.home.root).federation_path).add(pinned)
    return pinned


def open_desk(
    countries: Countries, transports: dict[str, httpx.BaseTransport] | None = None
) -> Verifier:
    """The home desk, on loopback to its ledger, with the foreign ledgers it pins (reached
    through ``transports`` when given: a mirror that lies, a witnessing proxy)."""
    settings = settings_for(countries.home.root, url=countries.home_url)
    verifier = Verifier.open(settings, clock=countries.desk_clock)
    if transports is not None:
        assert verifier.federation is not None
        verifier.federation.close()
        verifier.federation = Federation.open(
            verifier.trust,
            verifier.federation.pins,
            clock=countries.desk_clock,
            transports=transports,
        )
    return verifier


@contextmanager
def desk(countries: Countries, **transports: httpx.BaseTransport) -> Iterator[Verifier]:
    verifier = open_desk(countries, transports or None)
    try:
        yield verifier
    finally:
        verifier.close()


Change = Callable[[str], str]


class Rewriting(httpx.BaseTransport):
    """The foreign ledger over real HTTP, each checkpoint note it serves passed through
    ``change`` (in ``/checkpoint`` and in every proof that carries one)."""

    def __init__(self, change: Change) -> None:
        self.inner = httpx.HTTPTransport()
        self.change = change
        self.changed = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer = self.inner.handle_request(request)
        content = answer.read()
        kind = answer.headers.get("content-type", "")
        if request.url.path == "/checkpoint" and answer.status_code == 200:
            self.changed += 1
            return httpx.Response(200, headers={"content-type": kind},
                                  content=self.change(content.decode()).encode())  # fmt: skip
        try:
            body = self._walk(json.loads(content))
        except ValueError:  # not JSON (a status list token): as served
            return httpx.Response(answer.status_code, headers={"content-type": kind},
                                  content=content)  # fmt: skip
        return httpx.Response(answer.status_code, headers={"content-type": kind},
                              content=json.dumps(body).encode())  # fmt: skip

    def _walk(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: self._note(v) if k == "checkpoint" and isinstance(v, str) else self._walk(v)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self._walk(v) for v in value]
        return value

    def _note(self, note: str) -> str:
        self.changed += 1
        return self.change(note)

    def close(self) -> None:
        self.inner.close()


def cosigning(world: World, witness: CosignerKey, clock: Clock) -> Rewriting:
    """A witness that cosigns every checkpoint the foreign ledger serves, at ``clock``."""
    verifier = NoteVerifier(world.genesis.vkey)

    def cosign(note: str) -> str:
        checkpoint = open_checkpoint(note, verifier)
        return attach_cosignatures(note, [witness.cosign(checkpoint, clock.now)])

    return Rewriting(cosign)
