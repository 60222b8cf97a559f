"""A credential as a card: the type's display name, the issuer, a status badge, copies.

Cards are options of one ``OptionList`` (rendered line by line as they scroll into view), so
a wallet of a thousand credentials opens as fast as one of three.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from typing import Final

from textual.content import Content
from textual.widgets import Label
from textual.widgets.option_list import Option

from civicid.console import inert
from wallet.holder import credentials
from wallet.holder.credentials import Credential
from wallet.widgets.words import when

BADGES: Final = {
    "valid": "✔ valid",
    "suspended": "⏸ suspended",
    "revoked": "✘ revoked",
    "expired": "⌛ expired",
    "unknown": "? unchecked",
}
# Each badge has its word and symbol; the colour only repeats what they say.
BADGE_STYLES: Final = {
    "valid": "bold #000000 on #5fd75f",
    "suspended": "bold #000000 on #ffd75f",
    "revoked": "bold #ffffff on #c00000",
    "expired": "bold #ffffff on #800000",
    "unknown": "bold #ffffff on #585858",
}
CARD_WIDTH: Final = 72
# What a card's status means, and what to do: the holder's words for a card no desk accepts,
# and, in the app, how to check one not checked yet.
WHAT_NOW: Final = {
    **credentials.WHAT_NOW,
    "unknown": "Not checked on the ledger yet (or the ledger could not be reached): u on "
    "your cards checks it again.",
}


def copies_words(unused: int, copies: int) -> str:
    """How many copies no desk has seen yet: each presentation prefers one, so two desks
    cannot link what they saw; once all were shown, a desk may meet a copy again."""
    if unused == 0:
        return f"all {copies} copies shown before" if copies > 1 else "shown before"
    if copies == 1:
        return "not shown yet"
    return f"{unused} of {copies} copies not shown to any desk yet"


class StatusBadge(Label):
    """The status as a word and a symbol (never colour alone), styled per status."""

    def __init__(self, status: str) -> None:
        super().__init__(BADGES.get(status, status), classes=f"badge badge-{status}")


def card_text(credential: Credential, now: int, unused: int, dated: bool = False) -> Content:
    """Three lines: title and badge, issuer, copies and id (Textual's own Content: no
    conversion from Rich when a thousand of them are laid out). ``dated``: another card has
    the same title and issuer, so the title says when this one was issued (as the present
    screen tells them apart)."""
    status = credential.status(now)
    badge = f" {BADGES.get(status, status)} "
    issued = f", issued {when(credential.issued_at)}" if dated else ""
    title = (inert(credential.title) + issued)[: CARD_WIDTH - len(badge) - 2]
    issuer = f"{inert(credential.issuer_name or 'Issuer')} · {inert(credential.issuer)}"
    if len(issuer) >= CARD_WIDTH:
        issuer = issuer[: CARD_WIDTH - 1] + "…"
    ident = inert(credential.id)
    return Content.assemble(
        (title, "bold"),
        " " * max(1, CARD_WIDTH - len(title) - len(badge)),
        (badge, BADGE_STYLES.get(status, "bold")),
        ("\n" + issuer, "dim"),
        (f"\n{copies_words(unused, len(credential.copies))} · id {ident}", "dim"),
    )


class CredentialCard(Option):
    """One card in the list; ``credential`` goes down, selection comes up as OptionList's."""

    def __init__(
        self,
        credential: Credential,
        now: int,
        shown: Mapping[str, Set[str]],
        dated: bool = False,
    ) -> None:
        unused = sum(1 for c in credential.copies if not shown.get(c.id))
        super().__init__(card_text(credential, now, unused, dated), id=credential.id)
        self.credential = credential
