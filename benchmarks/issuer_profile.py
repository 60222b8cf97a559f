"""Where the issuer server's CPU goes during the issuance benchmark: py-spy attached to the
serving process for the timed window (a flame graph, and the same samples folded), and the
samples summed by what they are spent on.

Used by ``python -m benchmarks.issuer --http-only --profile FILE.svg`` (py-spy must be
installed: ``pip install py-spy``); docs/performance/README.md shows the command and tables.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

# Samples per second: enough for a few thousand samples over a timed window of seconds,
# few enough that the sampler's own reads of the server's memory do not slow it measurably.
RATE: Final = 250
# What a sample is spent on: its innermost frame that one of these rules matches (the first
# rule that does, in this order). A frame reads "function (path/to/file.py:line)"; a
# signature made inside the SD-JWT code counts as cryptography, the SD-JWT code's own work
# as SD-JWT building, and a request's own frames under uvicorn as neither.
CATEGORIES: Final = (
    (
        "cryptography (ECDSA sign and verify)",
        ("cryptography/", "jwa.py", "verify_signature", "PrivateKey._sign"),
    ),
    ("JSON Schema validation", ("jsonschema", "referencing/", "rpds")),
    ("JSON encode and decode", ("json/", "canonical_json", "orjson")),
    ("pydantic models", ("pydantic",)),
    ("SQLite (the store's writer and reads)", ("sqlite3", "issuer/store.py")),
    ("logging", ("logging/",)),
    ("HTTP server (uvicorn, its parser, the guarded server)", ("h11/", "uvicorn/", "shell/")),
    ("starlette and FastAPI (routing, requests, responses)", ("starlette/", "fastapi/")),
    ("asyncio and threads (event loop, futures, thread pool)", ("asyncio/", "concurrent/")),
    ("SD-JWT building (disclosures, digests)", ("sdjwt",)),
    ("proof checks (OpenID4VCI)", ("oid4vci.py", "jose.py")),
    ("the issuer's own code", ("issuer/",)),
)
OTHER: Final = "other (interpreter, imports, the kernel)"


def _py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise SystemExit("error: --profile needs py-spy (pip install py-spy) [profiler_missing]")
    return found


def thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds (user + system) of each thread of ``pid`` so far, by thread id."""
    out: dict[int, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):  # a thread that ended meanwhile
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            out[int(task.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


@dataclass
class Profile:
    """What ``profiling`` found, once its block has ended."""

    folded: Path  # the samples as folded stacks, one per line with its count
    threads: dict[int, float] = field(default_factory=dict)  # CPU seconds per thread id


@contextlib.contextmanager
def profiling(pid: int, svg: Path) -> Iterator[Profile]:
    """Sample ``pid`` for the block: a flame graph in ``svg``, the same samples folded in a
    temporary file, and each thread's CPU seconds over the block (the sampler counts only
    threads holding the GIL; the thread times include what runs without it: SQLite,
    the system calls, the cryptography's native code)."""
    spy = _py_spy()
    svg.parent.mkdir(parents=True, exist_ok=True)
    folded = Path(tempfile.mkstemp(prefix="issuer-profile-", suffix=".txt")[1])
    found = Profile(folded)
    sample = [spy, "record", "--pid", str(pid), "--rate", str(RATE), "--nonblocking", "--gil"]
    samplers = [
        subprocess.Popen(
            [*sample, "--format", fmt, "--output", str(output)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for fmt, output in (("flamegraph", svg), ("raw", folded))
    ]
    before = thread_cpu(pid)
    try:
        yield found
    finally:
        after = thread_cpu(pid)
        found.threads = {tid: cpu - before.get(tid, 0.0) for tid, cpu in after.items()}
        for sampler in samplers:
            sampler.send_signal(signal.SIGINT)  # py-spy writes its file on an interrupt
        for sampler in samplers:
            sampler.wait(timeout=60)


def category(stack: str) -> str:
    for frame in reversed(stack.split(";")):
        for name, marks in CATEGORIES:
            if any(mark in frame for mark in marks):
                return name
    return OTHER


def breakdown(folded: Path) -> Counter[str]:
    """Samples per category, from py-spy's folded output (the file is kept, for reading
    the stacks beneath a category)."""
    counts: Counter[str] = Counter()
    text = folded.read_text("utf-8")
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            counts[category(stack)] += int(count)
    return counts


def render(counts: Counter[str], cpu_ms: float) -> str:
    """A Markdown table: each category's share of the samples and of ``cpu_ms`` (the
    server's measured CPU per issuance)."""
    total = sum(counts.values()) or 1
    lines = ["| where | share | ms per issuance |", "|---|---:|---:|"]
    for name, count in counts.most_common():
        lines.append(f"| {name} | {100 * count / total:.1f}% | {cpu_ms * count / total:.2f} |")
    lines.append(f"| total ({total} samples) | 100% | {cpu_ms:.2f} |")
    return "\n".join(lines)


def render_threads(used: dict[int, float], pid: int, issuances: int) -> str:
    """Each busy thread's CPU per issuance: the event loop's (``pid`` itself), the others'."""
    lines = ["| thread | ms per issuance |", "|---|---:|"]
    for tid, cpu in sorted(used.items(), key=lambda item: -item[1]):
        if cpu > 0:
            name = "event loop (main)" if tid == pid else f"thread {tid}"
            lines.append(f"| {name} | {1000 * cpu / issuances:.2f} |")
    return "\n".join(lines)
