"""Two constant things Rasa 3.6 recomputes on every turn, computed once (found with py-spy under load, issue 13).

1. Every custom action's answer is checked against the action response schema with `jsonschema.validate`,
   which first checks the schema itself against the JSON-schema meta-schema: 19 ms per call here, two calls
   a turn (the language slot mapping and the action itself). One validator built once checks the same answer
   in 0.3 ms, with the same errors.
2. Every stored event is turned back into an object by looking its type up among all subclasses of `Event`,
   found again by walking the class tree for each event. Known names are kept in a table; an unknown one still
   goes through Rasa's own lookup (and its errors).

Nothing else changes: same checks, same events, same dialogue model. `install()` is called when the tracker
store (bot/tracker_store.py) is loaded, which every Rasa server of this bot does; it is safe to call twice.
"""
from __future__ import annotations

import functools
from typing import Any, Dict, Optional, Text, Type

from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event

_original_resolve_by_type = Event.resolve_by_type
_event_types: Dict[Text, Type[Event]] = {}


@functools.lru_cache(maxsize=None)
def _response_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)  # once, instead of on every call
    return validator_class(schema)


def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    try:
        _response_validator().validate(result)
        return True
    except ValidationError as error:
        error.message += (  # Rasa's own wording
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error


def resolve_by_type(type_name: Text, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    found = _event_types.get(type_name)
    if found is not None:
        return found
    found = _original_resolve_by_type(type_name, default)
    if found is not None and found.type_name == type_name:
        _event_types[type_name] = found
    return found


def install() -> None:
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign,assignment]
