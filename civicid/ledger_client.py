"""The ledger client: every answer is checked against a checkpoint the client verified, and
every entry it relies on for its signer's authority at that point of the log.

The client pins the ledger's checkpoint key (its vkey, published at ``ledger init``), and
remembers the last checkpoint it trusted; a ledger whose new checkpoint is not provably an
extension of that one (RFC 9162 consistency proof) is refused as forked or rolled back, and an
answer proven only against an older checkpoint than the trusted one is refused as stale.
A DID is believed only through its whole history, verified version by version from its
creation (``civicid.authority``); governance's starts at the genesis, which must name this
client's checkpoint key. What was verified is cached: later answers re-check only what is new.

Given a ledger and its mirrors, the client asks them in turn: the next one when a server cannot
be reached or fails (5xx), and, for a read, when its answer fails verification (a lying or
lagging mirror listed first must not stop a client the others would answer). An answer is
never believed unproven: when every server's fails, the first failure is raised, naming the
server whose answer it was.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Concatenate, Final, ParamSpec, TypeVar
from urllib.parse import quote, urlsplit

import httpx

from civicid import statemap, trust_lock, wire
from civicid.authority import (
    ASSERTION,
    Chain,
    Entry,
    check_genesis,
    verify_chain,
)
from civicid.checkpoint import NOTE_UNKNOWN_KEY, Checkpoint, NoteVerifier, open_checkpoint
from civicid.checkpoint_policy import CHECKPOINT_QUORUM_MISSING, CheckpointPolicy, Witnessed
from civicid.did import DID, split_key_id
from civicid.errors import (
    Code,
    Error,
    InvalidInput,
    Refused,
    StorageError,
    Unavailable,
    VerificationError,
    declare,
)
from civicid.files import fsync_directory, read_bounded, why_not_written
from civicid.http import (
    DEFAULT_DEADLINE,
    DEFAULT_TIMEOUT,
    HTTP_DEADLINE,
    HTTP_RESPONSE_MALFORMED,
    HTTP_RESPONSE_TOO_LARGE,
    HTTP_UNREACHABLE,
    MAX_RESPONSE_BYTES,
    STATUS_ERRORS,
    Answer,
    HttpClient,
)
from civicid.jose import PublicKey
from civicid.keystore import write_private
from civicid.merkle import leaf_hash, verify_consistency, verify_inclusion
from civicid.proven import (
    LEDGER_ANSWER_MALFORMED,
    ProvenStatusList,
    ProvenType,
    TrustAnswer,
)
from civicid.registry_client import ProvenGrants, RegistryClient, check_latest
from civicid.statemap import root_in
from civicid.status_list import TYP as STATUS_LIST_TYP
from civicid.times import Clock, parse_time, system_clock
from civicid.tlog_policy import MAX_POLICY_BYTES, TlogPolicy
from civicid.transaction import GENESIS, GENESIS_MISSING, Transaction

LEDGER_FORKED = declare(
    "ledger_forked", VerificationError, "the ledger shows two different logs of one size"
)
LEDGER_INCONSISTENT = declare(
    "ledger_inconsistent", VerificationError, "the ledger's checkpoints are not one growing log"
)
LEDGER_ANSWER_STALE = declare(
    "ledger_answer_stale",
    VerificationError,
    "the answer is proven against an older checkpoint than one already trusted",
)
LEDGER_KEY_NOT_GENESIS = declare(
    "ledger_key_not_genesis",
    VerificationError,
    "the pinned checkpoint key is not the one the ledger's genesis names",
)
RESOLUTION_UNPROVEN = declare(
    "resolution_unproven", VerificationError, "the resolution carries no proof"
)
RESOLUTION_MISMATCH = declare(
    "resolution_mismatch", VerificationError, "the resolution differs from its proven entry"
)
LEDGER_ANSWER_UNPROVEN = declare(
    "ledger_answer_unproven", VerificationError, "the ledger's answer carries no proof"
)
LEDGER_URL_INVALID = declare(
    "ledger_url_invalid", InvalidInput, "a ledger URL is not an http(s) URL with a host"
)
# A ledger's error answer to a read proves nothing, and its code is the ledger's choice: a
# lying one would pick the words a desk or wallet shows (``status_revoked``). The client says
# it in its own code; the ledger's status, code and words are kept in the error's details.
LEDGER_REFUSED = declare(
    "ledger_refused", Unavailable, "the ledger refused to answer (HTTP 4xx), which proves nothing"
)
LEDGER_FAILED = declare("ledger_failed", Unavailable, "the ledger failed to answer (HTTP 5xx)")
LEDGER_CONTENT_TYPE = declare(
    "ledger_content_type", Unavailable, "the ledger answered with the wrong content type"
)
TRUST_FILE_INVALID = declare(
    "trust_file_invalid",
    StorageError,
    "the newest checkpoint this client accepted, kept on disk, is damaged",
)
TRUST_FILE_LOST = declare(
    "trust_file_lost",
    Refused,
    "this client trusted a checkpoint before, and the file that keeps it is gone",
)
WITNESS_POLICY_LOST = declare(
    "witness_policy_lost",
    Refused,
    "this client accepted checkpoints under a witness policy, and is now given none",
)
TRUST_FILE_WRITE_FAILED = declare(
    "trust_file_write_failed",
    StorageError,
    "could not keep the newest checkpoint this client accepted on disk",
)
WITNESS_POLICY_RECORD_INVALID = declare(
    "witness_policy_record_invalid",
    StorageError,
    "the witness policy this client last accepted a checkpoint under, kept on disk, is damaged",
)

# A ledger and its mirrors: a client asks them in turn, so a few are plenty.
MAX_LEDGER_URLS: Final = 16
CLIENT_ERROR: Final = 400  # from 400 up to SERVER_ERROR: a refusal, which proves nothing
SERVER_ERROR: Final = 500  # an answer from 500 up: the server failed, another may not
STATUS_LIST_MEDIA: Final = f"application/{STATUS_LIST_TYP}"  # Token Status List §8.1
# Verified DID histories kept: a verifier or wallet meets a few hundred issuers at most; past
# this the cache starts over (each history is re-verified on its next use, nothing is lost).
MAX_CACHED_CHAINS: Final = 4096
# How long ``confirm`` waits for witnesses to cosign a checkpoint covering a new entry, when
# the trust policy asks for them: the ledger asks them at once, so on a healthy set-up this
# takes milliseconds; past it the entry is logged but not yet witnessed, and the error says so.
WITNESSED_WAIT: Final = 15.0
FIRST_POLL: Final = 0.01  # then doubling, up to MAX_POLL: a quick answer is seen quickly
MAX_POLL: Final = 0.25
# Leaf hashes of entries whose signature was checked (32 bytes each): a client relies on a
# few thousand grants, types and lists at most.
MAX_VERIFIED_ENTRIES: Final = 65_536
# A trust file is one signed checkpoint with its cosignatures: a few hundred bytes, a few KiB
# with the 64 witnesses a policy may name. Anything past this is not one a client wrote.
MAX_TRUST_FILE_BYTES: Final = 64 * 1024
# Beside the trust file, the witness policy the client last accepted a checkpoint under
# (its canonical text, as ``TlogPolicy.to_text`` writes it): what tells a client whose
# policy setting was lost from one that never had a policy.
KEPT_POLICY_SUFFIX: Final = ".witness-policy"
# The kept policy is a policy written back: bounded as a policy file is.
MAX_KEPT_POLICY_BYTES: Final = MAX_POLICY_BYTES
FORGET_WITNESSES: Final = "civicid wallet|verifier|issuer forget-witnesses"
# Beside the trust file, the record that the client trusted a checkpoint (the tree size of the
# first one, in decimal): what tells a client whose trust file was lost (deleted, damaged
# disk, a restore that left it out) from one that never trusted any. Without it, a lost
# trust file would be a first run: the ledger's next checkpoint trusted on first use, a
# rolled-back or forked ledger's included.
TRUSTED_RECORD_SUFFIX: Final = ".trusted"
MAX_TRUSTED_RECORD_BYTES: Final = 32  # a tree size in decimal: 20 digits at most
FORGET_CHECKPOINT: Final = "civicid wallet|verifier|issuer forget-checkpoint"
# The same, for the other clients that keep a trust file and its record.
FORGET_UP_CHECKPOINT: Final = "civicid up --forget-checkpoint"
FORGET_MIRROR_CHECKPOINT: Final = "civicid ledger forget-mirror-checkpoint"
FORGET_PIN_CHECKPOINT: Final = "civicid wallet|verifier federate forget-checkpoint NAME"
FORGET_CLIENT_CHECKPOINT: Final = "civicid ledger forget-client-checkpoint"
# Who may hold a part's trust file open while it runs (``forget_checkpoint_command``).
RUNNING_CLIENTS: Final = "the part itself, or `civicid up` over this data dir"

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")


def forget_witnesses(path: Path) -> str:
    """How to forget the kept policy at ``path``, for each kind of client: a ledger mirror or
    monitor, and a pinned foreign ledger's client, have no command for it."""
    return (
        f"{FORGET_WITNESSES} for a part's own ledger; for a ledger mirror or monitor, or a"
        f" pinned foreign ledger, remove {path} (federate remove NAME removes a pin's with it)"
    )


