"""The HTTP API, /api/v1/ (docs/api.md): django-ninja routes over the same access rules
and domain functions as the pages, an OpenAPI schema at /api/v1/openapi.json and its
browsable docs at /api/v1/docs (Swagger UI from the package's own static files).

- `auth`: who a request comes from (a personal API token, or the browser's session).
- `tokens`: the tokens themselves, and the throttling of failed ones.
- `errors`: every 4xx as JSON with a code and a message.
- `answers`: ETags and the envelope of a paged list.
- `projects`: projects, articles and layers.
- `pipelines`: imports and exports as jobs, a job's progress, an export's file.
- `curation`: agreement figures and assignment.
"""

from ninja import NinjaAPI, Swagger

from annotate.api import curation, errors, pipelines, projects
from annotate.api.auth import SessionAuth, TokenAuth

api = NinjaAPI(
    title="Argument annotator API",
    version="1",
    description=(
        "Projects, articles, layers, imports, exports, jobs, agreement and assignment of the argument annotator. "
        "Authenticate with a personal API token (`Authorization: Bearer …`, made on your account page) "
        "or a logged-in browser session. See docs/api.md."
    ),
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
    docs=Swagger(settings={"persistAuthorization": False}),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
errors.install(api)
api.add_router("", projects.router)
api.add_router("", pipelines.router)
api.add_router("", curation.router)
