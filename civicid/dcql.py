"""Digital Credentials Query Language (OpenID4VP 1.0 §6) and claims path pointers (§7):
the query a desk sends, the matcher a wallet runs over what it holds, and the one mapping
between a claim path and the claim name an accreditation lists ("address.street").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from civicid.errors import InvalidInput, Refused, declare

ClaimPath = tuple[str | int | None, ...]  # ("address", "street"), ("nationalities", None), (…, 0)
Value = str | int | bool  # §6.3: the types a claims query's `values` may hold

SD_JWT_VC_FORMAT: Final = "dc+sd-jwt"  # OpenID4VP 1.0 §B.3.1

# §6.1/§6.3: ids are alphanumeric, underscore or hyphen; 64 characters name anything sensible.
ID_PATTERN: Final = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# A desk's query asks for a few credentials with a few claims each; bounds on every list keep
# a hostile query (parsed by a wallet before any consent) small to parse and cheap to match.
MAX_CREDENTIAL_QUERIES: Final = 16
MAX_CLAIMS: Final = 64
MAX_CLAIM_SETS: Final = 16
MAX_CREDENTIAL_SETS: Final = 16
MAX_OPTIONS: Final = 16
MAX_VALUES: Final = 32
MAX_VCT_VALUES: Final = 16
# Claim paths deeper than this point into no credential anyone issues (and bound recursion).
MAX_PATH_LENGTH: Final = 16
# Same bound as accreditation.CLAIM_PATTERN: a claim name is what a grant can list.
MAX_CLAIM_NAME_CHARS: Final = 128
MAX_STRING_CHARS: Final = 255

DCQL_INVALID = declare("dcql_invalid", InvalidInput, "not a valid DCQL query")
DCQL_PATH_INVALID = declare("dcql_path_invalid", InvalidInput, "not a valid claims path pointer")
DCQL_PATH_NOT_FOUND = declare(
    "dcql_path_not_found", InvalidInput, "the claims path pointer selects nothing"
)
DCQL_CLAIM_UNNAMEABLE = declare(
    "dcql_claim_unnameable", InvalidInput, "this claim path has no accreditation claim name"
)
DCQL_RESPONSE_INVALID = declare(
    "dcql_response_invalid", InvalidInput, "the vp_token does not answer the DCQL query"
)
DCQL_UNSATISFIED = declare(
    "dcql_unsatisfied", Refused, "the credentials held cannot satisfy the query"
)


def _fail(message: str) -> Exception:
    return DCQL_INVALID(message)


def _id(value: Any, what: str) -> str:
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise _fail(f"{what} must be 1-64 letters, digits, '_' or '-'")
    return value


def _list(value: Any, what: str, limit: int) -> list[Any]:
    if not isinstance(value, list) or not 1 <= len(value) <= limit:
        raise _fail(f"{what} must be a non-empty array of at most {limit} items")
    return value


def parse_path(value: Any) -> ClaimPath:
    """A claims path pointer (§7): a non-empty array of strings, nulls and integers >= 0."""
    if not isinstance(value, list | tuple) or not 1 <= len(value) <= MAX_PATH_LENGTH:
        raise DCQL_PATH_INVALID(f"a claims path is a non-empty array of at most {MAX_PATH_LENGTH}")
    for part in value:
        if part is None or (isinstance(part, str) and 0 < len(part) <= MAX_CLAIM_NAME_CHARS):
            continue
        if type(part) is int and part >= 0:
            continue
        raise DCQL_PATH_INVALID(f"path component {part!r} is not a name, null or index >= 0")
    return tuple(value)


# -- the one mapping between claim paths and the claim names accreditations list ----------

_NAME_SAFE: Final = re.compile(r"^[^\x00-\x20\x7f.\[\]]+$")
_NAME_PART: Final = re.compile(r"([^.\[\]]+)|\[(\d*)\]")


def claim_name(path: ClaimPath) -> str:
    """The claim name an accreditation lists for ``path``: object keys joined by ".", an
    array index as "[i]", every element as "[]": ("address", "street") → "address.street",
    ("age_equal_or_over", "18") → "age_equal_or_over.18", ("degrees", None, "type") →
    "degrees[].type". Desk and wallet both use this, so the strings agree by construction."""
    path = parse_path(path)
    text = ""
    for index, part in enumerate(path):
        if part is None:
            text += "[]"
        elif isinstance(part, int):
            text += f"[{part}]"
        else:
            if not _NAME_SAFE.fullmatch(part):
                raise DCQL_CLAIM_UNNAMEABLE(f"claim key {part!r} holds '.', '[', ']' or a space")
            text += ("." if index else "") + part
    if not isinstance(path[0], str):
        raise DCQL_CLAIM_UNNAMEABLE("a claim path starts with a claim name")
    if len(text) > MAX_CLAIM_NAME_CHARS:
        raise DCQL_CLAIM_UNNAMEABLE(f"claim name is over {MAX_CLAIM_NAME_CHARS} characters")
    return text


def claim_path(name: str) -> ClaimPath:
    """The inverse of ``claim_name``: "address.street" → ("address", "street")."""
    if not isinstance(name, str) or not 0 < len(name) <= MAX_CLAIM_NAME_CHARS:
        raise DCQL_CLAIM_UNNAMEABLE("a claim name is 1-128 characters")
    parts: list[str | int | None] = []
    position = 0
    for match in _NAME_PART.finditer(name):
        key, index = match.group(1), match.group(2)
        separator = name[position : match.start()]
        if key is not None:
            if separator != ("." if parts else ""):
                raise DCQL_CLAIM_UNNAMEABLE(f"{name!r} is not a claim name")
            parts.append(key)
        else:
            if separator or not parts:
                raise DCQL_CLAIM_UNNAMEABLE(f"{name!r} is not a claim name")
            parts.append(int(index) if index else None)
        position = match.end()
    if position != len(name) or not parts:
        raise DCQL_CLAIM_UNNAMEABLE(f"{name!r} is not a claim name")
    path = parse_path(parts)
    if claim_name(path) != name:
        raise DCQL_CLAIM_UNNAMEABLE(f"{name!r} is not in canonical form")
    return path


# -- processing a path against a credential's claims (§7.1.1) ------------------------------


def select(claims: Mapping[str, Any], path: ClaimPath, *, checked: bool = False) -> list[Any]:
    """The JSON elements ``path`` selects in ``claims`` (§7.1.1); raises when processing
    aborts: a step into something that is not an object/array, or an empty selection.
    ``checked``: ``path`` already passed ``parse_path`` (a policy's, parsed at load)."""
    selection: list[Any] = [claims]
    for part in path if checked else parse_path(path):
        following: list[Any] = []
        for element in selection:
            if isinstance(part, str):
                # A parsed credential's objects are dicts: the abstract check is for the rest.
                if type(element) is not dict and not isinstance(element, Mapping):
                    raise DCQL_PATH_NOT_FOUND(f"{part!r} selected in something not an object")
                if part in element:
                    following.append(element[part])
            else:
                if not isinstance(element, list):
                    raise DCQL_PATH_NOT_FOUND("an index selected in something not an array")
                if part is None:
                    following.extend(element)
                elif part < len(element):
                    following.append(element[part])
        selection = following
    if not selection:
        raise DCQL_PATH_NOT_FOUND(f"{claim_name_or_repr(path)} is not in the credential")
    return selection


def claim_name_or_repr(path: ClaimPath) -> str:
    try:
        return claim_name(path)
    except InvalidInput:
        return repr(list(path))


def same_value(a: Any, b: Any) -> bool:
    """JSON equality with types kept apart: ``true`` is not ``1`` (§6.3 "type and value")."""
    return type(a) is type(b) and a == b


# -- the query ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClaimsQuery:
    """§6.3: one claim of a credential, by path, with optional expected values."""

    path: ClaimPath
    id: str | None = None
    values: tuple[Value, ...] | None = None

    @classmethod
    def from_json(cls, data: Any) -> ClaimsQuery:
        if not isinstance(data, dict):
            raise _fail("each claims query is an object")
        claim_id = _id(data["id"], "claims id") if "id" in data else None
        values = None
        if "values" in data:
            raw = _list(data["values"], "values", MAX_VALUES)
            if not all(
                isinstance(v, bool | int) or (isinstance(v, str) and len(v) <= MAX_STRING_CHARS)
                for v in raw
            ):
                raise _fail("values holds strings, integers or booleans only")
            values = tuple(raw)
        try:
            path = parse_path(data.get("path"))
        except InvalidInput as exc:
            raise _fail(exc.message) from exc
        return cls(path=path, id=claim_id, values=values)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.id is not None:
            data["id"] = self.id
        data["path"] = list(self.path)
        if self.values is not None:
            data["values"] = list(self.values)
        return data

    def matches(self, claims: Mapping[str, Any]) -> bool:
        """Present in ``claims`` (and equal to one of ``values``, if given)."""
        try:
            found = select(claims, self.path)
        except InvalidInput:
            return False
        if self.values is None:
            return True
        return any(same_value(f, v) for f in found for v in self.values)


@dataclass(frozen=True, slots=True)
class CredentialQuery:
    """§6.1: one credential the verifier asks for."""

    id: str
    format: str
    meta: dict[str, Any] = field(default_factory=dict)
    claims: tuple[ClaimsQuery, ...] | None = None
    claim_sets: tuple[tuple[str, ...], ...] | None = None
    multiple: bool = False
    require_cryptographic_holder_binding: bool = True
    trusted_authorities: tuple[dict[str, Any], ...] | None = None

    @classmethod
    def from_json(cls, data: Any) -> CredentialQuery:
        if not isinstance(data, dict):
            raise _fail("each credential query is an object")
        query_id = _id(data.get("id"), "credential query id")
        fmt = data.get("format")
        if not isinstance(fmt, str) or not 0 < len(fmt) <= MAX_STRING_CHARS:
            raise _fail("format must be a credential format identifier")
        meta = data.get("meta")
        if not isinstance(meta, dict):
            raise _fail("meta is required and must be an object (§6.1)")
        if fmt == SD_JWT_VC_FORMAT:
            vcts = _list(meta.get("vct_values"), "meta.vct_values", MAX_VCT_VALUES)
            if not all(isinstance(v, str) and 0 < len(v) <= MAX_STRING_CHARS for v in vcts):
                raise _fail("vct_values holds type identifiers (B.3.5)")
        flags = {}
        for name, default in (("multiple", False), ("require_cryptographic_holder_binding", True)):
            value = data.get(name, default)
            if not isinstance(value, bool):
                raise _fail(f"{name} must be a boolean")
            flags[name] = value
        claims = None
        if "claims" in data:
            claims = tuple(
                ClaimsQuery.from_json(c) for c in _list(data["claims"], "claims", MAX_CLAIMS)
            )
            ids = [c.id for c in claims if c.id is not None]
            if len(set(ids)) != len(ids):
                raise _fail(f"a claims id appears twice in {query_id}")
            paths = [c.path for c in claims]
            if len(set(paths)) != len(paths):
                raise _fail(f"{query_id} points at the same claim twice (§6.1)")
        claim_sets = None
        if "claim_sets" in data:
            if claims is None:
                raise _fail("claim_sets without claims (§6.4.1)")
            if any(c.id is None for c in claims):
                raise _fail("every claim needs an id when claim_sets is present (§6.3)")
            known = {c.id for c in claims}
            claim_sets = tuple(
                tuple(_id(i, "claim set member") for i in _list(s, "claim set", MAX_CLAIMS))
                for s in _list(data["claim_sets"], "claim_sets", MAX_CLAIM_SETS)
            )
            if any(i not in known for s in claim_sets for i in s):
                raise _fail("a claim set names a claim that is not in claims")
        authorities = None
        if "trusted_authorities" in data:
            raw = _list(data["trusted_authorities"], "trusted_authorities", MAX_OPTIONS)
            if not all(isinstance(a, dict) for a in raw):
                raise _fail("trusted_authorities holds objects")
            authorities = tuple(raw)
        return cls(
            id=query_id,
            format=fmt,
            meta=meta,
            claims=claims,
            claim_sets=claim_sets,
            trusted_authorities=authorities,
            **flags,
        )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "format": self.format, "meta": self.meta}
        if self.multiple:
            data["multiple"] = True
        if not self.require_cryptographic_holder_binding:
            data["require_cryptographic_holder_binding"] = False
        if self.trusted_authorities is not None:
            data["trusted_authorities"] = list(self.trusted_authorities)
        if self.claims is not None:
            data["claims"] = [c.to_json() for c in self.claims]
        if self.claim_sets is not None:
            data["claim_sets"] = [list(s) for s in self.claim_sets]
        return data

    @property
    def vct_values(self) -> tuple[str, ...]:
        return tuple(self.meta.get("vct_values") or ())

    def claim_options(self) -> list[tuple[ClaimsQuery, ...]]:
        """The alternative sets of claims, most preferred first (§6.4.1)."""
        if self.claims is None:
            return [()]
        if self.claim_sets is None:
            return [self.claims]
        by_id = {c.id: c for c in self.claims}
        return [tuple(by_id[i] for i in option) for option in self.claim_sets]

    def select_claims(self, claims: Mapping[str, Any]) -> tuple[ClaimPath, ...] | None:
        """The paths of the first claim option ``claims`` satisfies, or None (§6.4.1)."""
        for option in self.claim_options():
            if all(c.matches(claims) for c in option):
                return tuple(c.path for c in option)
        return None


