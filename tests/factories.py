"""Test data, built through the same domain functions the app uses."""

import itertools

from django.contrib.auth.models import User

from annotate import projects
from annotate.formats.records import ArticleRecord
from annotate.models import Article, Project

_numbers = itertools.count(1)

ARTICLE_TEXT = (
    "Cities should ban cars from their centres.\n\n"
    "Traffic kills thousands every year, and most trips in town are short. "
    "Critics say shops will suffer, but footfall rises where streets are calm."
)


def make_user(username: str | None = None, *, password: str = "secret-pass-1") -> User:
    username = username or f"user{next(_numbers)}"
    return User.objects.create_user(username=username, password=password)


def make_project(*, manager: User | None = None, slug: str | None = None, **settings) -> Project:
    number = next(_numbers)
    manager = manager or make_user(f"manager{number}")
    return projects.create_project(
        name=f"Project {number}", slug=slug or f"project-{number}", manager=manager, **settings
    )


def make_article(project: Project, *, text: str | None = None, title: str | None = None) -> Article:
    number = next(_numbers)
    text = text if text is not None else f"{ARTICLE_TEXT} ({number})"
    record = ArticleRecord(title=title or f"Article {number}", text=text)
    article, _ = projects.add_article(project=project, record=record, user=None)
    return article
