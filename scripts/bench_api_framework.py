"""The API's framework, chosen by measure: django-ninja and Django REST framework serving
one identical read endpoint, a project's article list (a page of 50 articles, each with
its annotators' layers), through Django's test client in-process (URL resolution,
middleware, authentication, the same `article_lists.article_list` call, serialisation to
JSON). Each framework's endpoint is written the way its documentation teaches: ninja with
a pydantic response schema, DRF with an APIView and a Serializer (JSON renderer only).
The two take turns in rounds after a few untimed requests; prints requests a second,
p50 and p95 (ms), and checks that both answer the same bytes' worth of JSON.

    createdb -h /tmp/mypg -U annotate bench_api
    DATABASE_URL="postgres://annotate@/bench_api?host=/tmp/mypg" \\
        .venv/bin/python scripts/bench_api_framework.py [--requests 400] [--articles 200]

It migrates that database and fills it with one project (run it on a throwaway one).
Django REST framework is not a dependency of the app: install it beside the measurement
only (`pip install --target /tmp/drf djangorestframework` and `PYTHONPATH=/tmp/drf`); the
script measures ninja alone when it is absent.
"""

import argparse
import json
import statistics
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from _bench import IN_PROCESS, setup_django  # noqa: E402

setup_django({**IN_PROCESS, "ALLOWED_HOSTS": "testserver"})

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import clear_url_caches, path  # noqa: E402

from annotate import access, article_lists, projects  # noqa: E402
from annotate.models import Project  # noqa: E402
from tests.factories import make_article, make_project, make_user  # noqa: E402

try:
    import rest_framework  # noqa: F401
except ImportError:
    rest_framework = None


def row_json(row) -> dict:
    article = row.article
    return {
        "id": article.pk,
        "title": article.title,
        "author": article.author,
        "published": article.published,
        "length": article.length,
        "layers": [{"id": layer.pk, "owner": layer.annotator.username, "status": layer.status} for layer in row.layers],
    }


def ninja_urls() -> list:
    from datetime import date

    from ninja import NinjaAPI, Schema
    from ninja.security import django_auth

    class LayerOut(Schema):
        id: int
        owner: str
        status: str

    class ArticleOut(Schema):
        id: int
        title: str
        author: str
        published: date | None
        length: int
        layers: list[LayerOut]

    class PageOut(Schema):
        count: int
        results: list[ArticleOut]

    api = NinjaAPI(urls_namespace="bench-ninja", auth=django_auth, docs_url=None)

    @api.get("/projects/{slug}/articles", response=PageOut)
    def articles(request, slug: str):
        membership = access.membership_or_404(request.user, slug)
        listing = article_lists.article_list(membership, request.GET)
        return {"count": listing.count, "results": [row_json(row) for row in listing.rows]}

    return [path("ninja/", api.urls)]


def drf_urls() -> list:
    from rest_framework import serializers
    from rest_framework.authentication import SessionAuthentication
    from rest_framework.permissions import IsAuthenticated
    from rest_framework.renderers import JSONRenderer
    from rest_framework.response import Response
    from rest_framework.views import APIView

    class LayerSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        owner = serializers.CharField()
        status = serializers.CharField()

    class ArticleSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        title = serializers.CharField()
        author = serializers.CharField(allow_blank=True)
        published = serializers.DateField(allow_null=True)
        length = serializers.IntegerField()
        layers = LayerSerializer(many=True)

    class Articles(APIView):
        authentication_classes = [SessionAuthentication]
        permission_classes = [IsAuthenticated]
        renderer_classes = [JSONRenderer]

        def get(self, request, slug):
            membership = access.membership_or_404(request.user, slug)
            listing = article_lists.article_list(membership, request.GET)
            results = ArticleSerializer([row_json(row) for row in listing.rows], many=True).data
            return Response({"count": listing.count, "results": results})

    return [path("drf/projects/<slug:slug>/articles", Articles.as_view())]


def fill(articles: int) -> Project:
    project = Project.objects.filter(slug="bench-api").first()
    if project is not None:
        return project
    manager = make_user("bench-api-manager")
    project = make_project(manager=manager, slug="bench-api")
    annotators = [make_user(f"bench-api-annotator-{n}") for n in range(2)]
    for annotator in annotators:
        projects.set_member(project=project, user=annotator, role="annotator", by=None)
    for _ in range(articles):
        article = make_article(project)
        projects.assign(article=article, annotators=annotators, by=manager)
    return project


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--articles", type=int, default=200)
    options = parser.parse_args()
    call_command("migrate", verbosity=0)
    project = fill(options.articles)
    manager = project.memberships.get(role="manager").user

    urlconf = types.ModuleType("bench_api_urls")
    urlconf.urlpatterns = ninja_urls() + (drf_urls() if rest_framework else [])
    sys.modules["bench_api_urls"] = urlconf
    settings.ROOT_URLCONF = "bench_api_urls"
    clear_url_caches()

    frameworks = {"django-ninja": f"/ninja/projects/{project.slug}/articles"}
    if rest_framework:
        frameworks["Django REST framework"] = f"/drf/projects/{project.slug}/articles"
    client = Client()
    client.force_login(manager)
    answers = {}
    for name, url in frameworks.items():
        for _ in range(10):
            response = client.get(url)
        assert response.status_code == 200, (name, response.status_code, response.content[:300])
        answers[name] = json.loads(response.content)
    if len(answers) == 2:
        ninja_answer, drf_answer = answers.values()
        # The same data (ninja writes dates as ISO strings too).
        assert ninja_answer == drf_answer, "the two endpoints answer differently"
    timings = {name: [] for name in frameworks}
    for _ in range(options.requests):
        for name, url in frameworks.items():
            start = time.perf_counter()
            client.get(url)
            timings[name].append(time.perf_counter() - start)
    print(f"{options.requests} requests each, a page of 50 of {project.articles.count()} articles")
    print(f"{'framework':24} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7}")
    for name, times in timings.items():
        times_ms = sorted(t * 1000 for t in times)
        p95 = times_ms[int(len(times_ms) * 0.95) - 1]
        rate = len(times) / sum(times)
        print(f"{name:24} {rate:7.0f} {statistics.median(times_ms):7.2f} {p95:7.2f}")


if __name__ == "__main__":
    main()
