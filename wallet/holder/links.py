"""What a pasted link is, said when it is not the kind asked for: an agency's offer pasted
where a desk's request goes (or the other way round), a web link, or text that is no link."""

from __future__ import annotations

import re
from typing import Final

from civicid.errors import Error
from wallet.errors import WALLET_URI_INVALID

OFFER: Final = "openid-credential-offer"
REQUEST: Final = "openid4vp"
# Each kind of link the wallet takes, in people's words, and how it starts.
KINDS: Final = {
    OFFER: ("an agency's credential offer", "openid-credential-offer://"),
    REQUEST: ("a desk's request", "openid4vp://"),
}
# A URI scheme (RFC 3986 §3.1), short enough to name back in a message.
SCHEME: Final = re.compile(r"[a-z][a-z0-9+.-]{0,31}")


def wrong_link(link: str, wanted: str) -> Error:
    """``link`` is not a link of kind ``wanted`` (``OFFER`` or ``REQUEST``): what it is."""
    text = link.strip()
    scheme = text.split(":", 1)[0].lower() if ":" in text else ""
    name, start = KINDS[wanted]
    if scheme in KINDS:
        other, other_start = KINDS[scheme]
        return WALLET_URI_INVALID(f"this is {other} ({other_start}), not {name}")
    if SCHEME.fullmatch(scheme):
        return WALLET_URI_INVALID(f"a {scheme}: link is not {name} (it starts with {start})")
    return WALLET_URI_INVALID(f"this is not a link: {name} starts with {start}")
