import pytest

from bot.commands import command_list, command_payload
from bot.language import detect_language, language_from_locale, requested_language


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ik voel me eenzaam", "nl"),
        ("hoi, hoe gaat het", "nl"),
        ("I feel lonely even with friends", "en"),
        ("can we speak english?", "en"),
        ("ok", None),
        ("👍", None),
        ("/greet", None),
        ("", None),
    ],
)
def test_detect_language(text: str, expected) -> None:
    assert detect_language(text) == expected


def test_locale_and_requested_language() -> None:
    assert language_from_locale("en-GB") == "en"
    assert language_from_locale("nl_BE") == "nl"
    assert language_from_locale("de-DE") is None
    assert language_from_locale(None) is None
    assert requested_language("kunnen we Engels praten?") == "en"
    assert requested_language("can we switch to Dutch") == "nl"
    assert requested_language("hoi") is None


def test_commands_map_to_intents_in_both_languages() -> None:
    assert command_payload("/vergeet") == "/delete_my_data"
    assert command_payload("/forget") == "/delete_my_data"
    assert command_payload("/taal@LichtpuntBot") == "/switch_language"
    assert command_payload("/start") == "/greet"
    assert command_payload("/onbekend") is None
    assert command_payload("hallo") is None
    assert dict(command_list("en"))["exercise"] == "An exercise for now"
    assert [name for name, _ in command_list("en")][:2] == ["start", "help"]
    assert all(command_payload(f"/{name}") for name, _ in command_list("en"))
    assert dict(command_list("nl"))["oefening"] == "Een oefening voor nu"
