"""Dependencies the routes share, as ``Annotated`` aliases tests can override."""
# The dependencies are ``async`` on purpose: FastAPI runs a plain ``def`` dependency in its
# thread pool, which costs more than the look-up it does.

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ledger.log import Ledger


async def get_ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


LedgerDep = Annotated[Ledger, Depends(get_ledger)]
