"""The one error tree and the catalogue of its codes.

Every refusal carries a stable ``code`` and a human message. Each code is declared once,
with ``declare``, in the module of the area that raises it (``civicid/*`` for the kernel,
``<part>/errors.py`` for a part): its class fixes the HTTP status and the exit code. Raise
a declared code by calling it::

    SDJWT_TYP_INVALID = declare("sdjwt_typ_invalid", VerificationError, "wrong typ header")
    raise SDJWT_TYP_INVALID("typ must be dc+sd-jwt")

Codes are part of the public interface (HTTP bodies, CLI output, tests); never rename one.
Spelling: ``snake_case``, area first (``status_revoked``, ``kb_nonce_mismatch``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar, Final

# Exit codes of the ``civicid`` command (docs/operations.md: "Exit codes").
EXIT_OK: Final = 0
EXIT_REFUSED: Final = 1  # invalid input, failed verification, refused by a rule
EXIT_USAGE: Final = 2  # the command line itself is wrong (typer/click)
EXIT_UNAVAILABLE: Final = 3  # storage, a remote service, or a bug: worth retrying

CODE_PATTERN: Final = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")


class Error(Exception):
    """Root of every CivicID error. ``code`` is stable; ``message`` is for people."""

    http_status: ClassVar[int] = 400
    exit_code: ClassVar[int] = EXIT_REFUSED

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(f"{message} ({code})")
        self.code = code
        self.message = message
        self.details = details

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "error_description": self.message}
        if self.details:
            body["details"] = self.details
        return body


class InvalidInput(Error):
    """The input is malformed: bad encoding, missing fields, wrong types, too large."""


class VerificationError(Error):
    """A signature, proof, hash or token failed to verify."""


class Refused(Error):
    """Well-formed and authentic, but a rule forbids it (authorization, replay, state)."""

    http_status = 403


class NotFound(Error):
    http_status = 404


class Conflict(Error):
    """The request names a state that is no longer current (stale head, fork, replay)."""

    http_status = 409


class TooLarge(Error):
    http_status = 413


class Gone(Error):
    """The thing existed and has been deactivated."""

    http_status = 410


class StorageError(Error):
    """The store is unreadable, locked by another process, or failed to persist."""

    http_status = 503
    exit_code = EXIT_UNAVAILABLE


class InternalError(Error):
    """A bug on our side; the request may be retried, the data is intact."""

    http_status = 500
    exit_code = EXIT_UNAVAILABLE


class Unavailable(Error):
    """A remote service could not be reached or answered outside the protocol."""

    http_status = 502
    exit_code = EXIT_UNAVAILABLE


class NotAllowed(InvalidInput):
    """The route exists, but not for this HTTP method."""

    http_status = 405


class Unauthorized(Error):
    """No credentials, or credentials that do not authenticate (API keys, tokens)."""

    http_status = 401


@dataclass(frozen=True, slots=True)
class Code:
    """A declared error code: call it with a message (and details) to get the error."""

    name: str
    kind: type[Error]
    summary: str

    def __call__(self, message: str | None = None, **details: Any) -> Error:
        return self.kind(self.name, message or self.summary, **details)

    def matches(self, error: BaseException) -> bool:
        """Whether ``error`` was raised with this code: codes are compared as codes, never
        as strings a typo could miss."""
        return isinstance(error, Error) and error.code == self.name

    @property
    def http_status(self) -> int:
        return self.kind.http_status

    @property
    def exit_code(self) -> int:
        return self.kind.exit_code

    def __str__(self) -> str:
        return self.name


CATALOGUE: dict[str, Code] = {}


def declare(name: str, kind: type[Error], summary: str) -> Code:
    """Declare ``name`` once, with its class (hence HTTP status and exit code)."""
    if not CODE_PATTERN.match(name):
        raise ValueError(f"error code {name!r} is not snake_case with an area prefix")
    known = CATALOGUE.get(name)
    if known is not None and (known.kind, known.summary) != (kind, summary):
        raise ValueError(f"error code {name!r} declared twice")
    code = Code(name, kind, summary)
    CATALOGUE[name] = code
    return code


INTERNAL_ERROR = declare("internal_error", InternalError, "an unexpected error; data is intact")
# What every service answers when the framework itself refuses a request.
REQUEST_INVALID = declare("request_invalid", InvalidInput, "the request is malformed")
ROUTE_NOT_FOUND = declare("route_not_found", NotFound, "no such route")
METHOD_NOT_ALLOWED = declare(
    "method_not_allowed", NotAllowed, "the route does not take this method"
)