@dataclass(frozen=True, slots=True)
class CredentialSetQuery:
    """§6.2: alternatives, each a list of credential query ids; required by default."""

    options: tuple[tuple[str, ...], ...]
    required: bool = True

    @classmethod
    def from_json(cls, data: Any) -> CredentialSetQuery:
        if not isinstance(data, dict):
            raise _fail("each credential set query is an object")
        options = tuple(
            tuple(_id(i, "option member") for i in _list(o, "option", MAX_CREDENTIAL_QUERIES))
            for o in _list(data.get("options"), "options", MAX_OPTIONS)
        )
        required = data.get("required", True)
        if not isinstance(required, bool):
            raise _fail("required must be a boolean")
        return cls(options=options, required=required)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"options": [list(o) for o in self.options]}
        if not self.required:
            data["required"] = False
        return data


@dataclass(frozen=True, slots=True)
class DcqlQuery:
    """§6: the credentials asked for and, optionally, which combinations satisfy the ask."""

    credentials: tuple[CredentialQuery, ...]
    credential_sets: tuple[CredentialSetQuery, ...] | None = None

    @classmethod
    def from_json(cls, data: Any) -> DcqlQuery:
        if not isinstance(data, dict):
            raise _fail("a DCQL query is a JSON object")
        credentials = tuple(
            CredentialQuery.from_json(c)
            for c in _list(data.get("credentials"), "credentials", MAX_CREDENTIAL_QUERIES)
        )
        ids = [c.id for c in credentials]
        if len(set(ids)) != len(ids):
            raise _fail("a credential query id appears twice (§6.1)")
        sets = None
        if "credential_sets" in data:
            sets = tuple(
                CredentialSetQuery.from_json(s)
                for s in _list(data["credential_sets"], "credential_sets", MAX_CREDENTIAL_SETS)
            )
            if any(i not in ids for s in sets for o in s.options for i in o):
                raise _fail("a credential set names a credential query that is not there")
        return cls(credentials=credentials, credential_sets=sets)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"credentials": [c.to_json() for c in self.credentials]}
        if self.credential_sets is not None:
            data["credential_sets"] = [s.to_json() for s in self.credential_sets]
        return data

    def credential(self, query_id: str) -> CredentialQuery:
        for query in self.credentials:
            if query.id == query_id:
                return query
        raise DCQL_RESPONSE_INVALID(f"no credential query {query_id!r}")

    def answers(self, present: Iterable[str]) -> bool:
        """Do presentations for the query ids ``present`` satisfy the request (§6.4.2)?"""
        have = set(present)
        if self.credential_sets is None:
            return all(c.id in have for c in self.credentials)
        return all(
            any(set(option) <= have for option in s.options)
            for s in self.credential_sets
            if s.required
        )

    def check_vp_token(self, vp_token: Any) -> dict[str, list[Any]]:
        """§8.1 and §8.6 step 1/3: a JSON object keyed by credential query id, each value a
        non-empty array (one item unless ``multiple``), together satisfying the query."""
        if not isinstance(vp_token, dict) or not vp_token:
            raise DCQL_RESPONSE_INVALID("vp_token must be a non-empty JSON object")
        for query_id, items in vp_token.items():
            query = self.credential(query_id)
            if not isinstance(items, list) or not items:
                raise DCQL_RESPONSE_INVALID(f"{query_id}: a non-empty array of presentations")
            if len(items) > 1 and not query.multiple:
                raise DCQL_RESPONSE_INVALID(f"{query_id}: one presentation only (multiple=false)")
        if not self.answers(vp_token):
            raise DCQL_RESPONSE_INVALID("the presentations do not satisfy the query")
        return vp_token


