"""Ghost's error envelope: `{"errors": [{nine keys}]}`, every key present, null when unset."""

import uuid

from django.http import JsonResponse

ERROR_CACHE_CONTROL = "no-cache, private, no-store, must-revalidate, max-stale=0, post-check=0, pre-check=0"
NOT_FOUND_CACHE_CONTROL = (
    "no-cache, max-age=0, no-store, must-revalidate, max-stale=0, post-check=0, pre-check=0"
)


class ApiError(Exception):
    status = 500
    type = "InternalServerError"

    def __init__(self, message: str, context: str | None = None, *, code: str | None = None, property=None):
        super().__init__(message)
        self.message = message
        self.context = context
        self.code = code
        self.property = property

    def as_json(self) -> dict:
        return {
            "message": self.message,
            "context": self.context,
            "type": self.type,
            "details": None,
            "property": self.property,
            "help": None,
            "code": self.code,
            "id": str(uuid.uuid4()),
            "ghostErrorCode": None,
        }


class InternalServerError(ApiError):
    pass


class BadRequest(ApiError):
    status, type = 400, "BadRequestError"


class Unauthorized(ApiError):
    status, type = 401, "UnauthorizedError"


class NoPermission(ApiError):
    status, type = 403, "NoPermissionError"


class NotFound(ApiError):
    status, type = 404, "NotFoundError"


class MethodNotAllowed(ApiError):
    status, type = 405, "MethodNotAllowedError"


class UpdateCollision(ApiError):
    status, type = 409, "UpdateCollisionError"


class RequestEntityTooLarge(ApiError):
    status, type = 413, "RequestEntityTooLargeError"


class UnsupportedMediaType(ApiError):
    status, type = 415, "UnsupportedMediaTypeError"


class Validation(ApiError):
    status, type = 422, "ValidationError"


class TooManyRequests(ApiError):
    status, type = 429, "TooManyRequestsError"


def error_response(error: ApiError) -> JsonResponse:
    response = JsonResponse({"errors": [error.as_json()]}, status=error.status)
    response["Content-Type"] = "application/json; charset=utf-8"
    response["Cache-Control"] = NOT_FOUND_CACHE_CONTROL if error.status == 404 else ERROR_CACHE_CONTROL
    return response
