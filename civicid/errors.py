"""The one error tree: every refusal carries a stable code and a human message.

Codes are part of the public interface (HTTP bodies, CLI output, tests); never rename one.
"""

from __future__ import annotations

from typing import Any, ClassVar


class Error(Exception):
    """Root of every CivicID error. ``code`` is stable; ``message`` is for people."""

    http_status: ClassVar[int] = 400

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


class InternalError(Error):
    """A bug on our side; the request may be retried, the data is intact."""

    http_status = 500


class Unavailable(Error):
    """A remote service could not be reached or answered outside the protocol."""

    http_status = 502