# -- the wallet's side: match held credentials to the query ------------------------------


@dataclass(frozen=True, slots=True)
class Held:
    """What a wallet knows of one credential it holds: every claim it could disclose."""

    id: str
    format: str
    vct: str | None
    claims: Mapping[str, Any]
    holder_binding: bool = True


@dataclass(frozen=True, slots=True)
class Candidate:
    """A held credential that satisfies a credential query, and the claims to disclose."""

    query_id: str
    credential_id: str
    disclose: tuple[ClaimPath, ...]


@dataclass(frozen=True, slots=True)
class Match:
    """The matcher's answer: candidates per query, and the query ids to answer."""

    candidates: dict[str, tuple[Candidate, ...]]
    selection: tuple[str, ...]  # the credential queries to answer (first satisfiable options)
    satisfied: bool
    missing: tuple[str, ...]  # required query ids no held credential satisfies

    def require(self) -> Match:
        if not self.satisfied:
            raise DCQL_UNSATISFIED(
                "no credential held matches " + ", ".join(self.missing or ("the request",))
            )
        return self


def candidate(query: CredentialQuery, held: Held) -> Candidate | None:
    """``held`` as an answer to ``query`` (format, vct, holder binding, claims), or None."""
    if held.format != query.format:
        return None
    if query.format == SD_JWT_VC_FORMAT and held.vct not in query.vct_values:
        return None
    if query.require_cryptographic_holder_binding and not held.holder_binding:
        return None
    disclose = query.select_claims(held.claims)
    if disclose is None:
        return None
    return Candidate(query.id, held.id, disclose)