def ledger_urls(text: str) -> list[str]:
    """The ledger's URLs (a ledger and its mirrors), in the order to ask them: one URL, or
    several separated by commas (how every ``ledger_url`` setting takes them)."""
    urls = [url.strip().rstrip("/") for url in text.split(",")]
    if not 0 < len(urls) <= MAX_LEDGER_URLS:
        raise LEDGER_URL_INVALID(f"give 1 to {MAX_LEDGER_URLS} ledger URLs")
    for url in urls:
        # No control, format or space character: none belongs in a URL, and the HTTP
        # library would refuse it only at the first request.
        if not url.isprintable() or any(c.isspace() for c in url):
            raise LEDGER_URL_INVALID(f"a ledger's URL is one printable word: {url!r}")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
            raise LEDGER_URL_INVALID(f"a ledger's URL is an http(s) URL with a host: {url!r}")
        try:
            port = parts.port  # a port past 65535 or not a number raises here
        except ValueError:
            port = 0
        if port == 0:
            raise LEDGER_URL_INVALID(f"a ledger's URL names a port from 1 to 65535: {url!r}")
        # A name and password would be printed in every message naming the ledger; a ledger
        # is public and asks for none.
        if parts.username is not None or parts.password is not None:
            raise LEDGER_URL_INVALID(f"a ledger's URL has no user name or password: {url!r}")
    return urls


def forget_checkpoint_hint(trust_file: Path) -> str:
    """How to forget the checkpoint kept in ``trust_file``, for each kind of client."""
    return (
        f"{FORGET_CHECKPOINT} for a part's own ledger, {FORGET_UP_CHECKPOINT} for up's own,"
        f" {FORGET_MIRROR_CHECKPOINT} for a ledger mirror or monitor, {FORGET_PIN_CHECKPOINT}"
        f" for a pinned foreign ledger, {FORGET_CLIENT_CHECKPOINT} for `ledger resolve --ledger`"
        f" and the governance commands given a ledger's URL; for another client, remove"
        f" {trust_file}"
        f" and {trusted_record_file(trust_file)}"
    )


def trusted_record_file(trust_file: Path) -> Path:
    """Where a client records, beside ``trust_file``, that it trusted a checkpoint."""
    return trust_file.with_name(trust_file.name + TRUSTED_RECORD_SUFFIX)


def read_trusted_record(trust_file: Path) -> int | None:
    """The tree size recorded beside ``trust_file`` when the client first trusted a
    checkpoint, or None if it never did. Anything else there, an empty file included, is
    ``trust_file_invalid``: a damaged record read as none would make a lost trust file a
    first run."""
    path = trusted_record_file(trust_file)
    if not os.path.lexists(path):  # a link that leads nowhere is damage, not absence
        return None
    fix = (
        "it records that this client trusted a checkpoint, so that losing the trust file is"
        f" not read as a first run: restore it from a backup, or forget both"
        f" ({forget_checkpoint_hint(trust_file)})"
    )
    raw = read_bounded(
        path,
        MAX_TRUSTED_RECORD_BYTES,
        too_large=TRUST_FILE_INVALID,
        message=f"{path} exceeds {MAX_TRUSTED_RECORD_BYTES} bytes; {fix}",
        unreadable=TRUST_FILE_INVALID,
        not_regular=TRUST_FILE_INVALID,
    )
    text = raw.decode("ascii", errors="replace")
    digits = text.removesuffix("\n")
    # Written only as a tree size in decimal and a newline (``_remember_trusted``).
    if not (digits.isascii() and digits.isdigit()) or text != f"{int(digits)}\n":
        raise TRUST_FILE_INVALID(f"{path} is not a record this client wrote; {fix}")
    return int(digits)


def check_trust_file(trust_file: Path) -> int | None:
    """``trust_file_lost`` when the client of ``trust_file`` trusted a checkpoint before (its
    record beside it says so) and ``trust_file`` is gone: it would trust the ledger's next
    checkpoint on first use, a rolled-back or forked ledger's included. The recorded tree size,
    or None for a client that never trusted one."""
    size = read_trusted_record(trust_file)
    if size is not None and not trust_file.exists():  # a link that leads nowhere too
        raise TRUST_FILE_LOST(
            f"{trust_file} is gone, and this client trusted a checkpoint before (the first at"
            f" tree size {size}, recorded in {trusted_record_file(trust_file)}): without it, it"
            " would trust whatever the ledger shows next, a rolled-back or forked ledger"
            " included. Restore it from a backup, or, to trust the ledger's next checkpoint"
            f" on first use as a new client does, forget it: {forget_checkpoint_hint(trust_file)}"
        )
    return size


