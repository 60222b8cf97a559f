"""A crash mid-write leaves the old store or the new one, never a torn one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from tests.wallet.conftest import PASSPHRASE, fast_settings
from wallet.holder.wallet import Wallet

ROOT = Path(__file__).parents[2]
WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from tests.wallet.conftest import PASSPHRASE, fast_settings, made_up
    from wallet.holder.wallet import Wallet

    wallet = Wallet.open(fast_settings(Path(sys.argv[1])), PASSPHRASE)
    while True:
        held = made_up(copies=2)
        wallet.add(held)
        print(held.id, flush=True)
    """
)


def test_kill_9_during_writes_loses_nothing_acknowledged(tmp_path: Path) -> None:
    root = tmp_path / "data"
    settings = fast_settings(root)
    Wallet.create(settings, PASSPHRASE).close()
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    acknowledged: list[str] = []
    for _ in range(3):
        proc = subprocess.Popen(
            [sys.executable, str(script), str(root)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        seen = 0
        while seen < 15 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            acknowledged.append(line.strip())
            seen += 1
        os.kill(proc.pid, signal.SIGKILL)  # mid-stride: it is writing the next one
        proc.wait()
        for line in proc.stdout:
            if line.endswith("\n"):  # not a line cut by the kill
                acknowledged.append(line.strip())
        assert seen == 15
    with Wallet.open(settings, PASSPHRASE) as wallet:
        held = {c.id for c in wallet.credentials()}
    assert set(acknowledged) <= held
    assert len(held) - len(acknowledged) <= 3  # at most the write each kill interrupted
