"""What the desk's routes share: the open desk and its page templates, as ``Annotated``
dependencies tests can override, and the headers every answer carries."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates

from verifier.service import Verifier

# Requests, decisions and QR codes are one person's business: no cache keeps them.
NO_STORE: Final = {"cache-control": "no-store"}


def verifier_of(request: Request) -> Verifier:
    """The open desk, for a route function called without the framework (``verifier.app``)."""
    verifier: Verifier = request.app.state.verifier
    return verifier


async def get_verifier(request: Request) -> Verifier:
    return verifier_of(request)


async def get_templates(request: Request) -> Jinja2Templates:
    templates: Jinja2Templates = request.app.state.templates
    return templates


VerifierDep = Annotated[Verifier, Depends(get_verifier)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]
