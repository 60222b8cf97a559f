"""Dependencies the routes share, as ``Annotated`` aliases tests can override."""
# The dependencies are ``async`` on purpose: FastAPI runs a plain ``def`` dependency in its
# thread pool, which costs more than the look-up it does.

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.types import Scope

from ledger.log import Ledger


async def get_ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


LedgerDep = Annotated[Ledger, Depends(get_ledger)]


def served(scope: Scope, name: str) -> Any:
    """``scope["app"].state.<name>`` for the routes the app answers past the framework, read
    from the state's own dict: ``State.__getattr__`` is reached only after the ordinary
    attribute look-up failed and raised, 0.66 against 0.14 µs per request here. A missing
    name raises ``KeyError`` rather than ``AttributeError``: either is a bug the framework's
    route then answers again."""
    return scope["app"].state._state[name]
