"""The public registry: questions about accreditations, credential types and status lists,
answered from the ledger's state as the first ``size`` entries of the log describe it.

Each answer names the log entries it rests on (``Answer.seqs``), so the HTTP layer can send
them with inclusion proofs and a client can recompute the answer from them; ``Answer.names``
are the state map names the answer shows the latest entries of (no revocation withheld).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from civicid import statemap
from civicid.accreditation import ISSUER, VERIFIER, Standing, judge
from civicid.proven import CREDENTIAL_TYPE_NOT_FOUND, STATUS_LIST_NOT_FOUND
from civicid.status_uri import STATUS_LIST_URI_NOT_NORMAL, normalize_uri
from civicid.transaction import Transaction
from ledger.governance import accreditations_of
from ledger.state import Accreditation, ListVersion, State, TypeVersion, visible


@dataclass(frozen=True, slots=True)
class Answer:
    body: dict[str, Any]
    seqs: tuple[int, ...]
    names: tuple[tuple[str, str], ...] = ()  # state map names it proves the latest of


def deactivated_at(state: State, subject: str, size: int) -> int | None:
    """When ``subject``'s DID was deactivated, as the first ``size`` entries tell (or None)."""
    record = state.dids.get(subject)  # type: ignore[call-overload]
    versions = record.visible(size) if record is not None else []
    return versions[-1].time if versions and versions[-1].deactivated else None


def accreditation_json(
    record: Accreditation, size: int, at: int, ended: int | None = None
) -> dict[str, Any]:
    """One accreditation as the list shows it, with its status at ``at`` (``ended``: when its
    subject's DID was deactivated)."""
    grant, revoked_at = record.grant, record.revoked_at(size)
    if ended is not None and ended <= at:
        status = "deactivated"
    elif revoked_at is not None and revoked_at <= at:
        status = "revoked"
    elif at >= grant.valid_until:
        status = "expired"
    elif at < grant.valid_from:
        status = "pending"
    else:
        status = "active"
    data = {**grant.to_body(), "seq": record.seq, "status": status}
    if revoked_at is not None:
        assert record.revocation is not None
        data["revoked"] = {
            "seq": record.revocation.seq,
            "time": revoked_at,
            "reason": record.revocation.reason,
        }
    return data


def _depends_on(records: list[Accreditation], size: int) -> tuple[int, ...]:
    seqs = [r.seq for r in records]
    seqs += [r.revocation.seq for r in records if r.revocation and r.revocation.seq < size]
    return tuple(seqs)


def _standing(
    state: State, subject: str, kind: str, at: int, size: int, vct: str, claims: tuple[str, ...]
) -> Answer:
    records = [
        r
        for r in accreditations_of(state, subject, size)
        if r.grant.kind == kind and vct in r.grant.credential_types
    ]
    grants = [(r.grant, r.revoked_at(size)) for r in records]
    ended = deactivated_at(state, subject, size)
    standing: Standing = judge(
        subject, kind, grants, at, vct=vct, claims=claims, deactivated_at=ended
    )
    body = {**standing.to_json(), "vct": vct}
    if kind == VERIFIER:
        body["claims"] = list(claims)
    names = tuple((statemap.ACCREDITATION, r.grant.id) for r in records)
    return Answer(body, _depends_on(records, size), names)


def issuer_accredited(state: State, subject: str, vct: str, at: int, size: int) -> Answer:
    """Is ``subject`` accredited to issue ``vct`` at ``at``?"""
    return _standing(state, subject, ISSUER, at, size, vct, ())


def verifier_allowed(
    state: State, subject: str, vct: str, claims: tuple[str, ...], at: int, size: int
) -> Answer:
    """May ``subject`` ask for ``claims`` of ``vct`` at ``at``?"""
    return _standing(state, subject, VERIFIER, at, size, vct, claims)


def list_accreditations(state: State, at: int, size: int, subject: str | None = None) -> Answer:
    """Every accreditation (or the subject's), oldest first, with its status at ``at``."""
    if subject is not None:
        records = accreditations_of(state, subject, size)
    else:
        records = [r for r in list(state.accreditations.values()) if r.seq < size]
        records.sort(key=lambda r: r.seq)
    body = {
        "at": at,
        "accreditations": [
            accreditation_json(r, size, at, deactivated_at(state, r.grant.subject, size))
            for r in records
        ],
    }
    return Answer(body, _depends_on(records, size))


