"""Display names in a DID document: what a valid entry is (DID Core and pydid accept it),
each refusal with its code, and the choice of the name a person reads."""

from __future__ import annotations

from typing import Any

import pytest

from civicid.did import Document
from civicid.errors import Error
from civicid.identity import Identity
from civicid.names import (
    MAX_LANGUAGES,
    MAX_NAME_CHARS,
    MAX_TAG_CHARS,
    accept_language,
    check_names,
    display_name,
    display_names,
    languages_from_environment,
    names_service,
    parse_names,
)
from civicid.status_uri import base_urls, status_service

CADUR = {"en": "City of Cadur", "fr": "Ville de Cadur"}


def refused(code: str, call: Any, *args: Any) -> Error:
    with pytest.raises(Error) as info:
        call(*args)
    assert info.value.code == code, info.value
    return info.value


def test_a_document_with_names_is_a_did_core_document() -> None:
    who = Identity.create(services=[status_service("https://cadur.example"), names_service(CADUR)])
    Document.validate(who.did, who.document)  # pydid: a map is a valid serviceEndpoint
    service = who.document["service"][1]
    assert service == {"id": f"{who.did}#names", "type": "DisplayNames", "serviceEndpoint": CADUR}
    assert display_names(who.document) == CADUR
    assert base_urls(who.document) == ("https://cadur.example/",)  # names are no base URL


def test_a_document_without_names_has_none() -> None:
    assert display_names(Identity.create().document) == {}


@pytest.mark.parametrize(
    "tag",
    ["en", "fr-CA", "zh-Hant-TW", "sr-Latn", "es-419", "de-CH-1996", "en-a-bbb-x-ccc", "x-civic",
     "gsw", "ast", "zh-yue-HK"],
)  # fmt: skip
def test_bcp47_tags_accepted(tag: str) -> None:
    assert check_names({tag: "A name"}) == {tag: "A name"}


@pytest.mark.parametrize(
    "tag",
    ["", "e", "en-toolongvariant", "en_GB", "fr-", "-fr", "en--GB", "12", "en-GB-x", "fr CA",
     "a" * (MAX_TAG_CHARS + 1), "ça", "en-Latn-Latn-GB-GB"],
)  # fmt: skip
def test_a_language_not_shaped_as_bcp47_is_refused(tag: str) -> None:
    refused("name_language_invalid", check_names, {tag: "A name"})


def test_the_length_limit() -> None:
    assert check_names({"en": "x" * MAX_NAME_CHARS})
    refused("name_too_long", check_names, {"en": "x" * (MAX_NAME_CHARS + 1)})


@pytest.mark.parametrize(
    "name",
    ["City\x1b]52;c;aGk=\x07", "City\nof Cadur", "City\u202eruda", "Ci\u200bty", "City\x9b2J",
     "City\u2028of"],
    ids=["osc52", "newline", "bidi-override", "zero-width-space", "c1-csi", "line-separator"],
)  # fmt: skip
def test_control_format_and_separator_characters_are_refused(name: str) -> None:
    refused("name_control_character", check_names, {"en": name})


def test_joiners_are_letters_of_some_names() -> None:
    persian = "\u0634\u0647\u0631\u200c\u062f\u0627\u0631\u06cc"  # municipality, with a ZWNJ
    assert check_names({"fa": persian})


def test_too_many_languages() -> None:
    many = {f"x-l{i}": "A name" for i in range(MAX_LANGUAGES)}
    assert check_names(many) == many
    refused("names_too_many", check_names, {**many, "x-one-more": "A name"})


@pytest.mark.parametrize(
    "names",
    [{}, [], "City of Cadur", {"en": ""}, {"en": "   "}, {"en": 3}, {"en": " City"},
     {"en": "A", "EN": "B"}],
    ids=["empty", "list", "string", "empty-name", "blank", "number", "padded", "same-language"],
)  # fmt: skip
def test_malformed_entries(names: Any) -> None:
    refused("names_invalid", check_names, names)


def test_two_entries_in_one_document_are_refused() -> None:
    doc = {"service": [names_service(CADUR), names_service({"en": "Someone else"})]}
    refused("names_invalid", display_names, doc)


def test_a_malformed_entry_in_a_document_is_refused_not_half_read() -> None:
    service = {"id": "#names", "type": "DisplayNames", "serviceEndpoint": {"en": "A\x1b[2J"}}
    refused("name_control_character", display_names, {"service": [service]})


def test_command_line_names() -> None:
    assert parse_names(["en=City of Cadur", "fr=Ville de Cadur"]) == CADUR
    assert parse_names(["en=A=B"]) == {"en": "A=B"}
    assert parse_names([]) == {}
    refused("names_invalid", parse_names, ["City of Cadur"])
    refused("names_invalid", parse_names, ["en=A", "en=B"])
    refused("name_language_invalid", parse_names, ["en_GB=A"])


@pytest.mark.parametrize(
    "languages, expected",
    [
        (["fr"], "Ville de Cadur"),
        (["fr-CA"], "Ville de Cadur"),  # RFC 4647 lookup: fr-CA, then fr
        (["FR_ca"], "Ville de Cadur"),  # a locale's spelling
        (["de", "fr"], "Ville de Cadur"),  # the first language with a name
        (["de"], "City of Cadur"),  # none: its first name, not the DID
        ([], "City of Cadur"),
    ],
)
def test_the_name_chosen(languages: list[str], expected: str) -> None:
    assert display_name(CADUR, languages, fallback="did:civicid:x") == expected


def test_a_body_without_names_is_shown_by_its_did() -> None:
    assert display_name({}, ["en"], fallback="did:civicid:x") == "did:civicid:x"


def test_lookup_drops_a_singleton_with_its_subtag() -> None:
    names = {"en": "English", "en-a": "never"}
    assert display_name(names, ["en-a-bbb"], fallback="") == "English"


@pytest.mark.parametrize(
    "header, expected",
    [
        ("fr-CA, fr;q=0.9, en;q=0.8", ("fr-CA", "fr", "en")),
        ("en;q=0.5, de", ("de", "en")),  # by quality, then as listed
        ("fr;q=0, en", ("en",)),  # q=0: not acceptable
        ("*, en;q=0.1", ("en",)),
        ("", ()),
        ("en;q=high, fr", ("fr",)),
        ("<script>, fr", ("fr",)),
    ],
)
def test_accept_language(header: str, expected: tuple[str, ...]) -> None:
    assert accept_language(header) == expected


@pytest.mark.parametrize(
    "environ, expected",
    [
        ({"LANG": "fr_CA.UTF-8"}, ("fr-CA",)),
        ({"LANGUAGE": "fr:en_GB", "LANG": "de_DE.UTF-8"}, ("fr", "en-GB", "de-DE")),
        ({"LC_ALL": "C.UTF-8", "LANG": "fr_FR.UTF-8"}, ()),  # LC_ALL wins: the C locale
        ({"LC_MESSAGES": "nl_BE@euro"}, ("nl-BE",)),
        ({}, ()),
    ],
)
def test_languages_from_environment(environ: dict[str, str], expected: tuple[str, ...]) -> None:
    assert languages_from_environment(environ) == expected
