"""A credential as a card: the type's display name, the issuer, a status badge, copies."""

from __future__ import annotations

from collections.abc import Mapping, Set

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, ListItem

from wallet.holder.credentials import Credential

BADGES = {
    "valid": "✔ valid",
    "suspended": "⏸ suspended",
    "revoked": "✘ revoked",
    "expired": "⌛ expired",
    "unknown": "? unchecked",
}


class StatusBadge(Label):
    """The status as a word and a symbol (never colour alone), styled per status."""

    def __init__(self, status: str) -> None:
        super().__init__(BADGES.get(status, status), classes=f"badge badge-{status}")


class CredentialCard(ListItem):
    """One card in the list; ``credential`` goes down, selection comes up as ListView's."""

    def __init__(self, credential: Credential, now: int, shown: Mapping[str, Set[str]]) -> None:
        super().__init__(classes="card")
        self.credential = credential
        self.now = now
        self.unused = sum(1 for c in credential.copies if not shown.get(c.id))

    def compose(self) -> ComposeResult:
        credential = self.credential
        with Vertical():
            with Horizontal(classes="card-top"):
                yield Label(credential.title, classes="card-title")
                yield StatusBadge(credential.status(self.now))
            yield Label(
                f"{credential.issuer_name or 'Issuer'} · {credential.issuer[:30]}…",
                classes="card-issuer",
            )
            yield Label(
                f"{self.unused} of {len(credential.copies)} copies unused · id {credential.id}",
                classes="card-meta",
            )
