"""An agency asked by its public rule, as the history shows it: an agency, asked by its
rule on the ledger, and what it decided. It read "✘ not accredited for this credential"
and "Receipt none came back", as if a desk had asked unlawfully."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.wallet.test_history_kept_back import receipt_lines
from tests.wallet.test_history_names import shown
from wallet.holder.history import ISSUED, NOT_ISSUED


@pytest.mark.parametrize(("decision", "said"), [(ISSUED, "Issued"), (NOT_ISSUED, "Not issued")])
@pytest.mark.asyncio
async def test_a_rule_request_reads_as_the_agencys(
    tmp_path: Path, decision: str, said: str
) -> None:
    entry = replace(
        shown("Cadur transport and welfare authority"), decision=decision, accreditation=None
    )
    lines = await receipt_lines(tmp_path, entry)
    assert any(line.startswith("Agency ") for line in lines), lines
    assert any(line.startswith("Asked by") and "public rule" in line for line in lines)
    [decided] = [line for line in lines if line.startswith("Decision")]
    assert decided.removeprefix("Decision").strip() == said
    assert not any("accredited" in line or "Receipt" in line for line in lines), lines


@pytest.mark.asyncio
async def test_a_desk_still_reads_as_a_desk(tmp_path: Path) -> None:
    lines = await receipt_lines(tmp_path, shown("Cadur town hall desk"))
    assert any(line.startswith("Desk ") for line in lines)
    assert any(line.startswith("Accredited") for line in lines)
