"""The small family of errors alprd raises; caught at boundaries only."""

from __future__ import annotations

EXIT_CONFIG = 78  # EX_CONFIG: systemd's RestartPreventExitStatus stops restart loops


class AlprdError(Exception):
    """Base of every error alprd raises on purpose."""


class ConfigError(AlprdError):
    """The configuration is invalid; the message names the file, line and field."""


class NotFoundError(AlprdError):
    """A requested record or file does not exist (HTTP 404)."""


class BadInputError(AlprdError):
    """Input from a client or file is malformed (HTTP 4xx, never a 500)."""


class ConflictError(BadInputError):
    """The request clashes with what is stored, e.g. a name already taken (HTTP 409)."""


class PayloadTooLargeError(BadInputError):
    """A request body over its limit (HTTP 413)."""


class UnsupportedMediaError(BadInputError):
    """A body of a media type the route does not take (HTTP 415)."""


class RequestTimeoutError(BadInputError):
    """A client that did not send its request body in time (HTTP 408)."""


class ForbiddenError(AlprdError):
    """A request refused whoever sends it, e.g. a cross-site write (HTTP 403)."""


class ModelError(AlprdError):
    """A model file is missing, corrupt, or has an unexpected shape."""


class InferenceUnavailableError(AlprdError):
    """Plate reading is not available (no models loaded) (HTTP 503)."""


class StorageFullError(AlprdError):
    """The disk holding the database or outputs is full."""


class StorageUnavailableError(AlprdError):
    """The database server cannot be reached (fleet mode: the link is down) (HTTP 503)."""
