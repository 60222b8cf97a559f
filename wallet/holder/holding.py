"""What the flows (issuance, presentation, status) need of an open wallet: its clock, its
reader's languages, its view of the ledger, HTTP for issuers and desks, and its records.

``Wallet`` is one; the flows name this protocol instead of the class, so the wallet can call
them without the two importing each other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from civicid.http import HttpClient
    from civicid.ledger_client import LedgerClient
    from civicid.oid4vci import CredentialOffer
    from civicid.times import Clock
    from civicid.trust import Trust
    from wallet.holder.credentials import Credential
    from wallet.holder.history import Presentation


class Holding(Protocol):
    clock: Clock
    languages: tuple[str, ...]

    @property
    def ledger(self) -> LedgerClient: ...

    @property
    def trust(self) -> Trust: ...

    def trust_for(self, did: str) -> Trust: ...

    def http(self) -> HttpClient: ...

    def credentials(self) -> list[Credential]: ...

    def add(self, credential: Credential) -> None: ...

    def put_many(self, credentials: list[Credential]) -> None: ...

    def record(self, presentation: Presentation) -> None: ...

    def shown(self) -> dict[str, set[str]]: ...

    def kept_offer(self, offer_uri: str) -> CredentialOffer | None: ...

    def keep_offer(self, offer_uri: str, offer: CredentialOffer) -> None: ...

    def forget_offer(self, offer_uri: str) -> None: ...
