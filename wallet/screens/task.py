"""A screen that does one task and shows its answer (a desk's decision, the credentials
received). Once the wallet locked over an answer already shown, unlocking shows that task's
screen fresh, not the old answer as if it were new (it stays in the history)."""

from __future__ import annotations

from typing import Protocol, TypeGuard, runtime_checkable

from textual.screen import Screen


@runtime_checkable
class Answering(Protocol):
    # When its answer was shown (``time.monotonic``), or None while it has none.
    answered_at: float | None

    def fresh(self) -> Screen[None]:
        """The same task's screen, as it opens."""
        ...


def stale(screen: object, locked_at: float) -> TypeGuard[Answering]:
    """Whether ``screen`` shows an answer it showed before the wallet locked at
    ``locked_at``: one that came while it was locked has not been seen, and is kept."""
    return (
        isinstance(screen, Answering)
        and screen.answered_at is not None
        and screen.answered_at <= locked_at
    )
