"""Secrets out of text: camera passwords in URLs, wherever a URL is written.

A camera source may carry its password as ``user:pass@host`` or as a parameter
(``?user=admin&password=...``, ``;pass=...``); both are replaced by ``***`` in what the
API answers, what errors say and what the log holds (a structlog processor).
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from typing import Any

MASK = "***"
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s?#]+@")  # to the last '@' of the authority
_SECRET_PARAM = re.compile(
    r"(?i)([?&;](?:password|passwd|pass|pwd|passphrase|secret|token|auth|authorization|"
    r"key|api_?key|access_?token|credentials?|signature|sig)=)[^&;#\s\"']*"
)


def mask_secrets(text: str) -> str:
    """``text`` with every URL's userinfo and every password-like parameter masked."""
    if "@" not in text and "=" not in text:
        return text
    return _SECRET_PARAM.sub(rf"\g<1>{MASK}", _USERINFO.sub(rf"\g<1>{MASK}@", text))


def _mask_value(value: Any) -> Any:
    if isinstance(value, str):
        return mask_secrets(value)
    if isinstance(value, list | tuple):
        return type(value)(_mask_value(v) for v in value)
    if isinstance(value, dict):
        return {k: _mask_value(v) for k, v in value.items()}
    return value


def mask_log_secrets(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: mask every string value of a log line (tracebacks included)."""
    return {k: _mask_value(v) for k, v in event_dict.items()}
