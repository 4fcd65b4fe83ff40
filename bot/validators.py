"""What people type into the enrolment form, checked and normalised; each problem has a name the bot can explain.

    normalise_email("Sam@Example.NL ") -> "sam@example.nl"
    normalise_mobile("06-12 34 56 78") -> "+31612345678"
    postcode_region("3511 AB") -> "35"
"""
from __future__ import annotations

import re
from typing import Optional, Tuple

EMAIL = re.compile(r"[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.[a-z]{2,24}")
POSTCODE = re.compile(r"\b([1-9][0-9])([0-9]{2})\s?(?:[a-z]{2})?\b", re.IGNORECASE)
NAME = re.compile(r"[^\W\d_]+(?:[ '\-.][^\W\d_]+)*\.?")


class Invalid(ValueError):
    """Input that does not fit, with `reason`: a key for the kind re-ask (e.g. "email_no_at")."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def normalise_email(text: str) -> str:
    value = (text or "").strip().strip("<>").lower()
    if "@" not in value:
        raise Invalid("email_no_at")
    if re.search(r"\s", value) or value.count("@") != 1:
        raise Invalid("email_spaces")
    local, domain = value.split("@")
    if not local or len(value) > 254 or len(local) > 64:
        raise Invalid("email_local")
    if "." not in domain or not EMAIL.fullmatch(value) or ".." in value:
        raise Invalid("email_domain")
    return value


def normalise_mobile(text: str) -> str:
    """A Dutch mobile number (06..., +316..., 00316...) as E.164: "+316" and eight digits."""
    value = re.sub(r"[\s\-().]", "", text or "")
    if value.startswith("00"):
        value = "+" + value[2:]
    if value.startswith("+31"):
        value = "0" + value[3:]
        if value.startswith("00"):  # "+31 (0)6 ...": the (0) stays out
            value = value[1:]
    if not re.fullmatch(r"[0-9]+", value):  # ASCII digits only: str.isdigit() also takes "١" and "²"
        raise Invalid("phone_characters")
    if not value.startswith("06"):
        raise Invalid("phone_not_mobile")
    if len(value) != 10:
        raise Invalid("phone_length")
    return "+31" + value[1:]


def normalise_contact(text: str) -> Tuple[str, str]:
    """("email" | "phone", normalised value): an @ means e-mail, otherwise a phone number."""
    if "@" in (text or "") or re.search(r"[a-z]", (text or "").lower()):
        return "email", normalise_email(text)
    return "phone", normalise_mobile(text)


def postcode_region(text: str) -> Optional[str]:
    """The first two digits of a Dutch postcode in the text ("3511 AB" -> "35"), or None."""
    match = POSTCODE.search(text or "")
    return match.group(1) if match else None


def clean_first_name(text: str) -> str:
    value = " ".join((text or "").split())
    for prefix in ("ik ben ", "ik heet ", "mijn naam is ", "my name is ", "i'm ", "im ", "i am "):
        if value.lower().startswith(prefix):
            value = value[len(prefix):]
    if not value:
        raise Invalid("name_empty")
    if len(value) > 40:
        raise Invalid("name_long")
    if not NAME.fullmatch(value) or any(char.isnumeric() for char in value):  # \w takes "²" and "Ⅳ" as letters
        raise Invalid("name_characters")
    return value[:1].upper() + value[1:]
