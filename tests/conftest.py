import os

import pytest

from annotate import projects
from annotate.models import Layer, Role
from tests.factories import make_article, make_project, make_user, scheme_of


def pytest_configure(config):
    if not config.pluginmanager.hasplugin("django"):
        return  # the Django-free modules' tests can run without it
    from django.conf import settings

    # Under the test command (and so in CI) the suite must run on PostgreSQL, never fall back.
    engine = settings.DATABASES["default"]["ENGINE"]
    if os.environ.get("ANNOTATE_REQUIRE_POSTGRES") == "1" and "postgresql" not in engine:
        raise pytest.UsageError(f"The suite must run on PostgreSQL, not {engine}: check DATABASE_URL.")
    # Tests run with DEBUG off, as in production, but over plain HTTP and without a
    # collected static manifest.
    settings.SECURE_SSL_REDIRECT = False
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Hashing test passwords slowly proves nothing and costs seconds per test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # No worker runs under the tests: the agreement page computes a missing result itself
    # (tests/test_agreement_store.py turns this off to test the worker's side).
    settings.ANNOTATE_AGREEMENT_INLINE = True
    settings.ANNOTATE_TEAM_INLINE = True  # the team page's figures likewise


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (a project's labels are cached per scheme
    version), as a freshly started server does."""
    from django.conf import settings

    if settings.configured:  # not when the Django-free modules' tests run without Django
        from django.core.cache import cache  # needs the settings

        cache.clear()


# Personas: a manager, a curator, two annotators and an outsider who must see nothing.
@pytest.fixture
def manager(db):
    return make_user("mia_manager")


@pytest.fixture
def project(manager):
    return make_project(manager=manager, slug="opeds")


@pytest.fixture
def curator(project):
    user = make_user("cory_curator")
    projects.set_member(project=project, user=user, role=Role.CURATOR, by=None)
    return user


@pytest.fixture
def annotator(project):
    user = make_user("ann_annotator")
    projects.set_member(project=project, user=user, role=Role.ANNOTATOR, by=None)
    return user


@pytest.fixture
def annotator2(project):
    user = make_user("ben_annotator")
    projects.set_member(project=project, user=user, role=Role.ANNOTATOR, by=None)
    return user


@pytest.fixture
def outsider(db):
    """A user with a project of their own, who must see nothing of `project`."""
    user = make_user("olga_outsider")
    make_project(manager=user, slug="elsewhere")
    return user


@pytest.fixture
def article(project, annotator, annotator2, manager):
    """An article assigned to both annotators."""
    article = make_article(project)
    projects.assign(article=article, annotators=[annotator, annotator2], by=manager)
    return article


@pytest.fixture
def layer(article, annotator):
    """The annotator's layer of `article`."""
    return Layer.objects.select_related("article__project").get(article=article, annotator=annotator)


@pytest.fixture
def scheme(project):
    """The project's labels and relation types by name: `scheme["Claim"]`, `scheme["supports"]`."""
    return scheme_of(project)


@pytest.fixture
def client_for(client):
    """Log a persona in: `client_for(annotator).get(...)`."""

    def login(user):
        client.force_login(user)
        return client

    return login
