"""A desk's eligibility policies: TOML files in the policy language (``civicid.policy``, the
kernel's, shared with the agencies' issuance rules), read and checked on load (every error
names the file and field).

A policy asking for a claim the desk is not accredited for on the ledger is refused at load,
naming the claim (``require_accredited``), so a desk can never ask for more than it may.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Final

from civicid.files import listed, read_bounded
from civicid.keystore import write_private
from civicid.policy import (
    ANY_ACCREDITED,
    CREDENTIAL_QUERY_ID,
    DEFAULT_MAX_LEDGER_AGE,
    MAX_CLAIMS,
    NAME_PATTERN,
    POLICY_INVALID,
    Policy,
    Predicate,
    all_status_lists,
    today_of,
)
from civicid.trust import DeskStanding
from verifier.errors import (
    POLICIES_MISSING,
    POLICY_LOST,
    POLICY_NOT_ACCREDITED,
    POLICY_UNKNOWN,
)

# A desk's policies are the files of its policy directory named so (``<name>.toml``).
POLICY_FILES: Final = "*.toml"
MAX_POLICY_BYTES: Final = 64 * 1024
MAX_POLICIES: Final = 256
# Beside the policies, the names of those ``init`` installed, one a line: a file gone whose
# name is there was lost (a restore that missed it, a slip), not removed (``remove_policy``).
INSTALLED_FILE: Final = ".installed"
# Every policy's name (at most 63 characters) on its line.
MAX_INSTALLED_BYTES: Final = MAX_POLICIES * 64

__all__ = [
    "ANY_ACCREDITED",
    "CREDENTIAL_QUERY_ID",
    "DEFAULT_MAX_LEDGER_AGE",
    "MAX_CLAIMS",
    "POLICY_FILES",
    "Policy",
    "Predicate",
    "all_status_lists",
    "load_policies",
    "load_policy",
    "policies_named",
    "record_installed",
    "remove_policy",
    "require_accredited",
    "today_of",
]


def load_policy(path: Path) -> Policy:
    """A policy from ``path`` (``<name>.toml``), checked; every error names the file."""
    source = str(path)
    try:
        # Bounded, and a named pipe or a device named like a policy is refused at once: read
        # whole, /dev/zero would fill the memory and a pipe would hold the start for ever.
        raw = read_bounded(
            path,
            MAX_POLICY_BYTES,
            too_large=POLICY_INVALID,
            message=f"{source}: over {MAX_POLICY_BYTES} bytes",
            not_regular=POLICY_INVALID,
        )
    except FileNotFoundError as exc:
        raise POLICY_UNKNOWN(f"no policy file {path}") from exc
    except OSError as exc:
        raise POLICY_INVALID(f"{source}: cannot read: {exc}") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    # RecursionError: tomllib recurses once per level of nesting.
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as exc:
        raise POLICY_INVALID(f"{source}: not TOML: {exc}") from exc
    return Policy.from_toml(data, source, name=path.stem)


def load_policies(directory: Path) -> dict[str, Policy]:
    """Every ``*.toml`` policy in ``directory``, by name: the policies of a desk set up (its
    settings file written), so a directory that is gone was lost, never a desk with none (it
    served an empty page, every request refused ``policy_unknown``); an empty one is. So is
    a policy ``init`` installed whose file is gone (``policy_lost``): the desk would start
    without it, its option gone from the staff's page, and nothing would say why."""
    if not directory.is_dir():
        found = "is not a directory" if os.path.lexists(directory) else "is missing"
        raise POLICIES_MISSING(
            f"{directory} {found}: the desk's policies are lost; restore the directory from a "
            "backup, or install them again with `civicid verifier init --policies DIR`"
        )
    paths = listed(directory, POLICY_FILES, unreadable=POLICY_INVALID)
    if len(paths) > MAX_POLICIES:
        raise POLICY_INVALID(f"{directory}: more than {MAX_POLICIES} policies")
    lost = [name for name in installed(directory) if not policy_file(directory, name).exists()]
    if lost:
        raise POLICY_LOST(
            f"{policy_file(directory, lost[0])} is gone, and `civicid verifier init` installed"
            f" it (lost: {', '.join(lost)}): restore it from a backup, or, to serve without"
            f" it, `civicid verifier remove-policy {lost[0]}`",
            lost=lost,
        )
    return {p.name: p for p in (load_policy(path) for path in paths)}


