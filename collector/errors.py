"""Errors that services raise and the HTTP and CLI layers translate.

Each carries the status an API answers with and a message precise enough for the
caller to fix the request; ``fields`` names every offending field at once.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BadRequest",
    "Conflict",
    "FieldError",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "PayloadTooLarge",
    "RateLimited",
    "ServiceError",
    "Unauthorized",
    "UnsupportedMediaType",
]


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class ServiceError(Exception):
    status = 500

    def __init__(self, message: str, fields: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or []


class BadRequest(ServiceError):
    status = 400


class Unauthorized(ServiceError):
    """401; ``challenge`` is the WWW-Authenticate value (the API's bearer one unless given)."""

    status = 401

    def __init__(self, message: str, fields: list[FieldError] | None = None, challenge: str | None = None) -> None:
        super().__init__(message, fields)
        self.challenge = challenge


class Forbidden(ServiceError):
    status = 403


class NotFound(ServiceError):
    status = 404


class Conflict(ServiceError):
    status = 409


class PayloadTooLarge(ServiceError):
    status = 413


class UnsupportedMediaType(ServiceError):
    status = 415


class InvalidInput(ServiceError):
    status = 422


class RateLimited(ServiceError):
    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
