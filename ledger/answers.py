"""A DID's plain resolution result (no proofs) as bytes, the same whoever renders it: the
resolver answering a request, or the answers file written beside a snapshot
(``ledger/answers_file.py``), whose answers are served byte for byte in their place.
"""

from __future__ import annotations

import binascii
import json
import time
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, Final

from ledger.state import DidRecord, DidVersion, logged_document_json

DOCUMENT_TYPE: Final = "application/did"
# The result's resolution metadata when it has a document (``json.dumps`` of it).
DOCUMENT_METADATA: Final = b'{"contentType": "%s"}' % DOCUMENT_TYPE.encode()
# What follows the resolution metadata in a result (``json.dumps``' separators).
DOCUMENT_METADATA_KEY: Final = b', "didDocumentMetadata": '
# ``iso``'s format (RFC 3339, UTC, whole seconds).
ISO_FORMAT: Final = "%Y-%m-%dT%H:%M:%SZ"
# Roles whose JSON is kept: a ledger knows a handful (governance, agency, desk...).
MAX_ROLES: Final = 64
# Bytes json.dumps writes as they are between quotes: an entry is a compact JWS (base64url
# and dots), so it is put in the answer as it is read; anything else is json.dumps'.
JSON_SAFE: Final = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.=+/-"
# Standard base64 with padding (``civicid.encoding.b64_encode``) as bytes: a proof's hashes
# are most of what a first answer with proofs encodes. Called by name with ``newline=False``
# (``b64s``), not through a ``partial``, whose keyword is merged into a new dict on every
# call: 15 hashes took 5.2-7.7 µs so, 2.6-5.0 µs called directly (alternating, load 10).
b64: Final = binascii.b2a_base64

# A version's document as logged, read from its entry when that entry does not hold it as
# this ledger logs one (``State.document_data``).
DocumentOf = Callable[[DidVersion], "dict[str, Any] | None"]


def b64s(hashes: Sequence[bytes]) -> bytes:
    """Each of ``hashes`` in standard base64, quoted, ", " between them (json.dumps of the
    list of their ``b64_encode`` without its brackets). Each encoded by ``map`` with its
    final newline, the newlines then taken out at once (base64 has none of its own): called
    from a comprehension with its keyword instead, a proof's hashes took a fifth longer."""
    if not hashes:
        return b""
    return b'"' + b'", "'.join(map(b64, hashes)).replace(b"\n", b"") + b'"'


def transaction_json(seq: int, entry: bytes) -> tuple[bytes, ...]:
    """The parts of ``"seq": .., "transaction": .., "inclusion": [`` of entry ``seq``, as
    json.dumps writes them in a version's object of an answer with proofs: the entry itself
    one part, copied once into the body."""
    if entry.translate(None, JSON_SAFE):  # something left once those are taken out
        return (
            b'"seq": %d, "transaction": ' % seq,
            json.dumps(entry.decode("ascii")).encode(),
            b', "inclusion": [',
        )
    return (b'"seq": %d, "transaction": "' % seq, entry, b'", "inclusion": [')


def iso(ts: int) -> str:
    """``versionTime`` and friends: an XML Schema dateTime in UTC (RFC 3339 profile), as
    ``civicid.times.rfc3339`` writes it (a test holds them equal), without a datetime made
    and formatted per call, in one C call: a ledger's times are NumericDates from 1970 to
    9999, whose years ``%Y`` writes in four digits."""
    return time.strftime(ISO_FORMAT, time.gmtime(ts))


def document_json(version: DidVersion, entry: bytes, document_of: DocumentOf) -> bytes | None:
    """``json.dumps`` of ``version``'s document as logged in ``entry``, its entry."""
    document = logged_document_json(entry)
    if document is None:  # not the entry it was logged as: read as ``document_of`` does
        data = document_of(version)
        document = None if data is None else json.dumps(data).encode()
    return document


def plain_json(
    record: DidRecord, selected: DidVersion, visible: list[DidVersion], document: bytes | None
) -> bytes:
    """The result without proofs of ``selected`` among ``visible`` (every version the
    checkpoint served holds), ``document`` its document's JSON (None when deactivated), as
    ``json.dumps`` writes the result's dict (tests hold them equal)."""
    return b"".join(
        (
            b'{"didDocument": ',
            b"null" if document is None else document,
            b', "didResolutionMetadata": ',
            DOCUMENT_METADATA if described(document) else b"{}",
            DOCUMENT_METADATA_KEY,
            metadata_json(record, selected, visible),
            b"}",
        )
    )


def metadata_json(record: DidRecord, selected: DidVersion, visible: list[DidVersion]) -> bytes:
    """The result's ``didDocumentMetadata`` of ``selected`` among ``visible`` (every version
    the checkpoint served holds), as ``json.dumps`` writes it (a test holds them equal): made
    from a template, not a dict encoded, on every first answer."""
    first = visible[0]
    version_time = iso(selected.time).encode()
    leaf_hash = selected.leaf_hash.hex().encode()
    parts = [
        b'{"created": "%s", "versionId": "%d-%s", "versionTime": "%s", '
        b'"ledger": {"seq": %d, "leafHash": "%s", "role": %s}'
        % (
            version_time if first is selected else iso(first.time).encode(),
            selected.number,
            leaf_hash,
            version_time,
            selected.seq,
            leaf_hash,
            role_json(record.role),
        )
    ]
    if selected.number > 1:
        parts.append(b', "updated": "%s"' % version_time)
    if selected.number < len(visible):
        following = visible[selected.number]
        parts.append(
            b', "nextVersionId": "%s", "nextUpdate": "%s"'
            % (following.version_id.encode(), iso(following.time).encode())
        )
    if selected.deactivated:
        parts.append(b', "deactivated": true')
    parts.append(b"}")
    return b"".join(parts)


def described(document: bytes | None) -> bool:
    """Whether the resolution metadata names the document's content type: when there is
    one (a validated document is never empty; ``{}`` is held to what it was before)."""
    return document is not None and document != b"{}"


@lru_cache(maxsize=MAX_ROLES)
def role_json(role: str) -> bytes:
    return json.dumps(role).encode()