def forget_checkpoint(trust_file: Path) -> bool:
    """Forget the checkpoint kept in ``trust_file`` (a damaged one too) and the record that
    one was trusted: the one way to let a client that trusted a checkpoint trust the ledger's
    next one on first use again. Whether there was either; removed durably, the trust file
    first (a crash between the two leaves the record, and the client refuses to start)."""
    kept = remove_durably(trust_file, TRUST_FILE_INVALID)
    recorded = remove_durably(trusted_record_file(trust_file), TRUST_FILE_INVALID)
    return kept or recorded


def remove_durably(path: Path, code: Code) -> bool:
    """Remove ``path`` (a link itself, not what it leads to) and sync its directory: whether
    it was there. A removal that fails is ``code``, naming the file."""
    if not os.path.lexists(path):
        return False
    try:
        if path.is_dir() and not path.is_symlink():
            path.rmdir()  # an empty directory in the file's place; one holding files is refused
        else:
            path.unlink()
        fsync_directory(path.parent)
    except OSError as exc:
        raise code(f"cannot remove {path}: {exc.strerror}") from exc
    return True


def forget_checkpoint_command(
    trust_file: Path, running: str = RUNNING_CLIENTS
) -> tuple[dict[str, Any], str]:
    """``forget-checkpoint``: forget the checkpoint kept in ``trust_file`` and its record;
    ``trust_file_in_use`` while a client of it is open (``running``: which ones may be), as a
    running part would write its checkpoint again. What was done, as data and as a line."""
    with trust_lock.alone(trust_file, running):
        forgotten = forget_checkpoint(trust_file)
    data = {"forgotten": forgotten, "file": str(trust_file)}
    if not forgotten:
        return data, f"no checkpoint was kept ({trust_file}): nothing to forget"
    return data, (
        f"forgot {trust_file}: the ledger's next checkpoint is trusted on first use, as a new"
        " client's is"
    )


def kept_policy_file(trust_file: Path) -> Path:
    """Where a client keeps, beside ``trust_file``, the witness policy it last accepted a
    checkpoint under."""
    return trust_file.with_name(trust_file.name + KEPT_POLICY_SUFFIX)


def read_kept_policy(trust_file: Path) -> str | None:
    """The witness policy kept beside ``trust_file`` (its text), or None if none ever was.
    Anything else there, an empty file included, is ``witness_policy_record_invalid``: a
    damaged record read as none would let the client trust the ledger's signature alone."""
    path = kept_policy_file(trust_file)
    if not os.path.lexists(path):  # a link that leads nowhere is damage, not absence
        return None
    fix = (
        "it is the witness policy this client last accepted a checkpoint under, kept so that"
        " losing the policy setting is not read as having none: restore it from a backup, or"
        f" forget it ({forget_witnesses(path)})"
    )
    raw = read_bounded(
        path,
        MAX_KEPT_POLICY_BYTES,
        too_large=WITNESS_POLICY_RECORD_INVALID,
        message=f"{path} exceeds {MAX_KEPT_POLICY_BYTES} bytes; {fix}",
        unreadable=WITNESS_POLICY_RECORD_INVALID,
        not_regular=WITNESS_POLICY_RECORD_INVALID,
    )
    try:
        text = raw.decode("utf-8")
        policy = TlogPolicy.parse(text)
    except UnicodeDecodeError as exc:
        raise WITNESS_POLICY_RECORD_INVALID(f"{path} is not UTF-8; {fix}") from exc
    except Error as exc:
        raise WITNESS_POLICY_RECORD_INVALID(
            f"{path} is damaged ({exc.message}); {fix}", reason=exc.code
        ) from exc
    # Written only as a policy's canonical text, and only for one that asks for witnesses.
    if policy.to_text() != text or policy.evaluate(()).met:
        raise WITNESS_POLICY_RECORD_INVALID(f"{path} is not a policy this client kept; {fix}")
    return text


def check_kept_policy(trust_file: Path, policy: CheckpointPolicy) -> str | None:
    """The witness policy kept beside ``trust_file`` (``read_kept_policy``), refused as
    ``witness_policy_lost`` when ``policy`` asks for no witness: the setting that named one
    was lost (an emptied or deleted settings file), and the client would trust the ledger's
    signature alone, a split view included. Another policy that asks for witnesses is the
    operator's choice: it is kept in its place at the next checkpoint accepted."""
    kept = read_kept_policy(trust_file)
    if kept is not None and not policy.requires_witnesses:
        path = kept_policy_file(trust_file)
        raise WITNESS_POLICY_LOST(
            f"this client accepted checkpoints under a witness policy ({path}) and is given"
            " none now: without it, it would believe the ledger's signature alone. Restore the"
            " witness_policy setting (the policy last used is the text of that file), or, to"
            f" trust the ledger alone from now on, forget it: {forget_witnesses(path)}"
        )
    return kept


def forget_kept_policy(trust_file: Path) -> bool:
    """Forget the witness policy kept beside ``trust_file`` (a damaged record too): the one
    way to let a client that ran under witnesses trust the ledger's signature alone again.
    Whether there was one; removed durably."""
    return remove_durably(kept_policy_file(trust_file), WITNESS_POLICY_RECORD_INVALID)


def _may_ask_another(error: Error, method: str) -> bool:
    """Whether another server may be asked after ``error``: any read that found no server
    or no answer in time; a write only when the connection itself was refused."""
    if method == "GET":
        return HTTP_UNREACHABLE.matches(error) or HTTP_DEADLINE.matches(error)
    return HTTP_UNREACHABLE.matches(error) and isinstance(error.__cause__, httpx.ConnectError)


def _unproven(error: Error) -> bool:
    """Whether ``error`` says a server's answer was not proven (a proof that fails, an answer
    unreadable, missing its proof or behind one already trusted): another may answer right."""
    return isinstance(error, VerificationError) or any(
        code.matches(error)
        for code in (HTTP_RESPONSE_MALFORMED, HTTP_RESPONSE_TOO_LARGE, LEDGER_CONTENT_TYPE)
    )


def told_by_ledger(status: int, told: Error) -> Error:
    """``told``, the error a ledger answered a read with (HTTP ``status``), as the client's
    own: ``ledger_refused`` (4xx) or ``ledger_failed`` (5xx), the ledger's code and words
    kept in details, never made the code. Anything else (a redirect not followed: the
    client's own code already) is ``told`` itself."""
    if status < CLIENT_ERROR:
        return told
    code = LEDGER_REFUSED if status < SERVER_ERROR else LEDGER_FAILED
    return code(
        f"the ledger answered HTTP {status}; its error is in the details, and proves nothing",
        ledger_status=status,
        ledger_code=told.code,
        ledger_message=told.message if told.message != f"HTTP {status}" else "",
    )


