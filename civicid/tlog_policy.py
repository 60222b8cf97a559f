"""C2SP tlog-policy (main, 2026-07): which logs a client accepts, which witnesses it knows,
and the quorum of cosignatures a checkpoint needs.

API:

- ``TlogPolicy.parse(text)``: a validated policy, or a one-line error with its code
  (``policy_malformed``, ``policy_too_large``, ``policy_name_duplicate``,
  ``policy_key_duplicate``, ``policy_name_unknown``, ``policy_threshold_invalid``,
  ``policy_quorum_missing``). ``.to_text()`` writes it back.
- ``.logs`` (``PolicyLog``: origin, ``NoteVerifier``, optional URL), ``.log_for(origin)``;
  ``.witnesses`` (``PolicyWitness``: policy name, ``CosignatureVerifier``, optional URL),
  ``.groups``, ``.quorum`` (a witness or group name, or ``none``).
- ``.cosigners()``: the witnesses' verifiers, for ``civicid.cosignature.verify_cosignatures``;
  ``.names_of(verified)``: the policy names of verified cosignatures.
- ``.evaluate(names)``: given the names of the witnesses whose cosignatures verified, a
  ``QuorumResult`` (``met``, the cosigners that count, the quorum's witnesses ``missing``).
  A name given twice counts once; names the policy does not know are ignored.

Names are compared exactly (the spec's "opaque octet strings"); the file must be UTF-8, which
the spec strongly recommends, so a name is the same string as the octets it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from civicid.checkpoint import NoteVerifier
from civicid.cosignature import CosignatureVerifier, VerifiedCosignature
from civicid.errors import Code, Error, InvalidInput, TooLarge, declare
from civicid.files import read_bounded

POLICY_MALFORMED = declare("policy_malformed", InvalidInput, "the trust policy is malformed")
POLICY_TOO_LARGE = declare("policy_too_large", TooLarge, "the trust policy is too large")
POLICY_NAME_DUPLICATE = declare(
    "policy_name_duplicate", InvalidInput, "the trust policy defines a name twice"
)
POLICY_KEY_DUPLICATE = declare(
    "policy_key_duplicate", InvalidInput, "the trust policy lists one key twice"
)
POLICY_NAME_UNKNOWN = declare(
    "policy_name_unknown", InvalidInput, "the trust policy refers to a name not defined before"
)
POLICY_THRESHOLD_INVALID = declare(
    "policy_threshold_invalid", InvalidInput, "a group's threshold is not between 1 and its size"
)
POLICY_QUORUM_MISSING = declare(
    "policy_quorum_missing", InvalidInput, "the trust policy needs exactly one quorum line"
)

# "strongly recommended that an implementation supports at least up to 32 logs, 32
# witnesses, and 32 groups": twice that, so a policy written for any compliant client fits.
MAX_POLICY_LOGS = 64
MAX_POLICY_WITNESSES = 64
MAX_POLICY_GROUPS = 64
# 64 + 64 lines of a vkey and a URL (< 400 bytes each) plus 64 groups and comments: a policy
# past 64 KiB is not one people wrote, and the bound keeps parsing cheap.
MAX_POLICY_BYTES = 64 * 1024

NONE = "none"  # "The special name none is predefined"
_WHITESPACE = re.compile(r"[ \t]+")  # "ASCII space and tab characters *only*"
_DECIMAL = re.compile(r"[1-9][0-9]{0,8}")  # a threshold: decimal, at most the group's size


@dataclass(frozen=True, slots=True)
class PolicyLog:
    """``log <vkey> [<url>]``: the vkey's name is the log's origin line."""

    verifier: NoteVerifier = field(compare=False)  # compared by its vkey
    vkey: str
    url: str | None = None

    @property
    def origin(self) -> str:
        return self.verifier.name


@dataclass(frozen=True, slots=True)
class PolicyWitness:
    """``witness <name> <vkey> [<url>]``; ``url`` is its submission prefix (tlog-witness)."""

    name: str
    verifier: CosignatureVerifier
    url: str | None = None


@dataclass(frozen=True, slots=True)
class PolicyGroup:
    """``group <name> all|any|<k> <name>...``: witnessed when ``threshold`` members are."""

    name: str
    threshold: int
    members: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class QuorumResult:
    """Whether the quorum is met; who counted; which of the quorum's witnesses did not sign."""

    met: bool
    cosigned: tuple[str, ...]
    missing: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TlogPolicy:
    logs: tuple[PolicyLog, ...]
    witnesses: tuple[PolicyWitness, ...]
    groups: tuple[PolicyGroup, ...]
    quorum: str
    # Looked up on every checkpoint a client accepts: built once.
    _groups: dict[str, PolicyGroup] = field(init=False, repr=False, compare=False)
    _names: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_groups", {g.name: g for g in self.groups})
        object.__setattr__(self, "_names", frozenset(w.name for w in self.witnesses))

    @classmethod
    def parse(cls, text: str | bytes) -> TlogPolicy:
        return _Parser().parse(text)

    def to_text(self) -> str:
        lines = [f"log {log.vkey}" + (f" {log.url}" if log.url else "") for log in self.logs]
        for w in self.witnesses:
            lines.append(f"witness {w.name} {w.verifier.vkey}" + (f" {w.url}" if w.url else ""))
        for g in self.groups:
            lines.append(f"group {g.name} {g.threshold} {' '.join(g.members)}")
        lines.append(f"quorum {self.quorum}")
        return "".join(line + "\n" for line in lines)

    def log_for(self, origin: str) -> PolicyLog | None:
        return next((log for log in self.logs if log.origin == origin), None)

    def witness(self, name: str) -> PolicyWitness | None:
        return next((w for w in self.witnesses if w.name == name), None)

    def cosigners(self) -> tuple[CosignatureVerifier, ...]:
        return tuple(w.verifier for w in self.witnesses)

    def names_of(self, verified: Iterable[VerifiedCosignature]) -> tuple[str, ...]:
        """The policy names of ``verified`` cosignatures, in policy order."""
        keys = {v.cosigner for v in verified}
        return tuple(w.name for w in self.witnesses if w.verifier in keys)

    def evaluate(self, names: Iterable[str]) -> QuorumResult:
        """The quorum rule over the witnesses named ``names`` (tlog-policy "witness group")."""
        signed = {name for name in names if name in self._names}
        groups = self._groups

        def witnessed(name: str) -> bool:
            if name == NONE:
                return True
            group = groups.get(name)
            if group is None:
                return name in signed
            # Definitions refer only to earlier lines, so this recursion always ends.
            return sum(witnessed(m) for m in group.members) >= group.threshold

        def under(name: str) -> list[str]:
            group = groups.get(name)
            if group is None:
                return [] if name == NONE else [name]
            return [w for m in group.members for w in under(m)]

        in_quorum = list(dict.fromkeys(under(self.quorum)))
        return QuorumResult(
            met=witnessed(self.quorum),
            cosigned=tuple(w.name for w in self.witnesses if w.name in signed),
            missing=tuple(name for name in in_quorum if name not in signed),
        )


