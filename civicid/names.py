"""Display names of public bodies, as the ledger holds them: people see names, not DIDs.

An agency or a service desk names itself, in the languages it serves, in its *first* DID
document, the one governance endorsed when it admitted it (the DID is the hash of it), as
one service::

    {"id": "<did>#names", "type": "DisplayNames",
     "serviceEndpoint": {"en": "City of Cadur", "fr": "Ville de Cadur"}}

DID Core 1.0 §5.4 allows a map as a service endpoint (its table of service properties:
"a string that conforms to the rules of [RFC3986] for URIs, a map, or a set"; the URI rule
is for string endpoints), and pydid accepts it. A name is as trustworthy as that
endorsement: a phishing site cannot give itself a real agency's name, and a later update
cannot rename the body, since readers take the first version only (``names_of``). The
ledger refuses a malformed entry; readers check it again (``display_names``). A name is
still text from outside: show it through ``civicid.console.inert``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

from civicid.console import ACTIVE_CATEGORIES, JOINERS
from civicid.errors import InvalidInput, declare

if TYPE_CHECKING:
    from civicid.authority import Chain
    from civicid.ledger_client import LedgerClient

NAMES_INVALID = declare("names_invalid", InvalidInput, "the display names entry is malformed")
NAME_LANGUAGE_INVALID = declare(
    "name_language_invalid", InvalidInput, "a display name's language is not a BCP 47 tag"
)
NAME_TOO_LONG = declare("name_too_long", InvalidInput, "a display name is over its length limit")
NAME_CONTROL_CHARACTER = declare(
    "name_control_character",
    InvalidInput,
    "a display name holds a control, format or separator character",
)
NAMES_TOO_MANY = declare(
    "names_too_many", InvalidInput, "display names in more languages than allowed"
)

SERVICE_TYPE: Final = "DisplayNames"
FRAGMENT: Final = "names"
# An official name fits ("Ministry of Housing, Communities and Local Government" is 52): a
# longer one would not fit one line of "<name> asks for …" at 80 columns beside the claims.
MAX_NAME_CHARS: Final = 100
# The EU's 24 official languages, the most any public body we know of serves.
MAX_LANGUAGES: Final = 24
# RFC 5646 §4.4.1: implementations should be able to hold language tags of 35 characters;
# a tag of a name needs no more.
MAX_TAG_CHARS: Final = 35
# RFC 5646 §2.1's langtag (language, extlang, script, region, variants, extensions, private
# use) or a private-use tag alone; the grandfathered irregular tags are not accepted.
_LANGTAG: Final = re.compile(
    r"(?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4}|[a-z]{5,8})"  # language [extlang]
    r"(?:-[a-z]{4})?"  # script
    r"(?:-(?:[a-z]{2}|[0-9]{3}))?"  # region
    r"(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*"  # variants
    r"(?:-[0-9a-wyz](?:-[a-z0-9]{2,8})+)*"  # extensions
    r"(?:-x(?:-[a-z0-9]{1,8})+)?"  # private use
    r"|x(?:-[a-z0-9]{1,8})+",
    re.IGNORECASE | re.ASCII,
)


def check_language(tag: Any) -> str:
    """``tag`` if it has the shape of a BCP 47 language tag (RFC 5646 §2.1)."""
    if not isinstance(tag, str) or not 0 < len(tag) <= MAX_TAG_CHARS:
        raise NAME_LANGUAGE_INVALID(f"a language tag of 1 to {MAX_TAG_CHARS} characters")
    if not _LANGTAG.fullmatch(tag):
        raise NAME_LANGUAGE_INVALID(f"{tag!r} is not a BCP 47 language tag (e.g. en, fr-CA)")
    return tag


def check_name(name: Any) -> str:
    """``name`` if it can be shown as it is: one line, no character that acts on a
    terminal, at most ``MAX_NAME_CHARS``, no blank padding."""
    if not isinstance(name, str) or not name.strip():
        raise NAMES_INVALID("a display name is a non-empty string")
    if len(name) > MAX_NAME_CHARS:
        raise NAME_TOO_LONG(f"{len(name)} characters; at most {MAX_NAME_CHARS}")
    active = [c for c in name if unicodedata.category(c) in ACTIVE_CATEGORIES and c not in JOINERS]
    if active:
        raise NAME_CONTROL_CHARACTER(f"U+{ord(active[0]):04X} in a display name")
    if name != name.strip():
        raise NAMES_INVALID("a display name does not start or end with spaces")
    return name


def check_names(names: Any) -> dict[str, str]:
    """``names`` (language tag -> name) if every tag and name is valid, one name per
    language (tags compare without case, RFC 5646 §2.1.1), in at most ``MAX_LANGUAGES``."""
    if not isinstance(names, dict) or not names:
        raise NAMES_INVALID("display names are a map of language tag to name")
    if len(names) > MAX_LANGUAGES:
        raise NAMES_TOO_MANY(f"{len(names)} languages; at most {MAX_LANGUAGES}")
    seen: set[str] = set()
    for tag, name in names.items():
        check_language(tag)
        if tag.lower() in seen:
            raise NAMES_INVALID(f"two names for the language {tag}")
        seen.add(tag.lower())
        check_name(name)
    return dict(names)


def names_service(names: Mapping[str, str]) -> dict[str, Any]:
    """The DID document service holding ``names``: put it in the document the body
    registers with (``civicid ledger register NAME --name en="City of Cadur"``)."""
    return {"id": f"#{FRAGMENT}", "type": SERVICE_TYPE, "serviceEndpoint": check_names(dict(names))}


def parse_name(text: str) -> tuple[str, str]:
    """``LANG=NAME`` (a ``--name`` option) as (tag, name)."""
    tag, sep, name = text.partition("=")
    if not sep:
        raise NAMES_INVALID(f"write a name as LANG=NAME (e.g. en=City of Cadur), not {text!r}")
    return check_language(tag.strip()), check_name(name)


def parse_names(texts: Iterable[str]) -> dict[str, str]:
    """Every ``LANG=NAME`` given, as one valid map (``check_names``)."""
    names: dict[str, str] = {}
    for text in texts:
        tag, name = parse_name(text)
        if tag.lower() in {t.lower() for t in names}:
            raise NAMES_INVALID(f"two names for the language {tag}")
        names[tag] = name
    return check_names(names) if names else {}


def display_names(document: Mapping[str, Any]) -> dict[str, str]:
    """The display names a DID document holds (empty if none), checked as the ledger
    checks them: a malformed entry, or two, is an error, never half-read."""
    found = [
        service
        for service in document.get("service") or []
        if isinstance(service, dict) and service.get("type") == SERVICE_TYPE
    ]
    if not found:
        return {}
    if len(found) > 1:
        raise NAMES_INVALID("a DID document holds one display names entry")
    return check_names(found[0].get("serviceEndpoint"))


def display_name(names: Mapping[str, str], languages: Iterable[str], *, fallback: str) -> str:
    """The name to show a person who reads ``languages`` (most preferred first): the first
    language with a name, each tried as it is and then shortened from the end (RFC 4647
    §3.4 lookup: fr-CA, then fr); else the body's first name in any language; ``fallback``
    (its DID) when it registered none."""
    by_tag = {tag.lower(): name for tag, name in names.items()}
    for language in languages:
        parts = language.lower().replace("_", "-").split("-")
        while parts:
            name = by_tag.get("-".join(parts))
            if name is not None:
                return name
            parts.pop()
            if parts and len(parts[-1]) == 1:  # RFC 4647 §3.4: drop a singleton with it
                parts.pop()
    return next(iter(names.values()), fallback)


def endorsed_names(history: Chain) -> dict[str, str]:
    """The display names in the first version of a DID's verified history: the document
    governance endorsed (a later version's names are not read)."""
    first = history.versions[0].document
    return display_names(first.data) if first is not None else {}


def names_of(client: LedgerClient, did: str) -> dict[str, str]:
    """The display names ``did`` registered, from its history as the client verified it
    from its creation."""
    return endorsed_names(client.chain(did))


# Languages an Accept-Language header may list: a browser sends a handful.
MAX_ACCEPTED_LANGUAGES: Final = 16


def accept_language(header: str) -> tuple[str, ...]:
    """The languages an HTTP ``Accept-Language`` header prefers, best first (RFC 9110
    §12.5.4: ``fr-CA, fr;q=0.8, en;q=0.5``); a range of q=0, a wildcard or a malformed
    entry is left out."""
    ranked: list[tuple[float, int, str]] = []
    for place, item in enumerate(header.split(",")[:MAX_ACCEPTED_LANGUAGES]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and tag != "*" and 0 < quality <= 1 and _LANGTAG.fullmatch(tag):
            ranked.append((-quality, place, tag))
    return tuple(tag for _, _, tag in sorted(ranked))


def languages_from_environment(environ: Mapping[str, str]) -> tuple[str, ...]:
    """The languages a person reads, from the POSIX locale variables: ``LANGUAGE``'s list
    (``fr:en``) else the first of ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` set, each as a
    language tag (``fr_CA.UTF-8`` as ``fr-CA``); none for the C or POSIX locale."""
    found: list[str] = []
    listed = environ.get("LANGUAGE", "")
    locale = next((environ[v] for v in ("LC_ALL", "LC_MESSAGES", "LANG") if environ.get(v)), "")
    for entry in [*listed.split(":"), locale]:
        tag = entry.split(".")[0].split("@")[0].replace("_", "-")
        if tag and tag not in ("C", "POSIX") and _LANGTAG.fullmatch(tag) and tag not in found:
            found.append(tag)
    return tuple(found)