@dataclass(slots=True)
class Turn:
    """One read asked of the servers in turn: which server answered last, the last refusal
    a server answered without proof (a 4xx: a server can say "no" to anything), and the
    servers whose answers failed verification or were such refusals (not asked again)."""

    answered: HttpClient | None = None
    told: Error | None = None
    refused: list[tuple[HttpClient, Error]] = field(default_factory=list)

    def passed_over(self, server: HttpClient) -> bool:
        return any(server is liar for liar, _ in self.refused)


def proven_read(
    method: Callable[Concatenate[LedgerClient, P], R],
) -> Callable[Concatenate[LedgerClient, P], R]:
    """``method`` (requests, and the verification of their answers) asked of the ledger's
    servers in turn (``LedgerClient.in_turn``)."""

    @functools.wraps(method)
    def asked(self: LedgerClient, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.in_turn(lambda: method(self, *args, **kwargs))

    return asked


@contextmanager
def reading(what: str) -> Iterator[None]:
    """Turn a malformed answer (missing member, wrong type) into ``ledger_answer_malformed``."""
    try:
        yield
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise LEDGER_ANSWER_MALFORMED(f"unreadable {what}: {exc!r}") from exc


@dataclass(frozen=True, slots=True)
class ResolvedDid:
    did: str
    document: dict[str, Any] | None
    metadata: dict[str, Any]
    seq: int
    checkpoint: Checkpoint
    chain: Chain | None = None  # the DID's history, verified from its creation

    @property
    def deactivated(self) -> bool:
        return bool(self.metadata.get("deactivated"))


@dataclass(frozen=True, slots=True)
class KnownChain:
    """A verified history and the tree size of the checkpoint it was proven against."""

    chain: Chain
    size: int


class LedgerClient:
    """A ledger's answers, each verified against a checkpoint signed by the pinned key.

    ``transport`` replaces the network (tests; an in-process app); every call is bounded by
    ``timeout`` per operation and ``deadline`` overall (``civicid.http``).
    """

    def __init__(
        self,
        base_url: str,
        vkey: str,
        *,
        trust_file: Path | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        deadline: float = DEFAULT_DEADLINE,
        max_bytes: int = MAX_RESPONSE_BYTES,
        clock: Clock = system_clock,
        policy: CheckpointPolicy | None = None,
        remember: bool = False,
    ) -> None:
        """With ``remember`` (a client with a command to forget its checkpoint: the wallet,
        desk and issuer, ``up``, a ledger mirror or monitor, a pinned foreign ledger's, ``ledger
        resolve --ledger`` and the governance commands given a URL), record
        beside ``trust_file`` that a checkpoint was trusted (``trusted_record_file``); any
        client refuses to start with ``trust_file_lost`` once that record is there and the
        trust file is gone."""
        self.vkey = vkey
        self.clock = clock
        self.verifier = NoteVerifier(vkey)
        self.origin = self.verifier.name
        self.policy = policy if policy is not None else CheckpointPolicy()
        self.policy.check_log(self.verifier, vkey)
        # The policy kept beside the trust file when a checkpoint is accepted under it.
        self._policy_text = (
            self.policy.witnesses.to_text() if self.policy.requires_witnesses else None
        )
        self.witnessed: Witnessed | None = None  # how the trusted checkpoint was accepted
        self.trust_file = trust_file
        self.urls = ledger_urls(base_url)
        # One client per server, the ledger and its mirrors, asked in turn (``_request``).
        self.servers = [
            HttpClient(
                url, timeout=timeout, deadline=deadline, max_bytes=max_bytes, transport=transport
            )
            for url in self.urls
        ]
        self.http = self.servers[0]  # the server that answered last: asked first
        self._turns = threading.local()  # each thread's read in progress (``in_turn``)
        self._trusted_note: str | None = None
        # Checkpoints are accepted one at a time: a thread checking an older one must not
        # replace a newer one another thread trusted meanwhile.
        self._accepting = threading.RLock()
        self._kept_policy: str | None = None
        self._remember = remember and trust_file is not None
        self._recorded: int | None = None  # the tree size recorded as first trusted
        self._unkept = False  # the trusted checkpoint's note not yet written (``_trust``)
        # Held while this client is open: a forget-checkpoint is refused meanwhile.
        self._held = None if trust_file is None else trust_lock.hold(self, trust_file)
        try:
            self._open_trusted(trust_file)
        except BaseException:
            self.close()
            raise
        self._verified: set[bytes] = set()  # leaf hashes of entries whose signature checked
        self._governance: DID | None = None
        self._registry: RegistryClient | None = None
        self._chains: dict[DID, KnownChain] = {}

    def _open_trusted(self, trust_file: Path | None) -> None:
        """Read the trust file, its record and the policy kept beside it (each checked)."""
        if trust_file is not None:
            self._kept_policy = check_kept_policy(trust_file, self.policy)
            self._recorded = check_trust_file(trust_file)
        self.trusted: Checkpoint | None = self._load_trusted()
        if self.trusted is not None and trust_file is not None:
            if self._recorded is not None and self.trusted.size < self._recorded:
                raise TRUST_FILE_INVALID(
                    f"{trust_file} holds a checkpoint of tree size {self.trusted.size}, older"
                    f" than the first this client trusted ({self._recorded}): it is not the"
                    " one this client kept. Restore it from a backup, or forget it:"
                    f" {forget_checkpoint_hint(trust_file)}"
                )
            # A trust file kept without its record (one kept before records were, or a
            # crash between the two writes): recorded now.
            self._remember_trusted(self.trusted.size)

    # -- transport ------------------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> Answer:
        """Ask the server that answered last (a write: the first URL, the ledger's); if it
        cannot be reached, times out or answers 5xx, ask the next one. Nothing is trusted
        from which server answers: every answer is verified the same way. A write goes on
        only when nothing reached the server (a refused connection): after that, it may
        have been logged. A read in a turn (``in_turn``) does not ask a server whose answer
        failed verification in it."""
        turn: Turn | None = getattr(self._turns, "turn", None)
        count = len(self.servers)
        if method != "GET":
            turn = None
        start = self.servers.index(self.http) if method == "GET" else 0
        order = [self.servers[(start + step) % count] for step in range(count)]
        if turn is not None:
            order = [server for server in order if not turn.passed_over(server)] or order
        for server in order[:-1]:
            try:
                answer = self._ask(server, turn, method, path, **kwargs)
            except Error as exc:
                if not _may_ask_another(exc, method):
                    raise
                continue
            if answer.status >= SERVER_ERROR and method == "GET":
                continue
            return self._answered(server, answer, turn)
        self.http = order[-1]  # asked first next time, whether it answers or not
        return self._answered(order[-1], self._ask(order[-1], turn, method, path, **kwargs), turn)

    def _ask(
        self, server: HttpClient, turn: Turn | None, method: str, path: str, **kwargs: Any
    ) -> Answer:
        """``server``'s answer; one it sent that cannot be read (too large, or not of its
        declared encoding) is that server's answer in a turn: the next server is asked."""
        try:
            return server.request(method, path, **kwargs)
        except Error as exc:
            if turn is not None and _unproven(exc):
                turn.answered = server
            raise

    def _answered(self, server: HttpClient, answer: Answer, turn: Turn | None) -> Answer:
        self.http = server
        if turn is not None:
            turn.answered = server
        return answer

    def in_turn(self, read: Callable[[], R]) -> R:
        """``read`` (requests, and the verification of what they answer), asked of one server
        after another while the answer fails verification, or is a refusal without proof (a
        4xx): a lying or lagging mirror is passed over (logged, naming it), never believed.
        When every server's answer fails,
        the first failure is raised, naming its server and the others' codes. A failure
        no server's answer made (a note given by the caller, a proven "not found") is
        raised as it is. Reads nested in one are part of it."""
        if getattr(self._turns, "turn", None) is not None or len(self.servers) == 1:
            return read()
        turn = Turn()
        self._turns.turn = turn
        try:
            while True:
                turn.answered = turn.told = None
                try:
                    return read()
                except Error as exc:
                    liar = turn.answered
                    unproven = _unproven(exc) or exc is turn.told
                    if turn.refused and isinstance(exc, Unavailable) and not unproven:
                        # The servers not passed over could not answer: the lie is said.
                        raise self._refused_by_all(turn) from turn.refused[0][1]
                    if liar is None or not unproven:
                        raise
                    turn.refused.append((liar, exc))
                    following = self._next_server(liar, turn)
                    if following is None:
                        raise self._refused_by_all(turn) from turn.refused[0][1]
                    log.warning(
                        "the ledger server %s answered without proof (%s: %s); asking %s",
                        self._url(liar),
                        exc.code,
                        exc.message,
                        self._url(following),
                    )
        finally:
            self._turns.turn = None

    def _next_server(self, after: HttpClient, turn: Turn) -> HttpClient | None:
        index = self.servers.index(after)
        for step in range(1, len(self.servers)):
            server = self.servers[(index + step) % len(self.servers)]
            if not turn.passed_over(server):
                return server
        return None

    def _url(self, server: HttpClient) -> str:
        return self.urls[self.servers.index(server)]

    def _refused_by_all(self, turn: Turn) -> Error:
        """The first failure, as its own code, naming the server whose answer it was."""
        liar, first = turn.refused[0]
        others = ", ".join(f"{self._url(server)}: {exc.code}" for server, exc in turn.refused[1:])
        told = f"{first.message} (the answer of {self._url(liar)}"
        told += f"; also refused: {others})" if others else "; no other server answered)"
        return type(first)(
            first.code,
            told,
            **first.details,
            server=self._url(liar),
            refused={self._url(server): exc.code for server, exc in turn.refused},
        )

    def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        answer = self._request(method, path, **kwargs)
        self._raise_for_error(answer, read=method == "GET")
        return answer.json_object()

    def _raise_for_error(self, answer: Answer, *, read: bool = True) -> None:
        """``answer``'s error, if it is one (``Answer.raise_for_error``): to a read, said in
        the client's own code (``told_by_ledger``); to a write, the ledger's own (it is the
        one to say what it did not log). A refusal (4xx), which carries no proof, is noted
        in the read's turn: the next server is asked."""
        try:
            answer.raise_for_error()
        except Error as exc:
            error = told_by_ledger(answer.status, exc) if read else exc
            turn: Turn | None = getattr(self._turns, "turn", None)
            if turn is not None and CLIENT_ERROR <= answer.status < SERVER_ERROR:
                turn.told = error
            if error is exc:
                raise
            raise error from exc

    def get_json(
        self, path: str, params: dict[str, Any], *, absent: tuple[str, str] | None = None
    ) -> dict[str, Any]:
        """GET ``path`` and decode its JSON answer (unverified: callers prove what they use).
        With ``absent=(kind, name)``, a "not found" must prove the state map holds nothing
        for ``<kind>:<name>``; it is raised (with the ledger's code) once that is checked."""
        answer = self._request("GET", path, params=params)
        if answer.status == 404 and absent is not None:
            body = answer.json_object()
            self._prove_absent(body.get("details"), *absent)
            answer.raise_for_error()  # proven: an answer, not a refusal
        self._raise_for_error(answer)
        return answer.json_object()

    def _prove_absent(self, proof: Any, kind: str, name: str) -> None:
        """``proof`` (a checkpoint and a state map proof) shows nothing exists for the name."""
        if not isinstance(proof, dict) or "stateMap" not in proof:
            raise LEDGER_ANSWER_UNPROVEN(f"the ledger says no {kind} {name!r}, without proof")
        note = wire.AbsenceProof.from_json(proof, error=LEDGER_ANSWER_MALFORMED).checkpoint
        check_latest(proof, self.accept_checkpoint(note), kind, name, None)

    # -- checkpoints ----------------------------------------------------------------------

    def _load_trusted(self) -> Checkpoint | None:
        """The checkpoint kept in the trust file; damaged, one error naming the file (left as
        it is): starting afresh would forget what guards against a ledger rolled back."""
        path = self.trust_file
        if path is None or not path.exists():
            return None
        fix = (
            "it is the newest checkpoint this client accepted, kept to refuse a ledger rolled"
            " back: restore it from a backup, or forget it to accept the ledger's next one"
            f" ({forget_checkpoint_hint(path)})"
        )
        try:
            raw = read_bounded(
                path,
                MAX_TRUST_FILE_BYTES,
                too_large=TRUST_FILE_INVALID,
                message=f"{path} exceeds {MAX_TRUST_FILE_BYTES} bytes; {fix}",
                not_regular=TRUST_FILE_INVALID,
            )
            return open_checkpoint(raw.decode("utf-8"), self.verifier, origin=self.origin)
        except UnicodeDecodeError as exc:
            raise TRUST_FILE_INVALID(f"{path} is not UTF-8; {fix}") from exc
        except Error as exc:
            if TRUST_FILE_INVALID.matches(exc):  # too large, or not a regular file
                raise TRUST_FILE_INVALID(
                    exc.message if fix in exc.message else f"{exc.message}; {fix}"
                ) from exc
            if NOTE_UNKNOWN_KEY.matches(exc):  # intact, but another ledger's: not damage
                raise NOTE_UNKNOWN_KEY(
                    f"{path} holds a checkpoint of a ledger under another key than the one"
                    " given: this data directory follows another ledger, or the key is wrong"
                ) from exc
            raise TRUST_FILE_INVALID(
                f"{path} is damaged ({exc.message}); {fix}", reason=exc.code
            ) from exc

    @proven_read
    def accept_checkpoint(self, note: str) -> Checkpoint:
        """The one place a client accepts a checkpoint. Verify ``note``: signed by the pinned
        key; witnessed as the trust policy requires (a quorum of cosignatures, the newest
        quorum recent enough: ``civicid.checkpoint_policy``); not older than the trusted
        checkpoint, and an extension of it (consistency proof); then trust it if it is newer."""
        now = self.clock()
        if self.witnessed is not None and note == self._trusted_note and not self._unkept:
            # The same signed bytes, verified already (not merely loaded from the trust
            # file): only time has passed.
            self.policy.check_age(self.witnessed, now=now)
            return self.witnessed.checkpoint
        with self._accepting:
            return self._accept(note, now)

    def _accept(self, note: str, now: int) -> Checkpoint:
        checkpoint = open_checkpoint(note, self.verifier, origin=self.origin)
        witnessed = self.policy.check(note, checkpoint, now=now)
        trusted = self.trusted
        if trusted is not None:
            if checkpoint.size < trusted.size:
                # A rolled-back ledger or a lagging mirror: either way the answer may predate
                # something already seen (a revocation, a newer list), so it is not used.
                raise LEDGER_ANSWER_STALE(
                    f"answer at tree size {checkpoint.size}, but {trusted.size} is trusted"
                )
            if checkpoint.size == trusted.size:
                if checkpoint != trusted:
                    raise LEDGER_FORKED("same size, another root or state: a fork")
                # The same tree head, maybe witnessed again since: keep the fresher note.
                self._trust(trusted, note, witnessed)
                return trusted
            self._verify_extends(trusted, checkpoint)
        root_in(checkpoint.extensions)  # every checkpoint commits to the state map
        self._trust(checkpoint, note, witnessed)
        return checkpoint

    def _trust(self, checkpoint: Checkpoint, note: str, witnessed: Witnessed) -> None:
        # Held in memory first: a rollback is refused in this process even when the file
        # cannot be written (the file keeps the older floor).
        self.trusted, self._trusted_note, self.witnessed = checkpoint, note, witnessed
        if self.trust_file is not None:
            self._unkept = True  # the same note again is written again, not passed over
            self._keep_policy(self.trust_file)
            self._write(self.trust_file, note.encode("utf-8"))
            self._remember_trusted(checkpoint.size)
            self._unkept = False

    def _write(self, path: Path, data: bytes) -> None:
        """Write one of the files beside the trust file; a failure (a full disk) is
        ``trust_file_write_failed`` naming the file, and the answer that needed it is not used."""
        try:
            write_private(path, data)
        except OSError as exc:
            raise TRUST_FILE_WRITE_FAILED(
                f"cannot write {path}: {why_not_written(exc)}; the ledger's answer that needed"
                " it was not used"
            ) from exc

    def _remember_trusted(self, size: int) -> None:
        """Record, once the first checkpoint trusted is kept, that one was (a crash between
        the two writes leaves the trust file alone: the record is written at the next start,
        as it is for a client that kept one before records were)."""
        if self._remember and self._recorded is None and self.trust_file is not None:
            self._write(trusted_record_file(self.trust_file), f"{size}\n".encode("ascii"))
            self._recorded = size

    def _keep_policy(self, trust_file: Path) -> None:
        """Keep the policy beside the trust file, before the checkpoint accepted under it
        (a crash between the two leaves the stricter record), once per policy."""
        text = self._policy_text
        if text is not None and text != self._kept_policy:
            self._write(kept_policy_file(trust_file), text.encode("utf-8"))
            self._kept_policy = text

    @property
    def trusted_note(self) -> str | None:
        """The trusted checkpoint as a signed note, with its cosignatures."""
        return self._trusted_note

    def witnessed_covering(self, size: int) -> Checkpoint:
        """The ledger's checkpoint, accepted, once it covers ``size`` entries: witnesses
        cosign a new checkpoint just after it is signed, and the ledger serves it then."""
        deadline = time.monotonic() + WITNESSED_WAIT
        pause = FIRST_POLL
        while True:
            try:
                checkpoint = self.checkpoint()
            except Error as exc:
                if not CHECKPOINT_QUORUM_MISSING.matches(exc) or time.monotonic() > deadline:
                    raise
            else:
                if checkpoint.size >= size:
                    return checkpoint
                if time.monotonic() > deadline:
                    raise CHECKPOINT_QUORUM_MISSING(
                        f"entries up to {size} are logged but not yet witnessed: the witnessed "
                        f"checkpoint covers {checkpoint.size} after {WITNESSED_WAIT:.0f} s"
                    )
            time.sleep(pause)
            pause = min(pause * 2, MAX_POLL)

    def _verify_extends(self, old: Checkpoint, new: Checkpoint) -> None:
        """``new`` extends ``old``, as the server that served ``new`` proves (RFC 9162
        §2.1.4). A refusal to prove it (a 4xx) is no proof, and is said as such: the
        checkpoint is refused as ``ledger_inconsistent``, not with a code the server chose."""
        sizes = {"from": old.size, "to": new.size}
        answer = self._request("GET", "/proofs/consistency", params=sizes)
        if CLIENT_ERROR <= answer.status < SERVER_ERROR:
            try:
                answer.raise_for_error()
            except Error as exc:
                raise LEDGER_INCONSISTENT(
                    f"the ledger did not prove its tree of {new.size} extends the trusted"
                    f" one of {old.size}: asked for the proof, it refused ({exc.code})"
                ) from exc
        self._raise_for_error(answer)
        proof = wire.ConsistencyProof.from_json(answer.json_object(), error=LEDGER_ANSWER_MALFORMED)
        try:
            verify_consistency(old.size, new.size, old.root, new.root, proof.consistency)
        except Error as exc:
            raise LEDGER_INCONSISTENT("the ledger's checkpoints are not one growing log") from exc

    @proven_read
    def checkpoint(self) -> Checkpoint:
        return self.accept_checkpoint(self.checkpoint_note())

    def checkpoint_note(self) -> str:
        """The latest checkpoint as served, unverified (``accept_checkpoint`` verifies it)."""
        answer = self._request("GET", "/checkpoint")
        self._raise_for_error(answer)
        return answer.text

    # -- entries --------------------------------------------------------------------------

    def submit(self, transaction: str) -> dict[str, Any]:
        """Submit; the receipt's entry is checked to be in the checkpoint it came with."""
        return self.confirm(transaction, self.send(transaction))

    def send(self, transaction: str) -> dict[str, Any]:
        """POST the transaction and return the ledger's receipt, not yet checked. A refusal
        is the ledger's error (a 4xx with its code): nothing was written. Any other failure
        (no answer, a cut one, a 5xx) leaves the outcome unknown: the entry may be logged."""
        return self._json(
            "POST",
            "/transactions",
            content=transaction,
            headers={"content-type": "application/jose"},
        )

    def confirm(self, transaction: str, receipt: dict[str, Any]) -> dict[str, Any]:
        """``receipt``'s entry is ``transaction``, in the checkpoint it came with; when the
        trust policy asks for witnesses, in the first witnessed checkpoint that covers it
        (a receipt's checkpoint is signed before any witness has seen it)."""
        parsed = wire.Receipt.from_json(receipt, error=LEDGER_ANSWER_MALFORMED)
        try:
            checkpoint = self.accept_checkpoint(parsed.checkpoint)
        except Error as exc:
            # Raised only once the note verified (signed by the pinned key, for this origin).
            if not CHECKPOINT_QUORUM_MISSING.matches(exc):
                raise
            checkpoint = self.witnessed_covering(parsed.seq + 1)
        self.prove_entry(parsed.seq, transaction.encode("ascii"), checkpoint)
        return receipt

    @proven_read
    def prove_entry(self, seq: int, leaf: bytes, checkpoint: Checkpoint) -> None:
        answer = self._json(
            "GET", "/proofs/inclusion", params={"seq": seq, "treeSize": checkpoint.size}
        )
        proof = wire.InclusionProof.from_json(answer, error=LEDGER_ANSWER_MALFORMED)
        verify_inclusion(leaf_hash(leaf), seq, checkpoint.size, proof.inclusion, checkpoint.root)

    def entry(self, seq: int) -> str:
        data = self._json("GET", f"/transactions/{seq}")
        return wire.Entry.from_json(data, error=LEDGER_ANSWER_MALFORMED).transaction

    def proven(self, item: wire.IncludedEntry | Any, checkpoint: Checkpoint) -> Entry:
        """An entry of an answer (``{"seq", "transaction", "inclusion"}``, read through its
        wire model) proven included in ``checkpoint``."""
        if not isinstance(item, wire.IncludedEntry):
            item = wire.IncludedEntry.from_json(item, error=LEDGER_ANSWER_MALFORMED)
        if item.transaction is None:
            raise LEDGER_ANSWER_MALFORMED(f"entry {item.seq} comes without its transaction")
        with reading("entry"):
            leaf = item.transaction.encode("ascii")
        digest = leaf_hash(leaf)
        verify_inclusion(digest, item.seq, checkpoint.size, item.inclusion, checkpoint.root)
        return Entry(item.seq, digest, Transaction.parse(item.transaction))

    def verify_signature(self, entry: Entry) -> None:
        """``entry``'s signature, by its signer's key as it stood when the entry was logged
        (assertionMethod: how governance and issuers sign what they assert)."""
        if entry.leaf_hash in self._verified:
            return
        entry.tx.jws.verify_with(self.key_at(entry.tx.kid, entry.seq))
        if len(self._verified) >= MAX_VERIFIED_ENTRIES:
            self._verified.clear()
        self._verified.add(entry.leaf_hash)

    # -- DIDs: each believed through its history, verified from its creation ---------------

    @proven_read
    def resolve(
        self, did: str, *, version_id: str | None = None, version_time: str | None = None
    ) -> ResolvedDid:
        """DID Resolution with proof: the selected version is taken from the DID's history,
        verified from its creation, never from the ledger's word."""
        params: dict[str, str] = {"withProof": "true"}
        if version_id is not None:
            params["versionId"] = version_id
        if version_time is not None:
            params["versionTime"] = version_time
        answer = self._request("GET", f"/1.0/identifiers/{quote(did, safe=':')}", params=params)
        if answer.status not in (200, 410):
            raise self._resolution_error(answer, did, absent=version_id is version_time is None)
        result = answer.json_object()
        with reading("resolution"):
            document = result.get("didDocument")
            metadata = dict(result.get("didDocumentMetadata") or {})
            proof = (result.get("didResolutionMetadata") or {}).get("proof")
            if not isinstance(proof, dict):
                raise RESOLUTION_UNPROVEN("the ledger sent no proof")
        proven_by = wire.ResolutionProof.from_json(proof, error=LEDGER_ANSWER_MALFORMED)
        checkpoint = self.accept_checkpoint(proven_by.checkpoint)
        chain = self._verify_history(DID(did), proven_by.versions, checkpoint)
        # The history's last version is the latest: the state map holds it for this DID.
        head = chain.latest
        check_latest(proof, checkpoint, statemap.DID, did, (head.seq, head.leaf_hash))
        when = parse_time(version_time) if version_time is not None else None
        selected = chain.select(version_id, when)
        expected = selected.document.data if selected.document is not None else None
        if json.dumps(expected, sort_keys=True) != json.dumps(document, sort_keys=True):
            raise RESOLUTION_MISMATCH("the document differs from the verified version's")
        if metadata.get("versionId") != selected.version_id:
            raise RESOLUTION_MISMATCH("the answer names another version than the one selected")
        if bool(metadata.get("deactivated")) != selected.deactivated:
            raise RESOLUTION_MISMATCH("the answer misstates whether the DID is deactivated")
        return ResolvedDid(did, document, metadata, selected.seq, checkpoint, chain)

    def _resolution_error(self, answer: Answer, did: str, *, absent: bool) -> Error:
        """The error a DID Resolution error result names (its code, under the spec's type);
        "not found" believed only with the proof that the state map holds no such DID."""
        try:
            error = answer.json_object()["didResolutionMetadata"]["error"]
            code, message = str(error["code"]), str(error.get("title", ""))
        except (Error, KeyError, TypeError):
            if answer.status >= 400:  # a redirect too is a resolution answer it is not
                self._raise_for_error(answer)
            return LEDGER_ANSWER_MALFORMED(f"HTTP {answer.status} without an error result")
        error = STATUS_ERRORS.get(answer.status, Unavailable)(code[:100], message[:500])
        if answer.status == 404 and absent:
            with reading("resolution error"):
                proof = answer.json_object()["didResolutionMetadata"].get("proof")
            self._prove_absent(proof, statemap.DID, did)
            return error  # proven: an answer, not a refusal
        error = told_by_ledger(answer.status, error)
        turn: Turn | None = getattr(self._turns, "turn", None)
        if turn is not None and 400 <= answer.status < SERVER_ERROR:
            turn.told = error
        return error

    def _verify_history(
        self, did: DID, items: list[wire.IncludedEntry], checkpoint: Checkpoint
    ) -> Chain:
        entries = [self.proven(item, checkpoint) for item in items]
        for entry in entries:
            if entry.tx.body.get("did") != did:
                raise RESOLUTION_MISMATCH(f"entry {entry.seq} is about another DID")
        governance = self.governance()
        known = self._chains.get(did)
        chain = verify_chain(
            did,
            entries,
            origin=self.origin,
            governance=governance,
            governance_key=self._governance_key,
            known=known.chain if known is not None else None,
        )
        if len(self._chains) >= MAX_CACHED_CHAINS:
            self._chains.clear()
        self._chains[did] = KnownChain(chain, checkpoint.size)
        return chain

    @proven_read
    def chain(self, did: str, *, covering: int = 0) -> Chain:
        """``did``'s verified history, as of a checkpoint of at least ``covering`` entries
        (cached when one that recent was verified already)."""
        known = self._chains.get(DID(did))
        if known is not None and known.size >= covering:
            return known.chain
        chain = self.resolve(did).chain
        assert chain is not None  # resolve always verifies the history
        return chain

    @proven_read
    def governance(self) -> DID:
        """The governance DID, from the proven genesis entry, which must name the pinned key."""
        if self._governance is None:
            checkpoint = self.checkpoint()
            text = self.entry(0)
            self.prove_entry(0, text.encode("ascii"), checkpoint)
            genesis = Transaction.parse(text)
            if genesis.type != GENESIS:
                raise GENESIS_MISSING("entry 0 is not the genesis")
            founding = check_genesis(genesis)
            if genesis.ledger != self.origin or genesis.body.get("checkpointKey") != self.vkey:
                raise LEDGER_KEY_NOT_GENESIS(f"the genesis of {genesis.ledger!r} names another key")
            self._governance = founding.did
        return self._governance

    def _governance_key(self, kid: str, seq: int) -> PublicKey:
        """Governance's assertion key ``kid`` as it stood when entry ``seq`` was logged."""
        return self.key_at(kid, seq, relationship=ASSERTION)

    @proven_read
    def key_at(
        self,
        kid: str,
        seq: int,
        iat: int | None = None,
        relationship: str = ASSERTION,
    ) -> PublicKey:
        """The key ``kid`` names, in ``relationship``, in its DID's document as it stood when
        entry ``seq`` was logged (the version logged last before it), from the DID's verified
        history (``iat`` is not used: the log's order decides, not the signer's clock)."""
        did, _ = split_key_id(kid)
        chain = self.chain(did, covering=seq)
        return chain.key(chain.before(seq), kid, relationship)

    @proven_read
    def key_in_force(self, kid: str, at: int, relationship: str = ASSERTION) -> PublicKey:
        """The key ``kid`` names, in ``relationship``, in its DID's document as it stood at
        time ``at`` (e.g. a credential's ``iat``): how verifiers and wallets find an issuer's
        key (SD-JWT VC §3.5 allows such an ecosystem-defined key resolution)."""
        did, _ = split_key_id(kid)
        chain = self.resolve(did).chain
        assert chain is not None
        return chain.key(chain.at_time(at), kid, relationship)

    # -- governance: trust registry, credential types, status lists ------------------------
    # civicid/registry_client.py: each answer re-derived from entries verified here.

    @property
    def registry(self) -> RegistryClient:
        if self._registry is None:
            self._registry = TurnRegistry(self)
        return self._registry

    def issuer_accredited(self, did: str, vct: str, at: int | None = None) -> TrustAnswer:
        """Is ``did`` accredited to issue ``vct`` at ``at`` (default: now)?"""
        return self.registry.issuer_accredited(did, vct, at)

    def verifier_allowed(
        self, did: str, vct: str, claims: list[str] | tuple[str, ...], at: int | None = None
    ) -> TrustAnswer:
        """May ``did`` ask for ``claims`` of ``vct`` at ``at`` (default: now)?"""
        return self.registry.verifier_allowed(did, vct, claims, at)

    def credential_type(self, vct: str) -> ProvenType:
        """The latest metadata and schema of ``vct``, registered by an accredited issuer."""
        return self.registry.credential_type(vct)

    def status_list(
        self, uri: str, tree_size: int | None = None, *, now: int | None = None
    ) -> ProvenStatusList:
        """The status list at ``uri`` (latest, or as of ``tree_size``), proven and verified."""
        return self.registry.status_list(uri, tree_size, now=now)

    @proven_read
    def status_list_token(self, uri: str) -> str:
        """The raw latest token, as Token Status List §8.1 serves it (unverified: pass it to
        ``verify_token``, or use ``status_list`` to have it proven and verified)."""
        answer = self._request(
            "GET", "/status-lists", params={"uri": uri}, headers={"accept": STATUS_LIST_MEDIA}
        )
        self._raise_for_error(answer)
        if answer.content_type != STATUS_LIST_MEDIA:
            raise LEDGER_CONTENT_TYPE("the ledger did not answer with a token")
        return answer.text

    def hold_to(self, note: str) -> None:
        """Hold to ``note``, a checkpoint its owner proved before and keeps itself (a
        mirror's store), when this client trusts none (its trust file lost): that one is the
        floor, so an older checkpoint shown later is refused as stale rather than trusted in
        its place. Verified as any note (a copy's files are not trusted for being ours); the
        trust file is written only for a checkpoint accepted (``accept_checkpoint``), which
        must extend this one."""
        checkpoint = open_checkpoint(note, self.verifier, origin=self.origin)
        with self._accepting:
            if self.trusted is None:
                self.trusted = checkpoint

    def close(self) -> None:
        for server in self.servers:
            server.close()
        if self._held is not None:
            self._held()  # the trust file's lock, let go

    def __enter__(self) -> LedgerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class TurnRegistry(RegistryClient):
    """The registry's questions, each asked of the ledger's servers in turn (``in_turn``):
    an answer that fails its proofs is asked again of the next server."""

    def __init__(self, client: LedgerClient) -> None:
        super().__init__(client)
        self.ledger = client

    def grants(
        self, kind: str, subject: str, vct: str, when: int, claims: tuple[str, ...] = ()
    ) -> ProvenGrants:
        ask = super().grants
        return self.ledger.in_turn(lambda: ask(kind, subject, vct, when, claims))

    def granted_subjects(self, kind: str, vct: str, when: int) -> tuple[str, ...]:
        ask = super().granted_subjects
        return self.ledger.in_turn(lambda: ask(kind, vct, when))

    def issuer_accredited(self, did: str, vct: str, at: int | None = None) -> TrustAnswer:
        ask = super().issuer_accredited
        return self.ledger.in_turn(lambda: ask(did, vct, at))

    def verifier_allowed(
        self, did: str, vct: str, claims: list[str] | tuple[str, ...], at: int | None = None
    ) -> TrustAnswer:
        ask = super().verifier_allowed
        return self.ledger.in_turn(lambda: ask(did, vct, claims, at))

    def credential_type(self, vct: str) -> ProvenType:
        ask = super().credential_type
        return self.ledger.in_turn(lambda: ask(vct))

    def status_list(
        self, uri: str, tree_size: int | None = None, *, now: int | None = None
    ) -> ProvenStatusList:
        ask = super().status_list
        return self.ledger.in_turn(lambda: ask(uri, tree_size, now=now))
