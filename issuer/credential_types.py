"""A registered credential type as the issuer uses it: its JSON Schema (claims are checked
against it before an offer is made) and its claim metadata (which claims are selectively
disclosable: every claim the type does not mark ``sd: never``, down to nested members and
array elements, so a holder can show "18 or over" without the birth date)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from civicid.errors import Error
from civicid.proven import ProvenType
from civicid.sdjwt_format import RESERVED_CLAIMS, dumps_compact
from civicid.type_metadata import ClaimMetadata, TypeMetadata, check_metadata
from issuer.claims_schema import Check, compile_schema
from issuer.errors import CLAIMS_INVALID, CLAIMS_RESERVED

ClaimPath = tuple[str | int | None, ...]

# A record's claims are a person's data: a few KiB. Nesting beyond this is no record we hold.
MAX_CLAIM_DEPTH: Final = 8
MAX_ERRORS_SHOWN: Final = 5
MAX_SHAPES: Final = 1024  # distinct claim shapes remembered per type


@dataclass(frozen=True)
class CredentialType:
    vct: str
    metadata: TypeMetadata
    schema: dict[str, Any]
    validator: Any  # a jsonschema validator built once for the schema
    # The schema compiled (``claims_schema``): yes only where the validator finds nothing.
    accepts: Check | None = field(default=None, repr=False, compare=False)
    _disclosable: dict[tuple[ClaimPath, ...], list[ClaimPath]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @classmethod
    def from_proven(cls, proven: ProvenType) -> CredentialType:
        # Imported here: jsonschema costs ~80 ms to import and only issuing needs it.
        from jsonschema import FormatChecker, validators

        metadata = check_metadata(proven.metadata, proven.vct)
        schema = proven.schema
        formats = FormatChecker()
        validator = validators.validator_for(schema)(schema, format_checker=formats)
        accepts = compile_schema(schema, formats.conforms)
        return cls(proven.vct, metadata, schema, validator, accepts)

    def check_claims(self, claims: Any) -> dict[str, Any]:
        """Claims for a credential of this type, or ``issuer_claims_invalid`` naming each
        failing rule (paths and rules only: the error never repeats a claim value)."""
        if not isinstance(claims, dict) or not claims:
            raise CLAIMS_INVALID("claims must be a non-empty JSON object")
        reserved = sorted(RESERVED_CLAIMS & set(claims))
        if reserved:
            raise CLAIMS_RESERVED(f"claims may not set {', '.join(reserved)}")
        if _too_deep(claims, MAX_CLAIM_DEPTH):
            raise CLAIMS_INVALID(f"claims nest deeper than {MAX_CLAIM_DEPTH} levels")
        if self.accepts is not None and self.accepts(claims):
            errors = []
        else:
            errors = sorted(self.validator.iter_errors(claims), key=lambda e: list(e.absolute_path))
        if errors:
            raise CLAIMS_INVALID("claims do not match the type's schema: " + _reasons(errors))
        try:  # the rule SD-JWT issuance applies, checked now: else redeeming burns the offer
            dumps_compact(claims)
        except Error as exc:
            raise CLAIMS_INVALID(
                "claims cannot be issued: not JSON text in UTF-8 (a lone surrogate?)"
            ) from exc
        return claims

    def disclosure(self, path: ClaimPath) -> str:
        """§5.6.4 ``sd`` for ``path`` (null in the metadata path matches any index)."""
        claim = next((c for c in self.metadata.claims if _matches(c, path)), None)
        return claim.disclosure if claim is not None else "allowed"

    def disclosable(self, claims: dict[str, Any]) -> list[ClaimPath]:
        """Every path in ``claims`` the type does not mark "never", parents before children."""
        paths = tuple(claim_paths(claims, ()))
        found = self._disclosable.get(paths)
        if found is None:  # records of a type mostly share their shape: decided once per shape
            found = [path for path in paths if self.disclosure(path) != "never"]
            if len(self._disclosable) >= MAX_SHAPES:
                self._disclosable.clear()
            self._disclosable[paths] = found
        return found


def _reasons(errors: list[Any]) -> str:
    """One message for a record: the claims it lacks, named together (from the schema's
    ``required``: names, never values), then each other rule that failed, by path."""
    missing: dict[str, None] = {}  # ordered, without repeats
    others: list[str] = []
    for error in errors:
        where = "/".join(str(p) for p in error.absolute_path)
        if error.validator == "required" and isinstance(error.instance, dict):
            for name in error.validator_value:
                if name not in error.instance:
                    missing[f"{where}/{name}" if where else str(name)] = None
        else:
            others.append(f"{where or '(top)'}: fails {error.validator}")
    names = list(missing)
    reasons = []
    if names:
        more = len(names) - MAX_ERRORS_SHOWN
        shown = ", ".join(names[:MAX_ERRORS_SHOWN]) + (f" and {more} more" if more > 0 else "")
        reasons.append(f"missing {shown}")
    reasons += others[:MAX_ERRORS_SHOWN]
    return "; ".join(reasons)


def _matches(claim: ClaimMetadata, path: ClaimPath) -> bool:
    if len(claim.path) != len(path):
        return False
    pairs = zip(claim.path, path, strict=True)
    return all(c == p or (c is None and isinstance(p, int)) for c, p in pairs)


def claim_paths(value: Any, prefix: ClaimPath) -> Iterator[ClaimPath]:
    if isinstance(value, dict):
        for key, member in value.items():
            yield (*prefix, key)
            yield from claim_paths(member, (*prefix, key))
    elif isinstance(value, list):
        for index, member in enumerate(value):
            yield (*prefix, index)
            yield from claim_paths(member, (*prefix, index))


def _too_deep(value: Any, limit: int) -> bool:
    """Iterative, so hostile nesting cannot exhaust the stack before it is refused."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth >= limit:
                return True
            members = node.values() if isinstance(node, dict) else node
            stack.extend((m, depth + 1) for m in members)
    return False
