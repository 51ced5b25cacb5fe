"""Gate actions (``actions:`` in the main config): rules that call a relay board's HTTP API
or run a command when an event matches, e.g. open the barrier for a whitelisted plate.

A rule is ``{name, when, http: {...}}`` or ``{name, when, command: [argv...]}``, picked by
the key it has (a discriminated union, as the detector plugins are). Texts may hold
placeholders ``{plate_text}``, ``{camera}``, ... (:data:`TEMPLATE_FIELDS`); an unknown one is
a config error. Kept apart from :mod:`alprd.config` so each module stays short.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, field_validator

from alprd.config_camera import CameraId, StrictModel
from alprd.domain.lists import ListStatus
from alprd.domain.messages import Direction

__all__ = ["ActionRule", "ActionWhen", "CommandAction", "HttpAction", "HttpRequest", "TEMPLATE_FIELDS", "placeholders"]

# The fields of an event's JSON (``LiveEvent.as_json``; a test keeps the two equal) and
# ``camera``, short for ``camera_id``.
TEMPLATE_FIELDS = frozenset(
    {
        "event",
        "plate_text",
        "confidence",
        "list_status",
        "camera_id",
        "camera",
        "location",
        "direction",
        "time",
        "time_s",
        "vehicle_type",
        "session_id",
        "original_image_url",
        "annotated_image_url",
        "plate_image_url",
        "vehicle_image_url",
    }
)
# ``{name}`` where name is an identifier: JSON's own braces (``{"a": 1}``) never match.
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def placeholders(value: Any) -> set[str]:
    """Every placeholder name in a text, or in the strings of a list or mapping."""
    if isinstance(value, str):
        return set(PLACEHOLDER.findall(value))
    if isinstance(value, dict):
        return set().union(*(placeholders(k) | placeholders(v) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return set().union(*(placeholders(v) for v in value))
    return set()


def _known_placeholders(value: Any) -> Any:
    unknown = placeholders(value) - TEMPLATE_FIELDS
    if unknown:
        names = ", ".join(f"{{{n}}}" for n in sorted(unknown))
        raise ValueError(f"unknown placeholder {names}; known: " + ", ".join(sorted(TEMPLATE_FIELDS)))
    return value


class ActionWhen(StrictModel):
    event: tuple[Literal["preview", "detection"], ...] = Field(
        ("preview", "detection"),
        min_length=1,
        description="Event kinds that fire (preview: a camera's early read; detection: a stored one).",
    )
    list_status: tuple[ListStatus, ...] = Field((), description="Only plates with one of these statuses; []: any.")
    cameras: tuple[CameraId, ...] = Field(
        (), description="Only events of these cameras; []: any (uploads have no camera)."
    )
    direction: tuple[Direction, ...] = Field((), description="Only these directions; []: any.")


class _Rule(StrictModel):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="Name in logs and /metrics.")
    when: ActionWhen = ActionWhen()
    dedupe_s: float = Field(
        30.0,
        ge=0,
        le=3600,
        description="One vehicle, one firing: the same camera and plate (or one edit apart) within this of the "
        "rule's last firing is skipped (keep it above the cameras' max_event_delay_s).",
    )
    min_interval_s: float = Field(
        1.0, ge=0, le=3600, description="Per camera: at most one firing this often, whatever the plate."
    )
    max_in_flight: int = Field(4, ge=1, le=64, description="Firings running at once; more are skipped and counted.")


class HttpRequest(StrictModel):
    url: str = Field(
        pattern=r"^https?://[^\s]+$",
        max_length=2000,
        description="Placeholders are URL-encoded, e.g. http://relay/open?plate={plate_text}.",
    )
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = Field("POST", description="HTTP method.")
    body: str | dict[str, Any] | None = Field(
        None,
        description="Text (sent as is, text/plain unless headers say otherwise) or a mapping (sent as JSON); "
        "placeholders substituted.",
    )
    headers: dict[str, str] = Field({}, description="Extra headers (placeholders substituted).")
    timeout_s: float = Field(2.0, gt=0, le=60, description="A request not answered by then failed.")

    _placeholders = field_validator("url", "body", "headers")(_known_placeholders)


class HttpAction(_Rule):
    http: HttpRequest = Field(description="The request to send.")


class CommandAction(_Rule):
    command: tuple[str, ...] = Field(
        min_length=1,
        description="Program and arguments (no shell); placeholders substituted in each argument.",
    )
    timeout_s: float = Field(5.0, gt=0, le=300, description="A command still running then is killed (failed).")

    _placeholders = field_validator("command")(_known_placeholders)


def _action_kind(value: Any) -> str | None:
    """'http' or 'command': the key a rule has (None: neither, a validation error)."""
    if isinstance(value, dict):
        return "http" if "http" in value else "command" if "command" in value else None
    return "http" if isinstance(value, HttpAction) else "command" if isinstance(value, CommandAction) else None


ActionRule = Annotated[
    Annotated[HttpAction, Tag("http")] | Annotated[CommandAction, Tag("command")],
    Discriminator(
        _action_kind,
        custom_error_type="action_kind",
        custom_error_message="an action needs 'http: {url, ...}' or 'command: [program, args...]'",
    ),
]
