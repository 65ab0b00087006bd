"""scheme.css, linked by every page of a project: addressed by the scheme's version, kept
by the browser for a year, revalidated by its ETag, built once per version."""

import re

import pytest
from django.urls import reverse

from annotate.models import Label

LINK = re.compile(r'<link rel="stylesheet" href="([^"]*scheme\.css[^"]*)">')


def linked_css(client, url: str) -> str:
    """The scheme.css address a page links."""
    return LINK.search(client.get(url).content.decode()).group(1)


def directives(response) -> set[str]:
    return {directive.strip() for directive in response["Cache-Control"].split(",")}


def test_pages_link_the_css_of_the_scheme_version_which_the_browser_keeps(client, project, annotator):
    client.force_login(annotator)

    url = linked_css(client, project.get_absolute_url())
    response = client.get(url)

    project.refresh_from_db()
    assert url == f"/p/{project.slug}/scheme.css?v={project.scheme_version}"
    assert response.status_code == 200
    assert directives(response) == {"private", "max-age=31536000", "immutable"}
    assert re.fullmatch(r'"[0-9a-f]{32}"', response["ETag"])


def test_a_conditional_get_of_the_css_answers_not_modified(client, project, annotator):
    client.force_login(annotator)
    url = linked_css(client, project.get_absolute_url())
    first = client.get(url)

    again = client.get(url, headers={"If-None-Match": first["ETag"]})

    assert (again.status_code, again.content, again["ETag"]) == (304, b"", first["ETag"])
    assert directives(again) == {"private", "max-age=31536000", "immutable"}


def test_a_scheme_change_links_a_new_address_whose_css_has_the_new_colour(client, project, manager):
    client.force_login(manager)
    claim = project.labels.get(name="Claim")
    before = linked_css(client, project.get_absolute_url())
    edit = reverse("annotate:scheme_entry_edit", args=[project.slug, "label", claim.pk])
    form = client.get(edit).context["form"]
    data = {name: form[name].value() for name in form.fields}

    saved = client.post(edit, {**data, "colour": "#123456"})
    after = linked_css(client, saved["Location"])
    css = client.get(after).content.decode().splitlines()

    version = int(before.rsplit("=", 1)[1])
    assert after == f"/p/{project.slug}/scheme.css?v={version + 1}"
    assert f".label-{claim.pk} {{ --colour: #123456; --on-colour: #ffffff; }}" in css


def test_the_css_at_an_earlier_versions_address_is_the_current_one_and_not_kept(client, project, manager):
    client.force_login(manager)
    claim = project.labels.get(name="Claim")
    old = linked_css(client, project.get_absolute_url())
    Label.objects.filter(pk=claim.pk).update(colour="#654321")  # counts a scheme change

    response = client.get(old)

    assert f".label-{claim.pk} {{ --colour: #654321; --on-colour: #ffffff; }}" in response.content.decode()
    assert directives(response) == {"private", "no-cache", "no-store"}


@pytest.mark.parametrize("n", [1, 10])
def test_the_css_is_built_once_per_scheme_version_in_a_fixed_number_of_queries(
    client, project, annotator, django_assert_num_queries, n
):
    for i in range(n):
        Label.objects.create(project=project, name=f"Extra {i}", key="abdfghijkn"[i], colour="#abcdef", order=10 + i)
    client.force_login(annotator)
    url = linked_css(client, project.get_absolute_url())

    # Session, user, membership with the project, then the labels and relation types.
    with django_assert_num_queries(5):
        first = client.get(url)
    # The CSS of this version is kept: no label is read.
    with django_assert_num_queries(3):
        second = client.get(url)

    assert first.content == second.content
    assert len(first.content.decode().splitlines()) == 3 + n + 2
