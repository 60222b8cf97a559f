"""The names a service answers to, and the name a request gives in its Host header: a service
that checks Host (``dispatch.ServiceApp``) answers only requests naming it. A web page whose
own name was pointed at the service's address (DNS rebinding) reaches it by that name, and is
refused before any route. No web framework here: the settings read these rules too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final
from urllib.parse import urlsplit

# The names a service answers to on its own machine, whatever its settings name: how
# `civicid up` and `civicid demo` reach it, and what a reverse proxy forwarding to its
# loopback address without passing the client's Host on sends.
LOOPBACK_NAMES: Final = frozenset({"localhost", "127.0.0.1", "[::1]"})
# Addresses a service may be bound to that name no host: never a Host to answer.
WILDCARD_ADDRESSES: Final = frozenset({"", "0.0.0.0", "[::]"})  # noqa: S104 (refused, not bound)
MAX_PORT_DIGITS: Final = 5
# What ``allowed_hosts`` may name: a DNS name or IPv4 address, or an IPv6 address in brackets
# (as a Host header carries it, RFC 9110 §7.2), compared without the port.
HOST_NAME: Final = re.compile(r"[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?|\[[0-9a-f:.]{2,45}\]")
# A reverse proxy or two, each with a few names: far past any real list, and each name is
# compared as a set member (the count costs nothing per request).
MAX_ALLOWED_HOSTS: Final = 64


def as_host(name: str) -> str:
    """``name`` as a Host header gives it: lower case, without a final dot, an IPv6 address
    in brackets."""
    name = name.lower().removesuffix(".")
    return f"[{name}]" if ":" in name and not name.startswith("[") else name


def allowed_names(given: Iterable[str]) -> list[str]:
    """The names of an ``allowed_hosts`` setting as compared (lower case, no final dot); a
    ValueError names the first that is not a host name (a scheme, a port, a path, a
    wildcard)."""
    names = []
    for value in given:
        name = value.lower().removesuffix(".")
        if not HOST_NAME.fullmatch(name):
            raise ValueError(
                f"{value!r} is not a host name (a name or an address, without scheme, "
                "port or path; an IPv6 address in brackets)"
            )
        names.append(name)
    return names


def served_names(public_url: str, bound: str, allowed: Iterable[str]) -> frozenset[str]:
    """The names a service answers to: its public URL's host, the address it is ``bound``
    to, the loopback names and the ``allowed`` names (a reverse proxy's)."""
    names = {as_host(urlsplit(public_url).hostname or ""), as_host(bound), *LOOPBACK_NAMES}
    names |= set(allowed)
    return frozenset(names - WILDCARD_ADDRESSES)


def host_named(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The name in the request's one Host header (RFC 9110 §7.2: ``name[:port]``, an IPv6
    address in brackets), as ``as_host`` gives it; None without one, with two, or with
    something else there. The port is not compared: a page under another name is what the
    check turns away, and a proxy or a test server may put the service behind another
    port."""
    given = [value for key, value in headers if key == b"host"]
    if len(given) != 1:
        return None
    value = given[0].decode("latin-1")
    if value.startswith("["):
        end = value.find("]") + 1
        if not end:
            return None
        name, rest = value[:end], value[end:]
    else:
        name, colon, port = value.partition(":")
        rest = colon + port
    if rest and not (rest[0] == ":" and rest[1:].isdigit() and len(rest) <= MAX_PORT_DIGITS + 1):
        return None
    return as_host(name) if name else None
