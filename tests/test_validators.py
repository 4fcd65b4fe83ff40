"""What people type into the enrolment form (bot/validators.py): normalised when it fits, a named reason when not."""
from __future__ import annotations

import re
import string
from typing import Callable, Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.content import message
from bot.validators import (
    Invalid, clean_first_name, normalise_contact, normalise_email, normalise_mobile, postcode_region,
)

# No example database on disk, no deadline on a busy CI machine.
SETTINGS = settings(database=None, deadline=None, max_examples=300)
E164_MOBILE = re.compile(r"\+316[0-9]{8}")
REASONS = {
    "email_no_at", "email_spaces", "email_local", "email_domain",
    "phone_characters", "phone_not_mobile", "phone_length",
    "name_empty", "name_long", "name_characters",
}


def reason(check: Callable[[str], object], text: str) -> str:
    with pytest.raises(Invalid) as refused:
        check(text)
    return refused.value.reason


# ---- e-mail ----

@pytest.mark.parametrize(
    "text, expected",
    [
        ("sam@example.nl", "sam@example.nl"),
        ("Sam@Example.NL ", "sam@example.nl"),
        ("  SAM.DE.VRIES@GMAIL.COM\n", "sam.de.vries@gmail.com"),
        ("<sam@example.nl>", "sam@example.nl"),
        ("sam+cursus@example.nl", "sam+cursus@example.nl"),
        ("j_o-e@mail.buurthuis-de-kroon.nl", "j_o-e@mail.buurthuis-de-kroon.nl"),
        ("a@b.co", "a@b.co"),
    ],
)
def test_good_email_addresses_are_lower_cased_and_trimmed(text: str, expected: str) -> None:
    assert normalise_email(text) == expected


@pytest.mark.parametrize(
    "text, expected_reason",
    [
        ("", "email_no_at"),
        ("sam", "email_no_at"),
        ("sam.example.nl", "email_no_at"),
        ("sam @example.nl", "email_spaces"),
        ("sam@exam ple.nl", "email_spaces"),
        ("sam\t@example.nl", "email_spaces"),
        ("sam@@example.nl", "email_spaces"),
        ("sam@example.nl@example.nl", "email_spaces"),
        ("@example.nl", "email_local"),
        ("a" * 65 + "@example.nl", "email_local"),
        ("sam@" + "a" * 250 + ".nl", "email_local"),  # longer than 254 altogether
        ("sam@example", "email_domain"),
        ("sam@", "email_domain"),
        ("sam@example..nl", "email_domain"),
        ("sam..de@example.nl", "email_domain"),
        ("sam@-example.nl", "email_domain"),
        ("sam@example-.nl", "email_domain"),
        ("sam@exa_mple.nl", "email_domain"),
        ("sam@example.n", "email_domain"),
        ("sam@example.123", "email_domain"),
        ("zoë@example.nl", "email_domain"),
    ],
)
def test_bad_email_addresses_name_the_problem(text: str, expected_reason: str) -> None:
    assert reason(normalise_email, text) == expected_reason


# ---- mobile numbers ----

@pytest.mark.parametrize(
    "text",
    [
        "0612345678", "06 12345678", "06-12345678", "06-12 34 56 78", "06 1234 5678", "(06) 12345678",
        "06.12.34.56.78", "+31612345678", "+31 6 1234 5678", "+31 6 12 34 56 78", "+31 (0)6-12345678",
        "+31(0)612345678", "+31 (0) 6 12345678", "0031612345678", "0031 6 12345678", "0031 (0)6 12345678",
        " 06 12345678 ", "06\u00a012345678",
    ],
)
def test_every_spelling_of_a_dutch_mobile_gives_one_e164_number(text: str) -> None:
    assert normalise_mobile(text) == "+31612345678"


@pytest.mark.parametrize(
    "text, expected_reason",
    [
        ("", "phone_characters"),
        ("geen idee", "phone_characters"),
        ("06 1234 567a", "phone_characters"),
        ("06/12345678", "phone_characters"),
        ("+32 470 12 34 56", "phone_characters"),  # Belgian: not a Dutch number
        ("06١٢٣٤٥٦٧٨", "phone_characters"),  # Arabic-Indic digits are digits, but no phone dials them
        ("06¹²³⁴⁵⁶⁷⁸", "phone_characters"),
        ("０６１２３４５６７８", "phone_characters"),  # full-width
        ("020 123 4567", "phone_not_mobile"),
        ("+31 20 123 4567", "phone_not_mobile"),
        ("612345678", "phone_not_mobile"),
        ("06 1234567", "phone_length"),
        ("06 123456789", "phone_length"),
        ("+31 6 1234 567", "phone_length"),
        ("06", "phone_length"),
    ],
)
def test_bad_mobile_numbers_name_the_problem(text: str, expected_reason: str) -> None:
    assert reason(normalise_mobile, text) == expected_reason


