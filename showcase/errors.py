"""The ShowcaseError family: domain errors that carry their HTTP status and a message for people.

Views never ``abort()`` for business rules; services raise one of these and the handlers in
``showcase.errorhandlers`` render it as a page or as JSON.
"""

from __future__ import annotations


class ShowcaseError(Exception):
    """A failure the user can understand and act on."""

    status_code: int = 400
    #: Short machine-readable name used in JSON errors.
    code: str = "bad_request"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(ShowcaseError):
    status_code = 404
    code = "not_found"


class Forbidden(ShowcaseError):
    status_code = 403
    code = "forbidden"


class ValidationFailed(ShowcaseError):
    status_code = 422
    code = "validation_failed"


class Conflict(ShowcaseError):
    status_code = 409
    code = "conflict"


class SubmissionLocked(Conflict):
    code = "submission_locked"


class FileTooLarge(ShowcaseError):
    status_code = 413
    code = "file_too_large"


class UnsupportedFileType(ShowcaseError):
    status_code = 415
    code = "unsupported_file_type"


class StorageUnavailable(ShowcaseError):
    status_code = 503
    code = "storage_unavailable"