def _latest_type(state: State, vct: str, size: int) -> TypeVersion:
    versions = visible(state.credential_types.get(vct, []), size)
    if not versions:
        raise CREDENTIAL_TYPE_NOT_FOUND(f"no credential type {vct} on the ledger")
    return versions[-1]


def credential_type(state: State, vct: str, size: int) -> Answer:
    """The latest registration of ``vct``, and the issuer's accreditations for it."""
    latest = _latest_type(state, vct, size)
    records = [
        r
        for r in accreditations_of(state, latest.issuer, size)
        if r.grant.kind == ISSUER and vct in r.grant.credential_types
    ]
    body = {
        "vct": vct,
        "issuer": latest.issuer,
        "version": latest.number,
        "seq": latest.seq,
        "metadata": latest.metadata.document,
        "schema": latest.schema,
    }
    return Answer(body, (latest.seq, *_depends_on(records, size)), ((statemap.TYPE, vct),))


def credential_types(state: State, size: int) -> Answer:
    """The latest version of every registered type."""
    latest = [visible(v, size) for v in list(state.credential_types.values())]
    versions = sorted((v[-1] for v in latest if v), key=lambda v: v.seq)
    body = {
        "types": [
            {
                "vct": v.metadata.vct,
                "issuer": v.issuer,
                "version": v.number,
                "seq": v.seq,
                "name": v.metadata.document.get("name"),
            }
            for v in versions
        ]
    }
    return Answer(body, tuple(v.seq for v in versions))


def list_version_json(version: ListVersion) -> dict[str, Any]:
    return {
        "version": version.number,
        "seq": version.seq,
        "leafHash": version.leaf_hash.hex(),
        "bits": version.bits,
        "size": version.entries,
        "iat": version.issued_at,
        "exp": version.expires,
        "ttl": version.ttl,
    }


def _list_versions(state: State, uri: str, size: int) -> list[ListVersion]:
    """The list's versions; ``uri`` in its normal form (``civicid.status_uri``)."""
    if uri != normalize_uri(uri):
        raise STATUS_LIST_URI_NOT_NORMAL(f"ask for {normalize_uri(uri)}")
    versions = visible(state.status_lists.get(uri, []), size)
    if not versions:
        raise STATUS_LIST_NOT_FOUND(f"no status list {uri} on the ledger")
    return versions


def status_list(state: State, uri: str, size: int) -> tuple[Answer, ListVersion]:
    """The list at ``uri`` as of the first ``size`` entries: its latest token's entry, and
    the first publish, which made its signer the list's owner."""
    versions = _list_versions(state, uri, size)
    latest = versions[-1]
    body = {"uri": uri, "owner": latest.owner, "asOf": size, **list_version_json(latest)}
    names = ((statemap.STATUS_LIST, uri),)
    return Answer(body, (versions[0].seq, latest.seq), names), latest


# A history page's versions: each carries an inclusion proof, and a list republished every
# hour has ~8,760 versions a year, so one answer never proves them all.
HISTORY_PAGE: Final = 100
MAX_HISTORY_PAGE: Final = 1000


def status_list_history(
    state: State, uri: str, size: int, *, after: int = 0, limit: int = HISTORY_PAGE
) -> Answer:
    """The list's versions numbered above ``after``, at most ``limit``, oldest first (entries
    by leaf hash; tokens stay in the log); ``next`` is the ``after`` of the following page."""
    versions = _list_versions(state, uri, size)
    page = versions[after : after + limit]
    body: dict[str, Any] = {
        "uri": uri,
        "owner": versions[0].owner,
        "versions": [list_version_json(v) for v in page],
    }
    if after + limit < len(versions):
        body["next"] = after + limit
    return Answer(body, tuple(v.seq for v in page))


def token_of(entry: bytes) -> str:
    """The status list token a logged ``status_list.publish`` entry carries."""
    return str(Transaction.parse(entry).body["token"])