SEPARATORS = st.sampled_from(["", "", " ", "-", ".", " - ", "  ", "\u00a0"])
PREFIXES = st.sampled_from(
    ["06", "06 ", "06-", "(06)", "(06) ", "+316", "+31 6", "+31 6 ", "+31-6-", "0031 6", "00316", "0031-6",
     "+31 (0)6", "+31 (0)6-", "+31(0)6", "+31 (0) 6 ", "0031 (0)6 ", "(+31) 6 "]
)


@st.composite
def spelled_mobile(draw: st.DrawFn) -> tuple:
    """Eight digits, and one way a person might type the number: prefix, digit groups, separators, spaces."""
    digits = draw(st.text(alphabet=string.digits, min_size=8, max_size=8))
    cuts = sorted(draw(st.lists(st.integers(1, 7), max_size=4, unique=True)))
    groups = [digits[start:end] for start, end in zip([0] + cuts, cuts + [8])]
    spelled = draw(PREFIXES)
    for group in groups:
        spelled += draw(SEPARATORS) + group
    padding = draw(st.sampled_from(["", " ", "\n", "  "]))
    return padding + spelled + padding, digits


@SETTINGS
@given(spelled_mobile())
def test_any_spelling_of_a_valid_mobile_normalises_to_the_same_e164(case: tuple) -> None:
    spelled, digits = case
    assert normalise_mobile(spelled) == "+316" + digits


@SETTINGS
@given(st.text(alphabet=string.digits, min_size=8, max_size=8), st.data())
def test_different_spellings_of_one_number_are_one_contact(digits: str, data: st.DataObject) -> None:
    """Two spellings of the same number are the same person for the organiser (and for `enrol` updating)."""
    first = data.draw(PREFIXES) + digits
    second = data.draw(PREFIXES) + digits[:4] + " " + digits[4:]
    assert normalise_contact(first) == normalise_contact(second) == ("phone", "+316" + digits)


# ---- any text: a result of the right shape, or Invalid (never another exception) ----

ANY_TEXT = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.text(alphabet="06+31 ()-.@abcxyz_Zë\t\n\u00a0١²", max_size=30),
    st.text(alphabet=st.characters(categories=["Nd", "No"]), min_size=8, max_size=8).map(lambda d: "06" + d),
    st.text(alphabet=st.characters(categories=["Nd", "No", "Zs"]), max_size=14).map(lambda d: "+31 (0)6" + d),
)


def outcome(check: Callable[[str], object], text: str) -> Optional[object]:
    """The result, or None when refused; a refusal must carry a reason the bot has a message for."""
    try:
        return check(text)
    except Invalid as refused:
        assert refused.reason in REASONS
        return None


@SETTINGS
@given(ANY_TEXT)
def test_any_text_gives_an_e164_mobile_or_invalid(text: str) -> None:
    result = outcome(normalise_mobile, text)
    assert result is None or E164_MOBILE.fullmatch(result)


@SETTINGS
@given(ANY_TEXT)
def test_any_text_gives_a_clean_email_or_invalid(text: str) -> None:
    result = outcome(normalise_email, text)
    assert result is None or (result == result.lower().strip() and result.count("@") == 1 and result.isascii())


@SETTINGS
@given(ANY_TEXT)
def test_any_text_gives_a_contact_or_invalid(text: str) -> None:
    result = outcome(normalise_contact, text)
    if result is not None:
        kind, value = result
        assert (kind == "phone" and E164_MOBILE.fullmatch(value)) or (kind == "email" and "@" in value)


@SETTINGS
@given(ANY_TEXT)
def test_any_text_gives_a_short_name_or_invalid(text: str) -> None:
    result = outcome(clean_first_name, text)
    assert result is None or (0 < len(result) <= 40 and not any(c.isdigit() or c in "<>@_" for c in result))


@SETTINGS
@given(ANY_TEXT)
def test_any_text_gives_two_postcode_digits_or_none(text: str) -> None:
    region = postcode_region(text)
    assert region is None or (re.fullmatch(r"[1-9][0-9]", region) and region in text)


def test_every_reason_has_a_kind_message_in_both_languages() -> None:
    for name in REASONS:
        for language in ("nl", "en"):
            assert message(f"invalid_{name}", language).strip()  # a sentence that says what looked wrong
    texts = [message(f"invalid_{name}", "nl") for name in REASONS]
    assert len(set(texts)) == len(texts), "every problem has its own explanation"


# ---- e-mail addresses people really have round-trip, lower-cased ----

LOCAL_CHARS = string.ascii_letters + string.digits + "_%+-"
ATOM = st.text(alphabet=LOCAL_CHARS, min_size=1, max_size=12)
LABEL = st.builds(
    lambda first, middle, last: first + middle + last if middle or last else first,
    st.sampled_from(string.ascii_letters + string.digits),
    st.text(alphabet=string.ascii_letters + string.digits + "-", max_size=10),
    st.sampled_from(["", *string.ascii_letters, *string.digits]),
).filter(lambda label: not label.endswith("-"))
TLD = st.text(alphabet=string.ascii_letters, min_size=2, max_size=24)


