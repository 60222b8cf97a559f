"""The codes the shell answers with when a request is refused before a route sees it."""

from __future__ import annotations

from civicid.errors import EXIT_UNAVAILABLE, Error, InvalidInput, TooLarge, Unavailable, declare


class HeadTooLarge(TooLarge):
    """RFC 6585 §5: the request line and headers are over the server's limit."""

    http_status = 431


class Overloaded(Error):
    """Every connection the server may hold is in use; worth retrying shortly."""

    http_status = 503
    exit_code = EXIT_UNAVAILABLE


# A service that checks Host answers only requests naming it (``hosts.py``): a web page whose
# own name was pointed at its address (DNS rebinding) reaches it by that name, and is not
# answered.
HOST_NOT_ALLOWED = declare(
    "host_not_allowed", InvalidInput, "the request's Host is not a name this service answers to"
)
REQUEST_BODY_INCOMPLETE = declare(
    "request_body_incomplete", InvalidInput, "the request body ended before it was complete"
)
REQUEST_BODY_TIMEOUT = declare(
    "request_body_timeout", InvalidInput, "the request body did not arrive in time"
)
REQUEST_BODY_TOO_LARGE = declare(
    "request_body_too_large", TooLarge, "the request body is over the server's limit"
)
REQUEST_HEAD_TOO_LARGE = declare(
    "request_head_too_large", HeadTooLarge, "the request line and headers are too large"
)
SERVER_BUSY = declare(
    "server_busy", Overloaded, "the server holds all the connections it may; try again shortly"
)
SERVICE_PORT_IN_USE = declare(
    "service_port_in_use", Unavailable, "the port is taken by another program"
)
