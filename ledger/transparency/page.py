"""What the transparency page shows, read from the ledger's state as its latest checkpoint
describes it: public bodies by name, their accreditations, credential types and schemas,
counts over time and the checkpoint. Plain data; the template only lays it out.

Nothing here comes from a credential or a citizen: the ledger holds none. Every string from
outside (names, purposes, legal bases, schemas) is shown through the template's escaping.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from civicid import words
from civicid.accreditation import ISSUER
from civicid.checkpoint import Checkpoint
from civicid.console import inert
from civicid.did import DID
from civicid.entitlements import single_use
from civicid.errors import Error
from civicid.names import display_name, display_names
from civicid.tlog_policy import TlogPolicy
from civicid.transaction import Transaction
from ledger.log import Ledger
from ledger.registry import accreditation_json, deactivated_at
from ledger.state import State, visible
from ledger.transparency.charts import REDEEMED, REVOKED, SUSPENDED, Chart, chart
from ledger.transparency.rules import RuleRow, issuance_rules
from ledger.transparency.tally import Counts, Series, Tally
from ledger.transparency.times import when
from ledger.transparency.type_names import TypeShown, claim_labels, type_shown
from ledger.transparency.witnesses import Witness, quorum_words, witnessed, witnesses

# A page a person reads, and a bound on its cost: past these, the page says how many more
# there are and where the JSON lists them all (/accreditations, /credential-types).
MAX_BODIES: Final = 500
MAX_ACCREDITATIONS: Final = 1000
MAX_TYPES: Final = 200
MAX_CHARTS: Final = 50  # agencies with a chart, most places first
# A schema is shown as logged, up to this many characters (the ledger bounds a type's entry
# at MAX_TX_BYTES; a page need not carry a megabyte of one).
MAX_SCHEMA_CHARS: Final = 20_000
ROLE_WORDS: Final = {
    "governance": "Governance",
    "agency": "Agency",
    "service-desk": "Service desk",
}
STATUS_COLUMNS: Final = (
    ("lists", "Lists"),
    ("places", "Status entries"),
    ("revoked", "Revoked entries"),
    ("suspended", "Suspended entries"),
)


@dataclass(frozen=True, slots=True)
class Body:
    did: str
    role: str
    name: str
    lang: str  # the language of ``name`` (BCP 47), for the page's lang attribute
    names: tuple[tuple[str, str], ...]  # every (language, name) it registered
    created: str
    deactivated: bool


@dataclass(frozen=True, slots=True)
class AccreditationRow:
    id: str
    subject: str
    subject_name: str
    kind: str  # "issue" or "verify"
    # Each type it may issue (claims ""), or may ask claims of (those claims, in a line).
    what: tuple[tuple[TypeShown, str], ...]
    since: str
    until: str
    purpose: str
    legal_basis: str
    status: str
    revoked: str | None  # "when: reason" once revoked


@dataclass(frozen=True, slots=True)
class TypeRow:
    vct: str
    name: str
    description: str
    issuer: str
    issuer_name: str
    version: int
    registered: str
    schema: str
    schema_cut: bool
    single_use: bool  # redeemed once, at a distribution point


@dataclass(frozen=True, slots=True)
class AgencyCounts:
    did: str
    name: str
    counts: Counts
    chart: Chart
    types: tuple[str, ...] = ()  # the types it registered: its lists are theirs together


@dataclass(frozen=True, slots=True)
class DeskRedemptions:
    did: str
    name: str
    count: int
    by_type: tuple[tuple[TypeShown, int], ...]
    chart: Chart


@dataclass(frozen=True, slots=True)
class CheckpointView:
    origin: str
    size: int
    root_hex: str
    key: str  # the checkpoint key (vkey) the genesis names
    newest: str  # when the newest entry was signed
    witnesses: tuple[Witness, ...]
    verified: bool  # the cosignatures were verified with the ledger's witness policy
    quorum: str  # the policy's quorum, in words
    witness_keys: tuple[str, ...]  # the policy's witness keys, for the browser to check


@dataclass(frozen=True, slots=True)
class Page:
    checkpoint: CheckpointView | None
    bodies: tuple[Body, ...]
    bodies_more: int
    accreditations: tuple[AccreditationRow, ...]
    accreditations_more: int
    types: tuple[TypeRow, ...]
    types_more: int
    agencies: tuple[AgencyCounts, ...]
    total: AgencyCounts | None
    rules: tuple[RuleRow, ...]
    redemptions: tuple[DeskRedemptions, ...]
    generated: str


@dataclass
class Names:
    """Display names by DID, from each DID's first document (the one governance endorsed,
    which no later version can change): read once, kept."""

    found: dict[str, dict[str, str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def of(self, state: State, did: str) -> dict[str, str]:
        with self.lock:
            cached = self.found.get(did)
        if cached is not None:
            return cached
        record = state.dids.get(DID(did))
        names: dict[str, str] = {}
        if record is not None and record.versions:
            try:
                document = state.document_data(record.versions[0])
                names = display_names(document) if document is not None else {}
            except Error:
                names = {}  # the ledger refuses malformed names: nothing to show then
        with self.lock:
            self.found[did] = names
        return names


class Transparency:
    """The page's state for one ledger: its tally and the names read so far."""

    def __init__(self) -> None:
        self.tally = Tally()
        self.names = Names()
        self.rule_texts: dict[int, Any] = {}  # a published rule's words, by its entry

    def name(self, state: State, did: str, languages: Sequence[str]) -> str:
        return inert(display_name(self.names.of(state, did), languages, fallback=did))

    def page(
        self, ledger: Ledger, languages: Sequence[str], policy: TlogPolicy | None = None
    ) -> Page:
        """The page as ``ledger`` now stands. ``ledger`` may be another object over the same
        log each time (a mirror opens its copy again as it grows): the tally goes on."""
        view = ledger.view
        size, state = view.size, ledger.state
        now = int(ledger.clock())
        if size < self.tally.size:  # not the log the tally took in: start again
            self.tally = Tally()
        self.tally.advance(state, size)
        bodies, bodies_more = self._bodies(state, size, languages)
        accreditations, accreditations_more = self._accreditations(state, size, now, languages)
        types, types_more = self._types(state, size, languages)
        return Page(
            checkpoint=self._checkpoint(ledger, view.checkpoint, size, now, policy),
            bodies=bodies,
            bodies_more=bodies_more,
            accreditations=accreditations,
            accreditations_more=accreditations_more,
            types=types,
            types_more=types_more,
            agencies=self._agencies(state, size, now, languages),
            total=self._total(now),
            rules=issuance_rules(
                state, size, lambda did: self.name(state, did, languages), self.rule_texts
            ),
            redemptions=self._redemptions(state, size, now, languages),
            generated=when(now),
        )

    def _bodies(
        self, state: State, size: int, languages: Sequence[str]
    ) -> tuple[tuple[Body, ...], int]:
        records = [r for r in list(state.dids.values()) if r.versions and r.versions[0].seq < size]
        shown = []
        for record in records[:MAX_BODIES]:
            names = self.names.of(state, record.did)
            chosen = display_name(names, languages, fallback="")
            shown.append(
                Body(
                    did=record.did,
                    role=ROLE_WORDS.get(record.role, inert(record.role)),
                    name=inert(chosen),
                    lang=next((inert(tag) for tag, name in names.items() if name == chosen), ""),
                    names=tuple((inert(tag), inert(name)) for tag, name in names.items()),
                    created=when(record.versions[0].time),
                    deactivated=deactivated_at(state, record.did, size) is not None,
                )
            )
        return tuple(shown), len(records) - len(shown)

    def _accreditations(
        self, state: State, size: int, now: int, languages: Sequence[str]
    ) -> tuple[tuple[AccreditationRow, ...], int]:
        records = sorted(
            (r for r in list(state.accreditations.values()) if r.seq < size),
            key=lambda r: r.seq,
        )
        rows = []
        for record in records[:MAX_ACCREDITATIONS]:
            grant = record.grant
            data = accreditation_json(record, size, now, deactivated_at(state, grant.subject, size))
            if grant.kind == ISSUER:
                what = tuple((type_shown(state, size, vct), "") for vct in grant.credential_types)
            else:
                # Each claim by the label its type registers on the ledger ("Date of
                # birth"), as the wallet and the desk show it; else its name in words.
                what = tuple(
                    (
                        type_shown(state, size, vct),
                        ", ".join(
                            inert(words.claim(n, claim_labels(state, size, (vct,)))) for n in names
                        ),
                    )
                    for vct, names in grant.claims
                )
            revoked = data.get("revoked")
            rows.append(
                AccreditationRow(
                    id=inert(grant.id),
                    subject=grant.subject,
                    subject_name=self.name(state, grant.subject, languages),
                    kind="issue" if grant.kind == ISSUER else "verify",
                    what=what,
                    since=when(grant.valid_from),
                    until=when(grant.valid_until),
                    purpose=inert(grant.purpose),
                    legal_basis=inert(grant.legal_basis),
                    status=str(data["status"]),
                    revoked=(
                        f"{when(revoked['time'])}: {inert(revoked['reason'])}" if revoked else None
                    ),
                )
            )
        return tuple(rows), len(records) - len(rows)

    def _types(
        self, state: State, size: int, languages: Sequence[str]
    ) -> tuple[tuple[TypeRow, ...], int]:
        latest = [visible(v, size) for v in list(state.credential_types.values())]
        versions = sorted((v[-1] for v in latest if v), key=lambda v: v.seq)
        rows = []
        for version in versions[:MAX_TYPES]:
            document = version.metadata.document
            schema = json.dumps(version.schema, indent=2, ensure_ascii=False, sort_keys=True)
            rows.append(
                TypeRow(
                    vct=inert(version.metadata.vct),
                    name=inert(document.get("name") or version.metadata.vct),
                    description=inert(document.get("description") or ""),
                    issuer=version.issuer,
                    issuer_name=self.name(state, version.issuer, languages),
                    version=version.number,
                    registered=when(version.time),
                    # Shown in <pre>: line breaks kept, anything else inert.
                    schema="\n".join(inert(line) for line in schema[:MAX_SCHEMA_CHARS].split("\n")),
                    schema_cut=len(schema) > MAX_SCHEMA_CHARS,
                    single_use=single_use(document),
                )
            )
        return tuple(rows), len(versions) - len(rows)

    def _agencies(
        self, state: State, size: int, now: int, languages: Sequence[str]
    ) -> tuple[AgencyCounts, ...]:
        series = sorted(
            self.tally.series.items(), key=lambda item: (-item[1].latest.places, item[0])
        )
        registered: dict[str, list[str]] = {}
        for logged in list(state.credential_types.values()):
            versions = visible(logged, size)
            if versions:
                document = versions[-1].metadata.document
                name = document.get("name") or versions[-1].metadata.vct
                registered.setdefault(versions[0].issuer, []).append(inert(name))
        shown = []
        for did, one in series[:MAX_CHARTS]:
            name = self.name(state, did, languages)
            chart_ = status_chart(name, one, now)
            types = tuple(registered.get(did, ())[:MAX_TYPES])
            shown.append(AgencyCounts(did, name, one.latest, chart_, types))
        return tuple(shown)

    def _total(self, now: int) -> AgencyCounts | None:
        if not self.tally.all.times:
            return None
        name = "Every agency"
        everyone = self.tally.all
        return AgencyCounts("", name, everyone.latest, status_chart(name, everyone, now))

    def _redemptions(
        self, state: State, size: int, now: int, languages: Sequence[str]
    ) -> tuple[DeskRedemptions, ...]:
        desks = sorted(self.tally.redeemed.items(), key=lambda item: (-item[1].count, item[0]))
        shown = []
        for did, redeemed in desks[:MAX_CHARTS]:
            name = self.name(state, did, languages)
            drawn = chart(
                f"Entitlements redeemed at {name} over time",
                redeemed.sampled(now),
                (REDEEMED,),
                (("redeemed", "Redeemed"),),
                f"{name} has redeemed nothing.",
            )
            by_type = tuple(
                (type_shown(state, size, v), n) for v, n in sorted(redeemed.by_type.items())
            )
            shown.append(DeskRedemptions(did, name, redeemed.count, by_type, drawn))
        return tuple(shown)

    def _checkpoint(
        self, ledger: Ledger, note: str, size: int, now: int, policy: TlogPolicy | None
    ) -> CheckpointView | None:
        state = ledger.state
        if not note or state.origin is None or state.checkpoint_vkey is None:
            return None
        text, _, signatures = note.partition("\n\n")
        checkpoint = Checkpoint.parse_body(text + "\n")
        key_name = state.checkpoint_vkey.split("+", 1)[0]
        newest = Transaction.parse(ledger.entry(size - 1)).iat
        found = (
            witnessed(note, policy, now)
            if policy is not None
            else witnesses(signatures, key_name, now)
        )
        return CheckpointView(
            origin=inert(checkpoint.origin),
            size=checkpoint.size,
            root_hex=checkpoint.root.hex(),
            key=inert(state.checkpoint_vkey),
            newest=when(newest),
            witnesses=found,
            verified=policy is not None,
            quorum=quorum_words(policy, found) if policy is not None else "",
            witness_keys=(
                tuple(inert(w.verifier.vkey) for w in policy.witnesses) if policy else ()
            ),
        )


def status_chart(name: str, series: Series, now: int) -> Chart:
    return chart(
        f"Revoked and suspended status entries of {name} over time",
        series.sampled(now),
        (REVOKED, SUSPENDED),
        STATUS_COLUMNS,
        f"{name} has published no status list.",
    )
