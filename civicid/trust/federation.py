"""Trust across CivicID ledgers: the local ledger's ``Trust`` and one ``Trust`` per pinned
foreign ledger, and which of them answers for a DID.

Nothing here decides whether an answer is true: each foreign ledger is asked through its own
``LedgerClient`` (its pinned checkpoint key, witnesses and quorum; ``accept_checkpoint``) and
its own ``Trust``, exactly as the local one, and nothing foreign is written to the local log.
What this module adds is routing and acceptance: a ``did:civicid`` names no ledger, so an
issuer is looked for on the local ledger first, then on each pinned one in turn (a DID's
absence is proven by the state map, never taken on a ledger's word); and a desk accepts from a
foreign ledger only the credential types, and optionally the issuers, its pin names.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from civicid.did import DID_NOT_FOUND
from civicid.errors import Error, Refused, VerificationError, declare
from civicid.ledger_client import LedgerClient
from civicid.times import Clock, system_clock
from civicid.trust.cache import MAX_ANSWERS
from civicid.trust.pins import FEDERATION_INVALID, LOCAL, PinnedLedger, Pins, check_unique
from civicid.trust.questions import NO_REUSE, Trust

ISSUER_NOT_FEDERATED = declare(
    "issuer_not_federated",
    Refused,
    "the credential comes from a foreign ledger, issuer or type this desk does not accept",
)
LEDGER_GOVERNANCE_MISMATCH = declare(
    "ledger_governance_mismatch",
    VerificationError,
    "the foreign ledger's genesis names another governance than the one pinned",
)


@dataclass(frozen=True, slots=True)
class Route:
    """The ledger that answers for a DID: ``pin`` None for the local ledger."""

    trust: Trust
    pin: PinnedLedger | None = None

    @property
    def ledger(self) -> str:
        return LOCAL if self.pin is None else self.pin.name

    @property
    def foreign(self) -> bool:
        return self.pin is not None

    def require_type(self, vct: str, *, single_use: bool) -> None:
        """A foreign credential's type must be one its pin accepts; a single-use entitlement
        is redeemed on its own ledger only, so a desk never takes a foreign one."""
        if self.pin is None:
            return
        if vct not in self.pin.types:
            raise ISSUER_NOT_FEDERATED(
                f"{vct} from ledger {self.pin.name} is not a type this desk accepts from it",
                ledger=self.pin.name,
            )
        if single_use:
            raise ISSUER_NOT_FEDERATED(
                f"{vct} is a single-use entitlement of ledger {self.pin.name}: redeemed there "
                "only, never at a desk of another ledger",
                ledger=self.pin.name,
            )


Transports = Mapping[str, httpx.BaseTransport]


class Federation:
    """The local ``Trust`` and one per pinned ledger; ``route`` finds the one for a DID."""

    def __init__(
        self,
        local: Trust,
        foreign: Sequence[tuple[PinnedLedger, Trust]] = (),
        *,
        clock: Clock = system_clock,
        limit: int = MAX_ANSWERS,
    ) -> None:
        check_pins(local, [pin for pin, _ in foreign])
        self.local = local
        self.foreign = tuple(foreign)
        self.clock = clock
        self.limit = limit
        self._lock = threading.Lock()
        self._routes: dict[str, str] = {}  # DID -> the ledger proven to hold it

    @classmethod
    def open(
        cls,
        local: Trust,
        pins: Sequence[PinnedLedger],
        *,
        clock: Clock = system_clock,
        trust_dir: Path | None = None,
        transports: Transports | None = None,
        client: Callable[..., LedgerClient] = LedgerClient,
    ) -> Federation:
        """A ``Trust`` per pin, its client holding the pinned key and policy (and remembering
        its last checkpoint in ``trust_dir`` where ``Pins.trust_file`` says, rollback refused
        as locally, and a trust file lost refused as locally: ``trust_file_lost``)."""
        check_pins(local, pins)  # before any client is made
        foreign = []
        for pin in pins:
            transport = (transports or {}).get(pin.name)
            ledger = client(
                pin.urls,
                pin.vkey,
                trust_file=None if trust_dir is None else Pins(trust_dir).trust_file(pin.name),
                transport=transport,
                policy=pin.policy,
                clock=clock,
                remember=True,  # a lost trust file refused until forgotten (federate)
            )
            foreign.append((pin, Trust(ledger, clock=clock)))
        return cls(local, foreign, clock=clock)

    @property
    def pins(self) -> tuple[PinnedLedger, ...]:
        return tuple(pin for pin, _ in self.foreign)

    # -- routing --------------------------------------------------------------------------------

    def route(self, did: str, *, now: int | None = None, max_age: int = NO_REUSE) -> Route:
        """The ledger that holds ``did``: the local one if it has it (or when nothing is
        pinned), else the pin that names it as an issuer, else the first pinned ledger that
        proves it has it. A pinned ledger whose
        answer cannot be proven against its policy refuses (its own code) unless another
        proves the DID; found nowhere, the local route (whose questions then say why)."""
        if not self.foreign:
            return Route(self.local)
        now = self.clock() if now is None else now
        name = self._routes.get(did)
        if name is None:
            named = next(
                (pin.name for pin, _ in self.foreign if pin.issuers and did in pin.issuers), None
            )
            name = self._find(did, now, max_age, named=named)
        return self._route_to(name)

    def _route_to(self, name: str) -> Route:
        """The route to the ledger ``name``; a foreign one only once its genesis (proven, naming
        the pinned key) names the pinned governance (its client remembers the genesis)."""
        if name == LOCAL:
            return Route(self.local)
        for pin, trust in self.foreign:
            if pin.name == name:
                check_governance(pin, trust.client)
                return Route(trust, pin)
        raise FEDERATION_INVALID(f"no foreign ledger named {name!r}")  # never: names are pins

    def _find(self, did: str, now: int, max_age: int, *, named: str | None = None) -> str:
        """Where ``did`` is, remembered once proven: a ledger never drops a DID (deactivation
        is a version), and every later answer is proven on that ledger all the same. Found
        nowhere is not remembered: the DID may be registered tomorrow. The local ledger is
        asked first, even for an issuer a pin ``named``: a pin naming a local agency's DID
        must not let a foreign ledger answer for it."""
        found: str | None = None
        if self._holds(self.local, did, now, max_age):
            found = LOCAL
        elif named is not None:
            found = named  # the pin's own questions prove the DID there, or refuse
        failure: Error | None = None
        for pin, trust in self.foreign if found is None else ():
            try:
                if self._holds(trust, did, now, max_age):
                    found = pin.name
                    break
            except Error as exc:
                failure = failure or exc
        if found is None:
            if failure is not None:
                raise failure
            return LOCAL
        with self._lock:
            if len(self._routes) >= self.limit:
                self._routes.clear()
            self._routes[did] = found
        return found

    @staticmethod
    def _holds(trust: Trust, did: str, now: int, max_age: int) -> bool:
        """Whether ``trust``'s ledger proves it holds ``did`` (its whole history, verified);
        False only on a proven absence."""
        try:
            trust.history(did, now=now, max_age=max_age)
        except Error as exc:
            if DID_NOT_FOUND.matches(exc):
                return False
            raise
        return True

    def route_issuer(self, iss: str, *, now: int | None = None, max_age: int = NO_REUSE) -> Route:
        """A credential issuer's route, for a desk: on a foreign ledger, only an issuer its
        pin names (when it names any) is accepted; the types are checked by the route."""
        route = self.route(iss, now=now, max_age=max_age)
        pin = route.pin
        if pin is not None and pin.issuers is not None and iss not in pin.issuers:
            raise ISSUER_NOT_FEDERATED(
                f"{iss} is on ledger {pin.name}, but not among the issuers accepted from it",
                ledger=pin.name,
            )
        return route

    def close(self) -> None:
        """Close the foreign ledgers' clients (the local one is its owner's to close)."""
        for _, trust in self.foreign:
            trust.close()


def check_pins(local: Trust, pins: Sequence[PinnedLedger]) -> None:
    """No name or key pinned twice, and the local ledger never pinned as a foreign one."""
    check_unique(pins)
    for pin in pins:
        if pin.vkey == local.client.vkey:
            raise FEDERATION_INVALID(f"ledger {pin.name} is pinned under the local ledger's key")


def check_governance(pin: PinnedLedger, client: LedgerClient) -> None:
    """The ledger's genesis (proven, naming the pinned checkpoint key) names the pinned
    governance DID: the body whose accreditations a desk accepts from that ledger."""
    found = client.governance()
    if found != pin.governance:
        raise LEDGER_GOVERNANCE_MISMATCH(
            f"ledger {pin.name}'s genesis names governance {found}, not {pin.governance}",
            ledger=pin.name,
        )


__all__ = [
    "ISSUER_NOT_FEDERATED",
    "LEDGER_GOVERNANCE_MISMATCH",
    "LOCAL",
    "Federation",
    "Route",
    "check_governance",
]
