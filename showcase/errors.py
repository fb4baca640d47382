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


class MalwareFound(ShowcaseError):
    """The virus scanner found something in an upload; the message names it."""

    status_code = 422
    code = "malware_found"


class ScannerUnavailable(ShowcaseError):
    """Uploads must be scanned and the scanner gave no verdict: store nothing (fail closed)."""

    status_code = 503
    code = "scanner_unavailable"


class IncompleteBody(ShowcaseError):
    """The request body ended before the length the client announced: the client went away."""

    code = "incomplete_body"


class DigestMismatch(ValidationFailed):
    """The file that arrived does not have the digest the client declared for it."""

    code = "digest_mismatch"


# -- request parsing (showcase.inputs) and unavailable dependencies (showcase.errorhandlers) --


class MalformedRequest(ShowcaseError):
    """The body could not be parsed (invalid JSON, bad UTF-8, nested too deep)."""

    status_code = 400
    code = "malformed_request"


class RequestTooLarge(ShowcaseError):
    """A body over ``MAX_BODY_BYTES`` on a route that is not an upload."""

    status_code = 413
    code = "request_too_large"


class UnsupportedMediaType(ShowcaseError):
    """A body in a format the endpoint does not take (a JSON endpoint sent text or a form)."""

    status_code = 415
    code = "unsupported_media_type"


class ServiceUnavailable(ShowcaseError):
    """A dependency (database, rate-limit store) is unreachable; answered with Retry-After."""

    status_code = 503
    code = "service_unavailable"
    #: Seconds a client should wait before trying again (the Retry-After header).
    retry_after = 30


class DatabaseUnavailable(ServiceUnavailable):
    code = "database_unavailable"


class SignInUnavailable(ServiceUnavailable):
    code = "sign_in_unavailable"