class _Parser:
    """One pass over the lines; every name must be defined before it is used."""

    def __init__(self) -> None:
        self.logs: list[PolicyLog] = []
        self.witnesses: list[PolicyWitness] = []
        self.groups: list[PolicyGroup] = []
        self.names: set[str] = {NONE}
        self.log_keys: set[bytes] = set()
        self.witness_keys: set[bytes] = set()
        self.quorum: str | None = None

    def parse(self, text: str | bytes) -> TlogPolicy:
        if isinstance(text, str):
            try:
                text = text.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise POLICY_MALFORMED("policy is not valid UTF-8") from exc
        if not isinstance(text, bytes):
            raise POLICY_MALFORMED("policy must be text")
        if len(text) > MAX_POLICY_BYTES:
            raise POLICY_TOO_LARGE(f"policy exceeds {MAX_POLICY_BYTES} bytes")
        # "the allowed octet values are 0x09 (tab), 0x0A (newline), 0x20-0x7E, and 0x80-0xFF"
        if any((b < 0x20 and b not in (0x09, 0x0A)) or b == 0x7F for b in text):
            raise POLICY_MALFORMED("policy has control characters other than tab and newline")
        try:
            decoded = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise POLICY_MALFORMED("policy is not valid UTF-8") from exc
        for number, line in enumerate(decoded.split("\n"), start=1):
            words = [w for w in _WHITESPACE.split(line) if w]
            if not words or words[0].startswith("#"):
                continue  # empty lines and comment lines are ignored
            try:
                self._line(words)
            except Error as exc:
                raise type(exc)(exc.code, f"line {number}: {exc.message}") from exc
        if self.quorum is None:
            raise POLICY_QUORUM_MISSING("policy has no quorum line")
        return TlogPolicy(tuple(self.logs), tuple(self.witnesses), tuple(self.groups), self.quorum)

    def _line(self, words: list[str]) -> None:
        keyword, args = words[0], words[1:]
        if keyword == "log":
            self._log(args)
        elif keyword == "witness":
            self._witness(args)
        elif keyword == "group":
            self._group(args)
        elif keyword == "quorum":
            if len(args) != 1:
                raise POLICY_MALFORMED("quorum takes one name")
            if self.quorum is not None:
                raise POLICY_QUORUM_MISSING("a policy has exactly one quorum line")
            self._known(args[0])
            self.quorum = args[0]
        else:
            raise POLICY_MALFORMED(f"unknown keyword {keyword!r}")

    def _log(self, args: list[str]) -> None:
        if len(args) not in (1, 2):
            raise POLICY_MALFORMED("log takes a vkey and an optional URL")
        if len(self.logs) >= MAX_POLICY_LOGS:
            raise POLICY_TOO_LARGE(f"more than {MAX_POLICY_LOGS} logs")
        verifier = NoteVerifier(args[0])
        # "Duplicate logs, i.e., multiple log lines with the same public key, are not allowed."
        if verifier.public_key in self.log_keys:
            raise POLICY_KEY_DUPLICATE(f"log key of {verifier.name} is listed twice")
        self.log_keys.add(verifier.public_key)
        self.logs.append(PolicyLog(verifier, args[0], args[1] if len(args) == 2 else None))

    def _witness(self, args: list[str]) -> None:
        if len(args) not in (2, 3):
            raise POLICY_MALFORMED("witness takes a name, a vkey and an optional URL")
        if len(self.witnesses) >= MAX_POLICY_WITNESSES:
            raise POLICY_TOO_LARGE(f"more than {MAX_POLICY_WITNESSES} witnesses")
        name = args[0]
        self._new_name(name)
        verifier = CosignatureVerifier(args[1])
        # "Two vkeys are considered duplicate if they wrap the same underlying public key"
        if verifier.public_key in self.witness_keys:
            raise POLICY_KEY_DUPLICATE(f"witness {name}'s key is listed twice")
        self.witness_keys.add(verifier.public_key)
        self.names.add(name)
        self.witnesses.append(PolicyWitness(name, verifier, args[2] if len(args) == 3 else None))

    def _group(self, args: list[str]) -> None:
        if len(args) < 3:
            raise POLICY_MALFORMED("group takes a name, all|any|k and at least one member")
        if len(self.groups) >= MAX_POLICY_GROUPS:
            raise POLICY_TOO_LARGE(f"more than {MAX_POLICY_GROUPS} groups")
        name, rule, members = args[0], args[1], args[2:]
        self._new_name(name)
        for member in members:
            if member == NONE:
                raise POLICY_NAME_UNKNOWN("none cannot be a group member")
            self._known(member)
        # "Each defined name can be listed as a group member at most once."
        if len(set(members)) != len(members):
            raise POLICY_NAME_DUPLICATE(f"group {name} lists a member twice")
        if rule == "all":
            threshold = len(members)
        elif rule == "any":
            threshold = 1
        elif _DECIMAL.fullmatch(rule):
            threshold = int(rule)
        else:
            raise POLICY_THRESHOLD_INVALID(f"group {name}: {rule!r} is not all, any or 1..n")
        # "it is required that 1 <= k <= n"
        if threshold > len(members):
            raise POLICY_THRESHOLD_INVALID(
                f"group {name} needs {threshold} of only {len(members)} members"
            )
        self.names.add(name)
        self.groups.append(PolicyGroup(name, threshold, tuple(members)))

    def _new_name(self, name: str) -> None:
        # "Witnesses and groups share a single namespace"; none is predefined.
        if name in self.names:
            raise POLICY_NAME_DUPLICATE(f"{name!r} is defined twice")

    def _known(self, name: str) -> None:
        if name not in self.names:
            raise POLICY_NAME_UNKNOWN(f"{name!r} is not defined on an earlier line")


def read_policy_file(path: Path, unreadable: Code) -> bytes:
    """A policy file's bytes, read no further than ``MAX_POLICY_BYTES``: a file that cannot be
    read is ``unreadable`` (the reader's own code), a larger one ``policy_too_large``."""
    return read_bounded(path, MAX_POLICY_BYTES, too_large=POLICY_TOO_LARGE, unreadable=unreadable)