@SETTINGS
@given(
    st.lists(ATOM, min_size=1, max_size=4).map(".".join).filter(lambda local: len(local) <= 64),
    st.lists(LABEL, min_size=1, max_size=3),
    TLD,
    st.sampled_from(["", " ", "  ", "\n", "\t"]),
)
def test_a_valid_email_address_round_trips_lower_cased(local: str, labels: list, tld: str, padding: str) -> None:
    address = f"{local}@{'.'.join(labels)}.{tld}"
    assert normalise_email(padding + address + padding) == address.lower()
    assert normalise_contact(address) == ("email", address.lower())


# ---- contact: e-mail or phone ----

@pytest.mark.parametrize(
    "text, expected",
    [
        ("Sam@Example.nl", ("email", "sam@example.nl")),
        ("06 12345678", ("phone", "+31612345678")),
        ("+31 (0)6-12345678", ("phone", "+31612345678")),
    ],
)
def test_contact_is_an_email_or_a_mobile(text: str, expected: tuple) -> None:
    assert normalise_contact(text) == expected


@pytest.mark.parametrize(
    "text, expected_reason",
    [
        ("sam", "email_no_at"),  # letters: meant as an e-mail address
        ("sam at example.nl", "email_no_at"),
        ("sam@example", "email_domain"),
        ("020 1234567", "phone_not_mobile"),
        ("06 1234", "phone_length"),
        ("", "phone_characters"),
    ],
)
def test_bad_contact_names_the_problem(text: str, expected_reason: str) -> None:
    assert reason(normalise_contact, text) == expected_reason


# ---- postcodes ----

@pytest.mark.parametrize(
    "text, expected",
    [
        ("3511 AB", "35"), ("3511AB", "35"), ("3511 ab", "35"), ("3511", "35"), ("1000 AA", "10"),
        ("9999 ZZ", "99"), ("mijn postcode is 8011 PK in Zwolle", "80"), ("Postcode: 2511CV.", "25"),
        ("0999 AB", None), ("12345", None), ("351", None), ("AB 3511x", None), ("", None), ("Utrecht", None),
    ],
)
def test_postcode_region_examples(text: str, expected: Optional[str]) -> None:
    assert postcode_region(text) == expected


def test_postcode_region_for_every_postcode_with_and_without_letters() -> None:
    letters = string.ascii_uppercase
    for number in range(1000, 10000):
        pair = letters[number % 26] + letters[(number // 26) % 26]
        expected = str(number)[:2]
        for spelled in (f"{number}", f"{number} {pair}", f"{number}{pair}", f"{number} {pair.lower()}",
                        f"ik woon in {number} {pair}, Nederland"):
            assert postcode_region(spelled) == expected, spelled
    for number in range(0, 1000):
        assert postcode_region(f"{number:04d} AB") is None


@SETTINGS
@given(st.integers(1000, 9999), st.text(alphabet=string.ascii_letters, min_size=2, max_size=2),
       st.sampled_from(["", " "]), st.sampled_from(["", "postcode ", "Ik woon op "]), st.sampled_from(["", ".", "!", " thuis"]))
def test_postcode_region_in_a_sentence(number: int, pair: str, space: str, before: str, after: str) -> None:
    assert postcode_region(f"{before}{number}{space}{pair}{after}") == str(number)[:2]


# ---- first names ----

@pytest.mark.parametrize(
    "text, expected",
    [
        ("sam", "Sam"), ("  Sam  ", "Sam"), ("ik ben Sam", "Sam"), ("Ik heet sanne", "Sanne"),
        ("mijn naam is Zoë", "Zoë"), ("my name is Joe", "Joe"), ("I'm Ann", "Ann"), ("Anne-Marie", "Anne-Marie"),
        ("anne   marie", "Anne marie"), ("O'Brien", "O'Brien"), ("J.P.", "J.P."), ("Ömer", "Ömer"),
    ],
)
def test_good_first_names(text: str, expected: str) -> None:
    assert clean_first_name(text) == expected


@pytest.mark.parametrize(
    "text, expected_reason",
    [
        ("", "name_empty"), ("   ", "name_empty"), ("a" * 41, "name_long"), ("Sam123", "name_characters"),
        ("<script>", "name_characters"), ("sam_", "name_characters"), ("sam@example.nl", "name_characters"),
        ("06 12345678", "name_characters"), ("--", "name_characters"), ("🙂", "name_characters"),
        ("Sam²", "name_characters"), ("Ⅻ", "name_characters"),
    ],
)
def test_bad_first_names_name_the_problem(text: str, expected_reason: str) -> None:
    assert reason(clean_first_name, text) == expected_reason
