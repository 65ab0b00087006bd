"""Errors are data: every 4xx under /api/v1/ is JSON `{"code": "...", "message": "..."}`,
with the message the pages show. The API's own exceptions are answered by the handlers
`install` registers; whatever else answers a request under /api/v1/ with an error page
(Django's 404 for an unknown path, a 405, a body too large) is rewritten by
`ApiErrorsMiddleware`."""

import json

import pydantic
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja.errors import AuthenticationError, HttpError, ValidationError

from annotate.api.tokens import Throttled, TokenError

PREFIX = "/api/v1/"
CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "too_large",
    422: "invalid",
    429: "throttled",
}
MESSAGES = {
    401: "Send a personal API token (Authorization: Bearer …) or log in.",
    404: "There is no such API route.",
    405: "This API route does not take this method.",
    413: "The request's body is larger than the API takes.",
}


def error(status: int, message: str, **extra) -> JsonResponse:
    """The answer to a request refused with `status` and `message`."""
    body = {"code": CODES.get(status, "error"), "message": message, **extra}
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def body_of(request: HttpRequest, schema: type[pydantic.BaseModel]):
    """The request's JSON body read as `schema`, once the route has checked access (a
    body the route declared would be read before, telling an outsider 422 rather than
    404); what cannot be read answers 422."""
    try:
        data = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise HttpError(422, "The body must be a JSON object.") from None
    try:
        return schema.model_validate(data)
    except pydantic.ValidationError as problem:
        raise ValidationError([{**item, "loc": ("body", *item["loc"])} for item in problem.errors()]) from None


def body_schema(schema: type[pydantic.BaseModel], example: dict) -> dict:
    """The OpenAPI description of a JSON body read with `body_of`."""
    described = schema.model_json_schema()
    return {
        "requestBody": {"required": True, "content": {"application/json": {"schema": described, "example": example}}}
    }


def _validation_message(errors: list[dict]) -> str:
    parts = []
    for item in errors:
        where = ".".join(str(part) for part in item.get("loc", ()) if part not in ("body", "query", "path", "payload"))
        parts.append(f"{where}: {item.get('msg', 'invalid')}" if where else item.get("msg", "invalid"))
    return "; ".join(parts)


def install(api) -> None:
    """Register the handlers of the API's exceptions on the NinjaAPI `api`."""

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error(404, str(exc) or MESSAGES[404])

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return error(403, str(exc) or "You may not do this.")

    @api.exception_handler(Throttled)
    def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        response = error(429, str(exc))
        response["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(TokenError)
    def bad_token(request: HttpRequest, exc: TokenError) -> HttpResponse:
        return _unauthorized(error(401, str(exc)))

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return _unauthorized(error(401, MESSAGES[401]))

    @api.exception_handler(ValidationError)
    def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return error(422, _validation_message(exc.errors))

    @api.exception_handler(RequestDataTooBig)
    def too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return error(413, MESSAGES[413])

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        message = "The CSRF token is missing or wrong: a logged-in browser sends it with every change (X-CSRFToken)."
        return error(exc.status_code, message if str(exc) == "CSRF check Failed" else str(exc))


def _unauthorized(response: HttpResponse) -> HttpResponse:
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


class ApiErrorsMiddleware:
    """An error under /api/v1/ that something other than the API answered (Django's 404
    for a path no route has, a method a route does not take, a body refused unread) is
    answered as the API answers its own: JSON with a code and a message."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            400 <= response.status_code < 500
            and request.path.startswith(PREFIX)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            replaced = error(response.status_code, MESSAGES.get(response.status_code, response.reason_phrase))
            for header in ("Allow", "Retry-After", "WWW-Authenticate"):
                if header in response:
                    replaced[header] = response[header]
            return replaced
        return response
