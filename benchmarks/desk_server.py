"""A desk served for the verifier benchmark's comparison of HTTP servers: on uvicorn's own
httptools protocol, without the hardened server's guards (its cap on a request head's
bytes, head deadline and connection budget; the body limits stay). What the guards cost
is measured, not served.

Run by ``benchmarks.verifier``: ``python -m benchmarks.desk_server --data-dir D --port P``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from civicid.shell.server import listen, serve, server_config
from verifier.app import create_app
from verifier.service import Verifier
from verifier.settings import VerifierSettings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    settings = VerifierSettings.load(args.data_dir, port=args.port)
    sock = listen(settings.host, settings.port)
    verifier = Verifier.open(settings)
    try:
        config = server_config(settings, create_app(settings, verifier=verifier))
        config.http = "httptools"  # uvicorn's own protocol, in place of the guarded one
        serve(config, sock)
    finally:
        verifier.close()
        sock.close()


if __name__ == "__main__":
    main()
