"""How the API's read endpoints answer: JSON with an ETag (a hash of the body), 304 to a
client whose If-None-Match already names it; and the envelope of a paged list, with
absolute links to the pages before and after."""

import hashlib

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.cache import parse_etags
from django.utils.http import urlencode
from pydantic import BaseModel

MAX_PAGE_SIZE = 100


def read_answer(request: HttpRequest, answer: BaseModel) -> HttpResponse:
    """`answer` as JSON with its ETag, or 304 when the client holds that body already."""
    body = answer.model_dump_json().encode()
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    if etag in parse_etags(request.headers.get("If-None-Match", "")) or request.headers.get("If-None-Match") == "*":
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"  # kept by the client, asked again each time
    response["Vary"] = "Authorization, Cookie"
    return response


def page_link(request: HttpRequest, **cursor: str | None) -> str | None:
    """The absolute address of this request with its page cursor (`after` or `before`)
    replaced, or None when there is no such page."""
    name, value = next(iter(cursor.items()))
    if value is None:
        return None
    query = {key: item for key, item in request.GET.items() if key not in ("after", "before")}
    return request.build_absolute_uri(f"{request.path}?{urlencode({**query, name: value})}")
