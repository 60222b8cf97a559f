"""SD-JWT VC Type Metadata (draft-ietf-oauth-sd-jwt-vc §5) and the JSON Schema beside it:
strict shape checks for what an accredited issuer registers on the ledger.

Members §5 defines are checked for type and value; other members are allowed, as §5.2 says
consumers must ignore what they do not understand. Schemas never reach the network: only
same-document ``$ref`` is accepted.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Final

from civicid.accreditation import check_vct
from civicid.errors import Code, InvalidInput, declare

TYPE_METADATA_INVALID = declare(
    "type_metadata_invalid", InvalidInput, "the type metadata is invalid"
)
TYPE_SCHEMA_INVALID = declare(
    "type_schema_invalid", InvalidInput, "the type's JSON Schema is invalid"
)

# A type's metadata and schema are read by every wallet and verifier; a few display locales
# and claims fit in a few KiB. 64 KiB each leaves room and keeps a registration well under
# the 1 MiB transaction limit.
MAX_METADATA_BYTES: Final = 64 * 1024
MAX_SCHEMA_BYTES: Final = 64 * 1024
# Nesting beyond this is no credential we know of, and bounds the recursion of the checks.
MAX_SCHEMA_DEPTH: Final = 32
MAX_DISPLAYS: Final = 32  # locales
MAX_CLAIMS: Final = 256
MAX_PATH_LENGTH: Final = 16
MAX_SVG_TEMPLATES: Final = 8
MAX_TEXT_CHARS: Final = 1000
MAX_URI_CHARS: Final = 2048

SD_VALUES: Final = ("always", "allowed", "never")  # §5.6.4; omitted means "allowed"
# §2.2.2.3: these claims (and their sub-claims) MUST NOT be selectively disclosed; DESIGN.md
# pitfall 9. A type must mark them "never" if it describes them at all.
NEVER_DISCLOSABLE: Final = frozenset(
    {"iss", "nbf", "exp", "cnf", "vct", "vct#integrity", "aka_vcts", "status"}
)
# JSON Schema dialects we validate with; an unknown $schema would silently fall back to the
# latest draft (jsonschema warns), so it is refused instead.
DIALECTS: Final = frozenset(
    {
        "https://json-schema.org/draft/2020-12/schema",
        "https://json-schema.org/draft/2019-09/schema",
        "http://json-schema.org/draft-07/schema",
        "http://json-schema.org/draft-07/schema#",
    }
)
REF_KEYWORDS: Final = ("$ref", "$dynamicRef", "$recursiveRef")

# RFC 5646 §2.1 language tag, loosely: primary subtag, then subtags of 1-8 alphanumerics.
LOCALE: Final = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
# W3C SRI §3.5 integrity metadata: hash expressions separated by spaces, options after "?".
INTEGRITY: Final = re.compile(
    r"^(sha256|sha384|sha512)-[A-Za-z0-9+/]+={0,2}(\?[\x21-\x7e]*)?"
    r"( +(sha256|sha384|sha512)-[A-Za-z0-9+/]+={0,2}(\?[\x21-\x7e]*)?)*$"
)
# CSS Color 4 RGB values: hex notation or the rgb()/rgba() functions.
COLOR: Final = re.compile(
    r"^(#([0-9A-Fa-f]{3,4}|[0-9A-Fa-f]{6}|[0-9A-Fa-f]{8})|rgba?\([^()]{1,64}\))$"
)
SVG_ID: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")  # §5.6
SVG_PROPERTIES: Final = {
    "orientation": ("portrait", "landscape"),
    "color_scheme": ("light", "dark"),
    "contrast": ("normal", "high"),
}


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TYPE_METADATA_INVALID(f"{where} must be an object")
    return value


def _array(value: Any, where: str, limit: int) -> list[Any]:
    if not isinstance(value, list) or not 1 <= len(value) <= limit:
        raise TYPE_METADATA_INVALID(f"{where} must be an array of 1 to {limit} items")
    return value


def _text(obj: dict[str, Any], name: str, where: str, *, required: bool = False) -> None:
    value = obj.get(name)
    if value is None and not required and name not in obj:
        return
    if not isinstance(value, str) or not value or len(value) > MAX_TEXT_CHARS:
        raise TYPE_METADATA_INVALID(
            f"{where}.{name} must be a text of 1 to {MAX_TEXT_CHARS} characters"
        )


def _integrity(obj: dict[str, Any], name: str, where: str) -> None:
    key = f"{name}#integrity"
    if key in obj and not (isinstance(obj[key], str) and INTEGRITY.fullmatch(obj[key])):
        raise TYPE_METADATA_INVALID(f"{where}.{key} must be SRI integrity metadata (§6)")


def _uri(obj: dict[str, Any], where: str) -> None:
    """§5.5.1: rendering URIs are HTTPS URLs or data: URIs."""
    uri = obj.get("uri")
    if (
        not isinstance(uri, str)
        or len(uri) > MAX_URI_CHARS
        or not (uri.startswith("https://") or uri.startswith("data:"))
    ):
        raise TYPE_METADATA_INVALID(f"{where}.uri must be an https:// URL or a data: URI")
    _integrity(obj, "uri", where)


def _check_simple(simple: dict[str, Any], where: str) -> None:
    """§5.5.1.1 rendering method "simple"."""
    if "logo" in simple:
        logo = _object(simple["logo"], f"{where}.logo")
        _uri(logo, f"{where}.logo")
        _text(logo, "alt_text", f"{where}.logo")
    if "background_image" in simple:
        _uri(_object(simple["background_image"], f"{where}.background_image"), where)
    for name in ("background_color", "text_color"):
        if name in simple and not (isinstance(simple[name], str) and COLOR.fullmatch(simple[name])):
            raise TYPE_METADATA_INVALID(f"{where}.{name} must be a CSS RGB color such as #12107c")


def _check_svg_templates(templates: Any, where: str) -> None:
    """§5.5.1.2: uri required; properties required when there is more than one template."""
    items = _array(templates, where, MAX_SVG_TEMPLATES)
    for i, item in enumerate(items):
        template = _object(item, f"{where}[{i}]")
        _uri(template, f"{where}[{i}]")
        if "properties" not in template:
            if len(items) > 1:
                raise TYPE_METADATA_INVALID(
                    f"{where}[{i}].properties is required with several templates"
                )
            continue
        props = _object(template["properties"], f"{where}[{i}].properties")
        known = [name for name in SVG_PROPERTIES if name in props]
        if not known:  # §5.5.1.2.1: at least one of the three
            raise TYPE_METADATA_INVALID(
                f"{where}[{i}].properties names no orientation, color_scheme or contrast"
            )
        for name in known:
            if props[name] not in SVG_PROPERTIES[name]:
                raise TYPE_METADATA_INVALID(
                    f"{where}[{i}].properties.{name} must be one of {SVG_PROPERTIES[name]}"
                )


def _check_display(display: Any, where: str, label: str) -> None:
    """§5.5 (type display, ``label`` = "name") and §5.6.2 (claim display, "label")."""
    locales: set[str] = set()
    for i, item in enumerate(_array(display, where, MAX_DISPLAYS)):
        entry = _object(item, f"{where}[{i}]")
        locale = entry.get("locale")
        if not isinstance(locale, str) or not LOCALE.fullmatch(locale):
            raise TYPE_METADATA_INVALID(f"{where}[{i}].locale must be an RFC 5646 language tag")
        if locale.lower() in locales:
            raise TYPE_METADATA_INVALID(f"{where} has locale {locale!r} twice")
        locales.add(locale.lower())
        _text(entry, label, f"{where}[{i}]", required=True)
        _text(entry, "description", f"{where}[{i}]")
        if "rendering" in entry:
            rendering = _object(entry["rendering"], f"{where}[{i}].rendering")
            if "simple" in rendering:
                _check_simple(_object(rendering["simple"], "simple"), f"{where}[{i}].simple")
            if "svg_templates" in rendering:
                _check_svg_templates(rendering["svg_templates"], f"{where}[{i}].svg_templates")


@dataclass(frozen=True, slots=True)
class ClaimMetadata:
    """One §5.6 claim metadata object; ``sd`` and ``mandatory`` are None when omitted."""

    path: tuple[str | int | None, ...]
    sd: str | None
    mandatory: bool | None

    @property
    def disclosure(self) -> str:
        return self.sd or "allowed"  # §5.6.4: omitted means "allowed"


def _check_claim(item: Any, where: str, svg_ids: set[str]) -> ClaimMetadata:
    claim = _object(item, where)
    path = _array(claim.get("path"), f"{where}.path", MAX_PATH_LENGTH)
    for part in path:  # §5.6.1: strings, nulls or non-negative integers
        if not (
            part is None
            or (isinstance(part, str) and 0 < len(part) <= MAX_TEXT_CHARS)
            or (type(part) is int and part >= 0)
        ):
            raise TYPE_METADATA_INVALID(
                f"{where}.path holds only names, null or non-negative integers"
            )
    sd = claim.get("sd")
    if "sd" in claim and sd not in SD_VALUES:
        raise TYPE_METADATA_INVALID(f"{where}.sd must be one of {SD_VALUES}")
    if path[0] in NEVER_DISCLOSABLE and sd != "never":
        # An omitted sd means "allowed", which §2.2.2.3 forbids for these claims.
        raise TYPE_METADATA_INVALID(
            f"{where}: {path[0]!r} must never be selectively disclosable (sd: never)"
        )
    mandatory = claim.get("mandatory")
    if "mandatory" in claim and not isinstance(mandatory, bool):
        raise TYPE_METADATA_INVALID(f"{where}.mandatory must be a boolean")
    if "display" in claim:
        _check_display(claim["display"], f"{where}.display", "label")
    if "svg_id" in claim:
        svg_id = claim["svg_id"]
        if not isinstance(svg_id, str) or not SVG_ID.fullmatch(svg_id):
            raise TYPE_METADATA_INVALID(
                f"{where}.svg_id must be letters, digits and _, not starting with a digit"
            )
        if svg_id in svg_ids:
            raise TYPE_METADATA_INVALID(
                f"svg_id {svg_id!r} is used twice"
            )  # §5.6: unique within the type
        svg_ids.add(svg_id)
    return ClaimMetadata(tuple(path), sd, mandatory)


@dataclass(frozen=True, slots=True)
class TypeMetadata:
    """A checked Type Metadata document: what the ledger and consumers rely on."""

    vct: str
    extends: str | None
    claims: tuple[ClaimMetadata, ...]
    document: dict[str, Any]

    def claim(self, path: tuple[str | int | None, ...]) -> ClaimMetadata | None:
        return next((c for c in self.claims if c.path == path), None)


def _size(value: Any, limit: int, code: Code, what: str) -> None:
    try:
        size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
    except (TypeError, ValueError, RecursionError) as exc:
        raise code(f"{what} is not plain JSON") from exc
    if size > limit:
        raise code(f"{what} is over {limit} bytes")


def check_metadata(document: Any, vct: str) -> TypeMetadata:
    """§5.2 format, §5.5 display and §5.6 claim metadata; ``document.vct`` must be ``vct``."""
    _size(document, MAX_METADATA_BYTES, TYPE_METADATA_INVALID, "type metadata")
    doc = _object(document, "type metadata")
    if doc.get("vct") != vct:
        raise TYPE_METADATA_INVALID("metadata vct must equal the registered vct (§5.3)")
    _text(doc, "name", "metadata")
    _text(doc, "description", "metadata")
    extends = doc.get("extends")
    if extends is not None or "extends" in doc:
        try:
            check_vct(extends)
        except InvalidInput as exc:
            raise TYPE_METADATA_INVALID("extends must be the vct of another type") from exc
        if extends == vct:  # §7.4: a type cannot extend itself
            raise TYPE_METADATA_INVALID("a type cannot extend itself")
    _integrity(doc, "extends", "metadata")
    if "display" in doc:
        _check_display(doc["display"], "display", "name")
    claims: list[ClaimMetadata] = []
    svg_ids: set[str] = set()
    if "claims" in doc:
        for i, item in enumerate(_array(doc["claims"], "claims", MAX_CLAIMS)):
            claims.append(_check_claim(item, f"claims[{i}]", svg_ids))
    if len({c.path for c in claims}) != len(claims):
        raise TYPE_METADATA_INVALID("two claim metadata objects have the same path")
    return TypeMetadata(vct, extends, tuple(claims), doc)


def check_extension(child: TypeMetadata, parent: dict[tuple[Any, ...], ClaimMetadata]) -> None:
    """§5.6.5.1: a child may narrow "allowed" to "always" or "never" and make a claim
    mandatory; it may not change "always"/"never" or make a mandatory claim optional.
    ``parent`` is the extended type's effective claim metadata."""
    for claim in child.claims:
        base = parent.get(claim.path)
        if base is None:
            continue
        if base.disclosure != "allowed" and claim.sd is not None and claim.sd != base.disclosure:
            raise TYPE_METADATA_INVALID(
                f"claim {list(claim.path)} cannot change sd from {base.disclosure!r} (§5.6.5.1)"
            )
        if base.mandatory and claim.mandatory is False:
            raise TYPE_METADATA_INVALID(
                f"claim {list(claim.path)} is mandatory in the extended type (§5.6.5.1)"
            )