def match(query: DcqlQuery, held: Iterable[Held]) -> Match:
    """Which held credentials answer which credential queries, and which queries to answer:
    all of them without ``credential_sets``; otherwise, per set, its first option whose
    queries all have a candidate (§6.4.2). Unsatisfiable → ``satisfied`` is False and the
    wallet must return nothing (§6.4.2 last rule)."""
    items = list(held)
    candidates = {
        q.id: tuple(c for c in (candidate(q, h) for h in items) if c is not None)
        for q in query.credentials
    }
    answerable = {qid for qid, found in candidates.items() if found}
    if query.credential_sets is None:
        missing = tuple(q.id for q in query.credentials if q.id not in answerable)
        selection = tuple(q.id for q in query.credentials if q.id in answerable)
    else:
        chosen: list[str] = []
        missing_ids: list[str] = []
        for credential_set in query.credential_sets:
            option = next((o for o in credential_set.options if set(o) <= answerable), None)
            if option is not None:
                chosen.extend(i for i in option if i not in chosen)
            elif credential_set.required:
                first = credential_set.options[0]
                missing_ids.extend(i for i in first if i not in answerable)
        missing = tuple(dict.fromkeys(missing_ids))
        selection = tuple(chosen)
    satisfied = not missing
    return Match(candidates, selection if satisfied else (), satisfied, missing)


__all__ = [
    "SD_JWT_VC_FORMAT",
    "Candidate",
    "ClaimPath",
    "ClaimsQuery",
    "CredentialQuery",
    "CredentialSetQuery",
    "DcqlQuery",
    "Held",
    "Match",
    "candidate",
    "claim_name",
    "claim_path",
    "match",
    "parse_path",
    "select",
]