def installed(directory: Path) -> list[str]:
    """The names of the policies ``init`` installed in ``directory`` (``INSTALLED_FILE``);
    none for a directory it did not (one set up by hand, or before the names were kept)."""
    path = directory / INSTALLED_FILE
    try:
        raw = read_bounded(
            path, MAX_INSTALLED_BYTES, too_large=POLICY_INVALID, not_regular=POLICY_INVALID
        )
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise POLICY_INVALID(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        names = raw.decode("utf-8").split()
    except UnicodeDecodeError as exc:
        raise POLICY_INVALID(f"{path}: not UTF-8 text") from exc
    wrong = next((name for name in names if not NAME_PATTERN.fullmatch(name)), None)
    if wrong is not None or len(names) > MAX_POLICIES:
        said = f"{wrong!r} is not a policy name" if wrong else f"over {MAX_POLICIES} names"
        raise POLICY_INVALID(
            f"{path}: {said}; it names the policies `civicid verifier init` installed: restore"
            " it from a backup, or run `civicid verifier init` again"
        )
    return names


def record_installed(directory: Path) -> tuple[str, ...]:
    """Keep the names of every policy in ``directory`` as those installed (``init``, in its
    staged directory before it is swapped in); they are returned."""
    names = tuple(path.stem for path in listed(directory, POLICY_FILES, unreadable=POLICY_INVALID))
    _keep_installed(directory, names)
    return names


def _keep_installed(directory: Path, names: Iterable[str]) -> None:
    write_private(directory / INSTALLED_FILE, "".join(f"{name}\n" for name in names).encode())


def remove_policy(directory: Path, name: str) -> bool:
    """Remove policy ``name`` from the desk of ``directory``: its file, then its name among
    those installed (a crash between leaves a name whose file is gone, refused until this is
    run again, never a policy served that was meant removed). Whether its file was there."""
    if not NAME_PATTERN.fullmatch(name):
        raise POLICY_UNKNOWN(f"no policy {name!r}: not a policy name")
    path = policy_file(directory, name)
    try:
        path.unlink()
        had_file = True
    except FileNotFoundError:
        had_file = False
    except OSError as exc:
        raise POLICY_INVALID(f"cannot remove {path}: {exc.strerror or exc}") from exc
    kept = installed(directory)
    if name in kept:
        _keep_installed(directory, (n for n in kept if n != name))
    elif not had_file:
        raise POLICY_UNKNOWN(f"no policy {name!r} in {directory}")
    return had_file


# (vct, claim names) -> (accredited?, the claim names the desk's grants allow, reason)
AllowedClaims = Callable[[str, tuple[str, ...]], DeskStanding]


def policy_file(directory: Path, name: str) -> Path:
    """The file in ``directory`` that policy ``name`` is read from (``load_policies``)."""
    return directory / f"{name}.toml"


def require_accredited(
    policy: Policy, allowed: AllowedClaims, directory: Path | None = None
) -> None:
    """Refuse ``policy`` unless the desk may ask for every requested claim of every type it
    accepts, naming the first claim it may not ask for (the ledger's verifier accreditation)
    and, read from ``directory``, the policy's file, as every other policy refusal does."""
    where = "" if directory is None else f"{policy_file(directory, policy.name)}: "
    for vct in policy.credential_types:
        answer = allowed(vct, policy.requested)
        if answer.accredited:
            continue
        missing = [name for name in policy.requested if name not in answer.allowed]
        if missing:
            raise POLICY_NOT_ACCREDITED(
                f"{where}policy {policy.name!r} asks for {missing[0]!r} of {vct}, and the desk"
                " is not accredited for that claim",
                claim=missing[0],
                vct=vct,
            )
        raise POLICY_NOT_ACCREDITED(
            f"{where}policy {policy.name!r}: the desk is not accredited for {vct} "
            f"({answer.standing.reason})",
            vct=vct,
        )


def policies_named(policies: dict[str, Policy], name: str) -> Policy:
    policy = policies.get(name)
    if policy is None:
        known = ", ".join(sorted(policies)) or "none"
        raise POLICY_UNKNOWN(f"no policy {name!r} (known: {known})")
    return policy