def effective_claims(chain: list[TypeMetadata]) -> dict[tuple[Any, ...], ClaimMetadata]:
    """§5.6.5: claim metadata after applying extensions; ``chain`` runs from the root type,
    and a child's properties take precedence over its parent's."""
    merged: dict[tuple[Any, ...], ClaimMetadata] = {}
    for metadata in chain:
        for claim in metadata.claims:
            base = merged.get(claim.path)
            if base is not None:
                claim = ClaimMetadata(
                    claim.path,
                    claim.sd if claim.sd is not None else base.sd,
                    claim.mandatory if claim.mandatory is not None else base.mandatory,
                )
            merged[claim.path] = claim
    return merged


def _walk_refs(schema: Any) -> None:
    """Refuse any reference that is not to this same document (no network, ever), and
    nesting deeper than ``MAX_SCHEMA_DEPTH``."""
    stack: list[tuple[Any, int]] = [(schema, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_SCHEMA_DEPTH:
            raise TYPE_SCHEMA_INVALID(f"schema nests over {MAX_SCHEMA_DEPTH} deep")
        if isinstance(node, dict):
            for key, value in node.items():
                if key in REF_KEYWORDS and isinstance(value, str) and not value.startswith("#"):
                    raise TYPE_SCHEMA_INVALID(f"{key} {value[:80]!r} is not a local reference")
                stack.append((value, depth + 1))
        elif isinstance(node, list):
            stack.extend((value, depth + 1) for value in node)


def check_schema(schema: Any) -> None:
    """A JSON Schema document of a known dialect, with local references only."""
    _size(schema, MAX_SCHEMA_BYTES, TYPE_SCHEMA_INVALID, "schema")
    if not isinstance(schema, dict):
        raise TYPE_SCHEMA_INVALID("a credential type's schema is a JSON object")
    dialect = schema.get("$schema")
    if dialect is not None and dialect not in DIALECTS:
        raise TYPE_SCHEMA_INVALID(f"$schema {str(dialect)[:80]!r} is not known")
    _walk_refs(schema)
    # Imported here: ~80 ms that every command would pay, and only registrations need it.
    import jsonschema
    from jsonschema import validators

    try:
        validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise TYPE_SCHEMA_INVALID(f"not a JSON Schema: {exc.message}") from exc
    except RecursionError as exc:  # pragma: no cover - bounded by MAX_SCHEMA_DEPTH above
        raise TYPE_SCHEMA_INVALID("schema nests too deep") from exc


__all__ = [
    "NEVER_DISCLOSABLE",
    "ClaimMetadata",
    "TypeMetadata",
    "check_extension",
    "check_metadata",
    "check_schema",
    "effective_claims",
]
