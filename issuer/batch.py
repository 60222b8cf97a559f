"""Offers in batches (``civicid issuer offers``): a CSV file of records read into claims, and
what the clerks hand over written as it is made, the links and the transaction codes to two
separate files (a link and its code together are the credential), each cell safe to open in
a spreadsheet."""

from __future__ import annotations

import csv
import json
import os
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any, Final

from issuer.errors import CODES_BESIDE_LINKS, CODES_FILE_MISSING, CSV_INVALID

# OWASP "CSV Injection": a cell starting with one of these is read as a formula by
# spreadsheets (=HYPERLINK(...), +cmd|...); a leading quote makes it plain text.
FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
LINK_COLUMNS: Final = ["record", "offer", "link"]
CODE_COLUMNS: Final = ["record", "offer", "txCode"]


def cell(value: str) -> str:
    """``value`` as a cell no spreadsheet runs: one that would start a formula gets ``'``."""
    return "'" + value if value.startswith(FORMULA_START) else value


def claims_from_row(row: dict[Any, Any]) -> dict[str, Any]:
    """A CSV row's claims: dotted column names nest (``address.locality``); a cell that is a
    JSON array, object, true or false is read as JSON; everything else stays text."""
    extra = row.get(None)  # csv.DictReader keeps cells beyond the header under None
    if extra:
        raise CSV_INVALID(f"{len(extra)} more cells than the header has columns")
    claims: dict[str, Any] = {}
    for column, cell_text in row.items():
        if column == "record" or cell_text is None or cell_text == "":
            continue
        value: Any = cell_text
        if cell_text[:1] in "[{" or cell_text in ("true", "false"):
            try:
                value = json.loads(cell_text)
            except ValueError as exc:
                raise CSV_INVALID(f"column {column}: not JSON") from exc
        target = claims
        *parents, leaf = column.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value
    return claims


def read_rows(path: Path) -> list[dict[Any, Any]]:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, csv.Error, UnicodeDecodeError) as exc:
        raise CSV_INVALID(f"{path}: {exc}") from exc
    if rows and "record" not in rows[0]:
        raise CSV_INVALID("the first line must name a 'record' column")
    return rows


def _private(path: Path) -> IO[str]:
    """Open ``path`` for writing, readable by its owner only: it holds one-time secrets."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # a file that was there keeps no wider mode
        return os.fdopen(fd, "w", newline="", encoding="utf-8")
    except OSError as exc:
        raise CSV_INVALID(f"cannot write {path}: {exc}") from exc


class HandOver:
    """Where each offer is written as soon as it is made (its link and code exist nowhere
    else, so a batch that stops must not lose them): links to ``links`` (else stdout),
    transaction codes to ``codes``, never the two in one file."""

    def __init__(self, links: Path | None, codes: Path | None, *, tx_codes: bool) -> None:
        if tx_codes and codes is None:
            raise CODES_FILE_MISSING(
                "give --codes FILE: transaction codes are written apart from the links, to "
                "be handed over separately (or --no-tx-code)"
            )
        if codes is not None and links is not None and _same(codes, links):
            raise CODES_BESIDE_LINKS("--codes must name another file than --out")
        self._stack = ExitStack()
        # Opened first: a bad path fails before any offer is made.
        try:
            self._links = self._stack.enter_context(_private(links)) if links else sys.stdout
            self._codes = self._stack.enter_context(_private(codes)) if tx_codes and codes else None
        except BaseException:
            self._stack.close()
            raise
        self._link_rows = csv.DictWriter(self._links, LINK_COLUMNS)
        self._link_rows.writeheader()
        self._code_rows = csv.DictWriter(self._codes, CODE_COLUMNS) if self._codes else None
        if self._code_rows is not None:
            self._code_rows.writeheader()

    def write(self, record: str, offer: str, link: str, tx_code: str | None) -> None:
        self._link_rows.writerow({"record": cell(record), "offer": cell(offer), "link": cell(link)})
        self._links.flush()
        if self._code_rows is not None and self._codes is not None:
            row = {"record": cell(record), "offer": cell(offer), "txCode": cell(tx_code or "")}
            self._code_rows.writerow(row)
            self._codes.flush()

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> HandOver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False
