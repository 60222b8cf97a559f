"""Foreign CivicID ledgers a desk or a wallet trusts, each pinned by a trust policy.

A pin names a ledger (a short local name), its URLs (the ledger and its mirrors), its C2SP
tlog-policy (exactly one ``log`` line: the checkpoint key; its witnesses and quorum), the
governance DID its genesis must name, and, for a desk, what it accepts from that ledger: the
credential types, and optionally only some of the issuers accredited there for them.

Pins live in one directory of the part's data (``ledgers.json`` plus the policy files as
given, ``<name>.policy``); every file is validated when it is loaded, and written durably.
Beside them each pin's client keeps the newest checkpoint it accepted (``<name>.checkpoint``)
and the witness policy it accepted it under (``<name>.checkpoint.witness-policy``): both go
with the pin when it is removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from civicid import trust_lock
from civicid.checkpoint_policy import DEFAULT_MAX_AGE, MAX_PINNED_AGE, CheckpointPolicy
from civicid.did import DID, parse_did
from civicid.errors import Error, InvalidInput, NotFound, declare
from civicid.files import fsync_directory, read_bounded
from civicid.keystore import write_private
from civicid.ledger_client import forget_checkpoint, kept_policy_file, ledger_urls
from civicid.tlog_policy import read_policy_file

FEDERATION_INVALID = declare(
    "federation_invalid", InvalidInput, "a pinned foreign ledger is not usable as given"
)
FEDERATION_UNKNOWN = declare("federation_unknown", NotFound, "no foreign ledger of that name")

PINS_FILE: Final = "ledgers.json"
POLICY_SUFFIX: Final = ".policy"
# The newest checkpoint a pin's client accepted (``Federation.open``'s trust file).
TRUST_SUFFIX: Final = ".checkpoint"
# A desk trusts its neighbours' ledgers, not the world's: a few dozen at most, each asked in
# turn when an issuer is not on the local ledger, so the bound also bounds that search.
MAX_FOREIGN_LEDGERS: Final = 16
# Types and named issuers accepted from one ledger: a desk's policies name a handful.
MAX_ACCEPTED: Final = 64
# A type is a URI (``vct``): a few dozen characters; this leaves room for long ones while
# keeping a full index (16 ledgers of 64 types) under MAX_PINS_BYTES.
MAX_TYPE_CHARS: Final = 200
# The index is a few lines per ledger: anything past this is not one people wrote.
MAX_PINS_BYTES: Final = 256 * 1024
# A name is a file name and a label on the desk's page: short, lower case, no path.
NAME_PATTERN: Final = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
# The home ledger's name in routes and decisions: never a pin's, or its DIDs would be answered
# by the local ledger, without the pin's types and issuers.
LOCAL: Final = "local"


@dataclass(frozen=True, slots=True)
class PinnedLedger:
    """One foreign ledger, as pinned: checked when built (valid once made)."""

    name: str
    urls: str  # one URL, or a ledger and its mirrors separated by commas
    policy_text: str  # the C2SP tlog-policy as given
    governance: DID
    types: tuple[str, ...] = ()  # credential types a desk accepts from it (none: nothing)
    issuers: tuple[DID, ...] | None = None  # None: any issuer accredited there for the types
    max_age: int = DEFAULT_MAX_AGE

    def __post_init__(self) -> None:
        if (
            not isinstance(self.name, str)
            or not NAME_PATTERN.fullmatch(self.name)
            or self.name == LOCAL
        ):
            raise FEDERATION_INVALID(
                f"a ledger's name is 1-40 of a-z, 0-9, '-', not {LOCAL!r}: {str(self.name)[:60]!r}"
            )
        try:
            ledger_urls(self.urls)
            self.policy  # noqa: B018  (parsed to refuse a bad file now, not at first use)
            parse_did(self.governance)
            for did in self.issuers or ():
                parse_did(did)
        except Error as exc:
            raise FEDERATION_INVALID(f"ledger {self.name}: {exc.message}", reason=exc.code) from exc
        if self.max_age > MAX_PINNED_AGE:  # a whole number above 0: the policy checked that
            raise FEDERATION_INVALID(
                f"ledger {self.name}: a maximum age of at most {MAX_PINNED_AGE} s"
            )
        if len(self.types) > MAX_ACCEPTED or len(self.issuers or ()) > MAX_ACCEPTED:
            raise FEDERATION_INVALID(f"ledger {self.name}: at most {MAX_ACCEPTED} types, issuers")
        if any(not isinstance(vct, str) or not vct for vct in self.types):
            raise FEDERATION_INVALID(f"ledger {self.name}: a type is a non-empty string")
        if any(len(vct) > MAX_TYPE_CHARS for vct in self.types):
            raise FEDERATION_INVALID(
                f"ledger {self.name}: a type is at most {MAX_TYPE_CHARS} characters"
            )

    @property
    def policy(self) -> CheckpointPolicy:
        """The pinned trust policy; its single ``log`` line is the ledger's checkpoint key."""
        policy = CheckpointPolicy.parse(self.policy_text, max_age=self.max_age)
        if len(policy.witnesses.logs) != 1:
            raise FEDERATION_INVALID(
                f"ledger {self.name}: the policy must name exactly one log (its checkpoint key),"
                f" not {len(policy.witnesses.logs)}"
            )
        return policy

    @property
    def vkey(self) -> str:
        return self.policy.witnesses.logs[0].vkey

    @property
    def origin(self) -> str:
        return self.policy.witnesses.logs[0].origin

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "urls": self.urls,
            "governance": self.governance,
            "types": list(self.types),
            "issuers": None if self.issuers is None else list(self.issuers),
            "max_age": self.max_age,
            # The policy file written with this entry: a replace cut short between the two
            # writes pairs one pin's key with another's types and URLs, refused on load.
            "policy_sha256": policy_digest(self.policy_text),
        }

    @classmethod
    def from_json(cls, data: Any, policy_text: str) -> PinnedLedger:
        try:
            types, issuers = data["types"], data["issuers"]  # every field, as ``to_json`` writes
            if not isinstance(types, list) or not isinstance(issuers, list | None):
                raise TypeError("types and issuers are lists")  # a string is not its letters
            if data["policy_sha256"] != policy_digest(policy_text):
                raise FEDERATION_INVALID(
                    f"ledger {str(data['name'])[:60]!r}: its policy file is not the one pinned"
                    " with it (a change cut short, or edited by hand): pin it again"
                )
            return cls(
                name=str(data["name"]),
                urls=str(data["urls"]),
                policy_text=policy_text,
                governance=DID(str(data["governance"])),
                types=tuple(str(vct) for vct in types),
                issuers=None if issuers is None else tuple(DID(str(d)) for d in issuers),
                max_age=int(data["max_age"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            raise FEDERATION_INVALID(f"a pinned ledger is malformed: {exc!r}") from exc


def policy_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_policy(path: Path) -> str:
    """A tlog-policy file's text (bounded read, UTF-8)."""
    data = read_policy_file(path, FEDERATION_INVALID)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FEDERATION_INVALID(f"{path} is not UTF-8") from exc


# Who may hold a pin's trust file open (``Pins.forgetting``).
RUNNING_WITH_PIN: Final = "a desk or wallet with this pin, or `civicid up` over this data dir"


class Pins:
    """The pinned foreign ledgers kept in ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @property
    def index(self) -> Path:
        return self.directory / PINS_FILE

    def load(self, *, but: str | None = None) -> tuple[PinnedLedger, ...]:
        """Every pin, each validated (its policy file included); none when nothing is pinned.
        ``but``: leave out (unread) the pin of that name, one being replaced or removed."""
        pins = tuple(
            PinnedLedger.from_json(entry, read_policy(self._policy_path(entry)))
            for entry in self._entries()
            if but is None or entry.get("name") != but
        )
        check_unique(pins)
        return pins

    def _entries(self) -> list[dict[str, Any]]:
        """The index's entries, each an object (read within its bound)."""
        if self.directory.exists() and not self.directory.is_dir():
            raise FEDERATION_INVALID(f"{self.directory} is not a directory")
        if not os.path.lexists(self.index):  # a link that leads nowhere is damage: read on
            return []
        try:
            raw = read_bounded(self.index, MAX_PINS_BYTES, too_large=FEDERATION_INVALID)
            data = json.loads(raw)
            entries = data["ledgers"]
            if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
                raise TypeError("ledgers is not a list of objects")
        except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
            raise FEDERATION_INVALID(f"{self.index} cannot be read: {exc}") from exc
        return entries

    def _policy_path(self, entry: dict[str, Any]) -> Path:
        name = entry.get("name")
        if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
            raise FEDERATION_INVALID(f"a pinned ledger's name is malformed: {str(name)[:60]!r}")
        return self.directory / f"{name}{POLICY_SUFFIX}"

    def add(self, pin: PinnedLedger) -> None:
        """Pin ``pin`` (replacing one of the same name): its policy first, then the index, each
        durable before the next; a bad pin leaves every file as it was."""
        pins = [*self.load(but=pin.name), pin]  # the one replaced is not read: it may be broken
        check_unique(pins)
        path = self.directory / f"{pin.name}{POLICY_SUFFIX}"
        before = path.read_bytes() if path.exists() else None  # a pin replaced: its policy
        write_private(path, pin.policy_text.encode())
        try:
            self._save(pins)
        except BaseException:  # the index is as it was: so is the policy it names
            if before is None:
                path.unlink()  # written just above
            else:
                write_private(path, before)
            raise

    def trust_file(self, name: str) -> Path:
        """Where the client of pin ``name`` keeps the newest checkpoint it accepted."""
        return self.directory / f"{name}{TRUST_SUFFIX}"

    def remove(self, name: str) -> None:
        """Unpin ``name``: the index first (it is trusted no more), then its policy, its
        trust file and the witness policy kept beside it, durably. Left behind, the kept
        policy would refuse the name pinned again without witnesses (``witness_policy_lost``)."""
        self.pinned(name)
        with self.forgetting(name):
            self._save(self.load(but=name))  # the one removed is not read: it may be broken
            self.forget_checkpoint(name)
        (self.directory / f"{name}{POLICY_SUFFIX}").unlink(missing_ok=True)
        fsync_directory(self.directory)

    def forgetting(self, name: str) -> AbstractContextManager[None]:
        """Held while pin ``name``'s trust file is forgotten, before anything is changed:
        ``trust_file_in_use`` while a client of it is open (a desk or wallet running with
        the pin keeps its checkpoint in memory, and would write it again at its next one:
        the old ledger's, refused under a new key at the next start)."""
        return trust_lock.alone(self.trust_file(name), RUNNING_WITH_PIN)

    def forget_checkpoint(self, name: str) -> None:
        """Forget what pin ``name``'s client accepted (its trust file, the record that it
        trusted one, and the witness policy kept beside it), durably: for a name unpinned, or
        pinned again under another key. Left behind, the old ledger's checkpoint would be
        refused under the new key at every start (``trust_file_invalid``), its record would
        refuse the new one's first (``trust_file_lost``), and its witness policy would refuse
        a pin without witnesses (``witness_policy_lost``)."""
        trust_file = self.trust_file(name)
        kept_policy_file(trust_file).unlink(missing_ok=True)
        forget_checkpoint(trust_file)  # the trust file, then its record
        fsync_directory(self.directory)

    def pinned(self, name: str) -> None:
        """``federation_unknown`` unless ``name`` is pinned (its entry is not read further)."""
        if all(entry.get("name") != name for entry in self._entries()):
            raise FEDERATION_UNKNOWN(f"no foreign ledger named {name!r}")

    def _save(self, pins: Iterable[PinnedLedger]) -> None:
        body = json.dumps({"ledgers": [p.to_json() for p in pins]}).encode()
        if len(body) > MAX_PINS_BYTES:  # never write an index ``load`` would refuse
            raise FEDERATION_INVALID(f"the pins would exceed {MAX_PINS_BYTES} bytes")
        write_private(self.index, body)


def check_unique(pins: Iterable[PinnedLedger]) -> None:
    """At most ``MAX_FOREIGN_LEDGERS``, no name or checkpoint key pinned twice."""
    pins = list(pins)
    if len(pins) > MAX_FOREIGN_LEDGERS:
        raise FEDERATION_INVALID(f"at most {MAX_FOREIGN_LEDGERS} foreign ledgers")
    names, keys = [p.name for p in pins], [p.vkey for p in pins]
    if len(set(names)) != len(names):
        raise FEDERATION_INVALID("two foreign ledgers share a name")
    if len(set(keys)) != len(keys):
        raise FEDERATION_INVALID("two foreign ledgers share a checkpoint key")


__all__ = [
    "FEDERATION_INVALID",
    "FEDERATION_UNKNOWN",
    "LOCAL",
    "MAX_FOREIGN_LEDGERS",
    "MAX_PINNED_AGE",
    "PinnedLedger",
    "Pins",
    "read_policy",
]
