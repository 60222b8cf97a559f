"""A link pasted where another kind goes says what it is: a desk's request pasted to receive
(or an agency's offer pasted to answer a desk), a web link, or text that is no link at all
("hello there: links are not credential offers" it said, and named any text as a scheme)."""

from __future__ import annotations

import pytest

from civicid.errors import Error
from tests.wallet.test_app import SIZE, fill
from wallet.app import WalletApp
from wallet.holder.issuance import offer_link
from wallet.holder.presentation import request_link
from wallet.holder.wallet import Wallet
from wallet.screens.error import ErrorModal
from wallet.screens.receive import ReceiveScreen

REQUEST = "openid4vp://?client_id=decentralized_identifier%3Adid%3Acivicid%3Aabc&request_uri=x"
OFFER = "openid-credential-offer://?credential_offer_uri=http%3A%2F%2F127.0.0.1%2Foffers%2Fx"


def refused(read: object, link: str) -> str:
    assert callable(read)
    with pytest.raises(Error) as info:
        read(link)
    assert info.value.code == "wallet_uri_invalid"
    return info.value.message


@pytest.mark.parametrize(
    ("link", "said"),
    [
        (REQUEST, "this is a desk's request (openid4vp://), not an agency's credential offer"),
        (
            "mailto:someone@example.org",
            "a mailto: link is not an agency's credential offer "
            "(it starts with openid-credential-offer://)",
        ),
        (
            "hello there",
            "this is not a link: an agency's credential offer starts with "
            "openid-credential-offer://",
        ),
        (
            "\x1b]52;c;aGk=\x07: x",
            "this is not a link: an agency's credential offer starts with "
            "openid-credential-offer://",
        ),
    ],
)
def test_not_an_offer(link: str, said: str) -> None:
    assert refused(offer_link, link) == said


@pytest.mark.parametrize(
    ("link", "said"),
    [
        (
            OFFER,
            "this is an agency's credential offer (openid-credential-offer://), "
            "not a desk's request",
        ),
        (
            "https://desk.example/x",
            "a https: link is not a desk's request (it starts with openid4vp://)",
        ),
        ("", "this is not a link: a desk's request starts with openid4vp://"),
    ],
)
def test_not_a_request(link: str, said: str) -> None:
    assert refused(request_link, link) == said


@pytest.mark.asyncio
async def test_the_receive_screen_names_a_desks_request(holder: Wallet) -> None:
    app = WalletApp(holder.settings, wallet=holder)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        assert isinstance(app.screen, ReceiveScreen)
        await fill(pilot, "#link", REQUEST, submit=True)
        assert isinstance(app.screen, ErrorModal)
        assert app.screen.error.code == "wallet_uri_invalid"
        assert "a desk's request (openid4vp://)" in app.screen.error.message
