"""The article list (and the lists built on it): search, filters, orders and keyset pages,
driven as a browser does: links followed from the page, never built by the test."""

from urllib.parse import urljoin

import lxml.html
import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotate import lifecycle, projects
from annotate.models import Article, Layer, Role
from tests.factories import make_article, make_unit, make_user

pytestmark = pytest.mark.django_db


def page_of(client, url):
    response = client.get(url)
    html = lxml.html.fromstring(response.content.decode())
    titles = [link.text_content() for link in html.xpath("//table//tbody//td[1]/a")]
    # Links resolve against the page's address, as a browser resolves them.
    links = {
        rel: [urljoin(url, href) for href in html.xpath(f"//nav[@class='pager']//a[@rel='{rel}']/@href")]
        for rel in ("next", "prev")
    }
    return response, titles, links


def listed(client, project, query=""):
    """Every title of the list, following its Next links from the first page."""
    url = reverse("annotate:article_list", args=[project.slug]) + (f"?{query}" if query else "")
    titles = []
    while url:
        response, page, links = page_of(client, url)
        assert response.status_code == 200
        titles += page
        url = links["next"][0] if links["next"] else None
    return titles


def messages_of(response):
    return [li.text_content() for li in lxml.html.fromstring(response.content.decode()).find_class("message")]


@pytest.fixture
def many(project):
    """120 articles (three pages of 50) with titles and lengths in other orders than ids."""
    made = []
    for number in range(120):
        title = f"Op-ed {(number * 37) % 120:03d}"
        made.append(make_article(project, title=title, text="word " * (1 + (number * 53) % 120) + f"n{number}"))
    return made


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("added", lambda a: a.pk),
        ("-added", lambda a: -a.pk),
        ("title", lambda a: (a.title, a.pk)),
        ("-title", lambda a: (tuple(-ord(c) for c in a.title), -a.pk)),
        ("length", lambda a: (len(a.text), a.pk)),
        ("-length", lambda a: (-len(a.text), -a.pk)),
    ],
)
def test_next_links_walk_every_article_once_in_the_order_asked_and_previous_links_walk_back(
    client, project, manager, many, sort, key
):
    client.force_login(manager)
    expected = [article.title for article in sorted(many, key=key)]

    assert listed(client, project, f"sort={sort}") == expected

    # From the last page, Previous links give the pages before it, back to the first.
    url = reverse("annotate:article_list", args=[project.slug]) + f"?sort={sort}"
    pages = []
    while url:
        _, titles, links = page_of(client, url)
        pages.append(titles)
        url = links["next"][0] if links["next"] else None
    back = [pages[-1]]
    _, _, links = page_of(client, reverse("annotate:article_list", args=[project.slug]) + f"?sort={sort}")
    url = page_of(client, page_of(client, links["next"][0])[2]["next"][0])[2]["prev"][0]
    while True:
        _, titles, links = page_of(client, url)
        back.insert(0, titles)
        if not links["prev"]:
            break
        url = links["prev"][0]
    assert [len(page) for page in pages] == [50, 50, 20]
    assert back == pages


@pytest.mark.parametrize("n", [3, 60])
def test_the_list_runs_a_fixed_number_of_queries_with_every_filter(
    client, project, manager, annotator, annotator2, django_assert_num_queries, n
):
    claim = project.labels.get(name="Claim")
    for number in range(n):
        article = make_article(project, title=f"Cars {number}")
        projects.assign(article=article, annotators=[annotator, annotator2], by=manager)
        layer = Layer.objects.select_related("article__project").get(article=article, annotator=annotator)
        lifecycle.start_layer(layer=layer, user=annotator)
        make_unit(layer, claim, "Cities should ban cars")
    client.force_login(manager)
    query = f"q=cars&status=in_progress&annotator={annotator.pk}&label={claim.pk}&sort=-title"
    cache.clear()  # the scheme's labels are read once, then cached by scheme version

    # session, user, membership, annotators, labels, the page, the count, the page's layers
    with django_assert_num_queries(8):
        response = client.get(reverse("annotate:article_list", args=[project.slug]) + f"?{query}")

    assert (response.status_code, response.context["listing"].count) == (200, n)
    assert len(response.context["listing"].rows) == min(n, 50)


def test_no_query_of_the_list_reads_an_article_text(client, project, manager, annotator, many):
    client.force_login(manager)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("annotate:article_list", args=[project.slug]) + "?q=word&sort=length")
    assert response.status_code == 200
    selects = [query["sql"].split(" FROM ")[0] for query in queries.captured_queries]
    assert [select for select in selects if '"annotate_article"."text"' in select] == []


@pytest.fixture
def progress(project, manager, annotator, annotator2, curator):
    """One article in each state, by title."""
    claim = project.labels.get(name="Claim")
    made = {name: make_article(project, title=name) for name in ("unassigned", "waiting", "begun", "done", "half")}
    projects.assign(article=made["waiting"], annotators=[annotator, annotator2], by=manager)
    projects.assign(article=made["begun"], annotators=[annotator], by=manager)
    projects.assign(article=made["done"], annotators=[annotator, annotator2], by=manager)
    projects.assign(article=made["half"], annotators=[annotator, annotator2], by=manager)
    layers = {
        (layer.article.title, layer.annotator.username): layer
        for layer in Layer.objects.select_related("article__project", "annotator").filter(annotator__isnull=False)
    }
    lifecycle.start_layer(layer=layers["begun", annotator.username], user=annotator)
    make_unit(layers["begun", annotator.username], claim, "Cities should ban cars")
    for key in [("done", annotator.username), ("done", annotator2.username), ("half", annotator.username)]:
        make_unit(layers[key], project.labels.get(name="Premise"), "Traffic kills thousands")
        lifecycle.finish_layer(layer=layers[key], user=layers[key].annotator, confirmed=True)
    from annotate import review

    gold = review.start_gold(article=made["done"], user=curator)
    lifecycle.finish_layer(layer=gold, user=curator, confirmed=True)
    return made


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("", ["unassigned", "waiting", "begun", "done", "half"]),
        ("status=unassigned", ["unassigned"]),
        ("status=not_started", ["waiting"]),
        ("status=in_progress", ["begun", "half"]),
        ("status=finished", ["done"]),
        ("status=unfinished", ["waiting", "begun", "half"]),
        ("status=curated", ["done"]),
        ("annotator=ANN", ["waiting", "begun", "done", "half"]),
        ("annotator=BEN&status=finished", ["done"]),
        ("annotator=BEN&status=not_started", ["waiting", "half"]),
        ("annotator=BEN&status=unassigned", ["unassigned", "begun"]),
        ("label=CLAIM", ["begun"]),
        ("label=PREMISE", ["done", "half"]),
        ("label=PREMISE&annotator=BEN", ["done"]),
        ("sort=-title&status=in_progress", ["half", "begun"]),
    ],
)
def test_each_filter_gives_exactly_its_articles(
    client, project, curator, annotator, annotator2, progress, query, titles
):
    query = (
        query.replace("ANN", str(annotator.pk))
        .replace("BEN", str(annotator2.pk))
        .replace("CLAIM", str(project.labels.get(name="Claim").pk))
        .replace("PREMISE", str(project.labels.get(name="Premise").pk))
    )
    client.force_login(curator)
    assert listed(client, project, query) == titles


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("", ["waiting", "done", "half"]),
        ("status=finished", ["done"]),
        ("status=in_progress", []),
        ("status=not_started", ["waiting", "half"]),
        ("status=unfinished", ["waiting", "half"]),
        # In a blind project an annotator's label filter looks at their own layer only:
        # ben marked Premise in "done", ann (not ben) in "half".
        ("label=PREMISE", ["done"]),
    ],
)
def test_an_annotator_lists_their_own_articles_by_their_own_layer(client, project, annotator2, progress, query, titles):
    query = query.replace("PREMISE", str(project.labels.get(name="Premise").pk))
    client.force_login(annotator2)
    assert listed(client, project, query) == titles


def test_search_finds_words_of_titles_and_texts_phrases_and_leaves_out_words(client, project, manager):
    make_article(project, title="Trams for Zürich", text="Die Straßenbahn fährt pünktlich, sagt man.")
    make_article(project, title="Cars", text="Cities should ban cars from their centres.")
    make_article(project, title="Bikes", text="Cities should welcome bikes, not ban them.")
    client.force_login(manager)

    assert listed(client, project, "q=zürich") == ["Trams for Zürich"]
    assert listed(client, project, "q=Straßenbahn") == ["Trams for Zürich"]
    assert listed(client, project, "q=cities+ban") == ["Cars", "Bikes"]
    assert listed(client, project, "q=%22ban+cars%22") == ["Cars"]
    assert listed(client, project, "q=cities+-bikes") == ["Cars"]
    assert listed(client, project, "q=nowhere") == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the search index is PostgreSQL's")
def test_search_reads_the_stored_document_through_its_index(project, manager):
    from annotate import article_lists

    texts = [" ".join(f"word{n % 97}x{i}" for i in range(200)) + f" article{n}" for n in range(300)]
    Article.objects.bulk_create(
        Article(project=project, title=f"Op-ed {n}", text=text, text_hash=f"{n:064}") for n, text in enumerate(texts)
    )
    membership = manager.memberships.get()
    matching = article_lists.articles_matching(
        membership, article_lists.ArticleFilter({"q": "article299"}, membership=membership)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE annotate_article")
        constraints = connection.introspection.get_constraints(cursor, "annotate_article")
        # The search's condition alone, where neither the table nor another index may be
        # read from start to end: only its index can answer it (it is the indexed column's).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = Article.objects.filter(article_lists._search("article299")).order_by().explain()
    assert (constraints["article_search"]["columns"], constraints["article_search"]["type"]) == (
        ["search_document"],
        "gin",
    )
    assert "Bitmap Index Scan on article_search" in plan
    assert list(matching.values_list("title", flat=True)) == ["Op-ed 299"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("after=garbage", "This page link cannot be read; here is the first page."),
        ("status=archived", "Status: Select a valid choice. archived is not one of the available choices."),
        ("annotator=999999", "Annotator: Select a valid choice. 999999 is not one of the available choices."),
        ("label=abc", "Label: Select a valid choice. abc is not one of the available choices."),
        ("q=" + "x" * 201, "Search: Ensure this value has at most 200 characters (it has 201)."),
        ("q=cars%00", "Search: Null characters are not allowed."),
        ("sort=text", "Sort: Select a valid choice. text is not one of the available choices."),
    ],
)
def test_a_filter_or_page_link_that_cannot_be_read_answers_400_with_the_first_page_of_everything(
    client, project, manager, many, query, message
):
    client.force_login(manager)

    response, titles, links = page_of(client, reverse("annotate:article_list", args=[project.slug]) + f"?{query}")

    assert response.status_code == 400
    assert messages_of(response) == [message]
    assert titles == [article.title for article in many[:50]]


def test_a_page_link_of_another_order_is_refused(client, project, manager, many):
    client.force_login(manager)
    _, _, links = page_of(client, reverse("annotate:article_list", args=[project.slug]) + "?sort=title")
    cursor = links["next"][0].split("after=")[1]

    response, titles, _ = page_of(
        client, reverse("annotate:article_list", args=[project.slug]) + f"?sort=length&after={cursor}"
    )

    assert (response.status_code, messages_of(response)) == (
        400,
        ["This page link is for another order; here is the first page."],
    )
    assert titles == [a.title for a in sorted(many, key=lambda a: (len(a.text), a.pk))][:50]


def test_an_outsider_and_a_foreign_annotator_id_see_nothing_of_the_project(client, project, outsider, many):
    client.force_login(outsider)
    assert client.get(reverse("annotate:article_list", args=[project.slug])).status_code == 404


def test_the_annotators_home_lists_ten_of_their_unfinished_articles_in_progress_first_and_links_the_rest(
    client, project, manager, annotator
):
    made = [make_article(project, title=f"Op-ed {n:02d}") for n in range(14)]
    for article in made:
        projects.assign(article=article, annotators=[annotator], by=manager)
    layers = {layer.article.title: layer for layer in Layer.objects.select_related("article__project")}
    lifecycle.start_layer(layer=layers["Op-ed 12"], user=annotator)
    lifecycle.finish_layer(layer=layers["Op-ed 03"], user=annotator, confirmed=True)
    client.force_login(annotator)

    response = client.get(reverse("annotate:project_detail", args=[project.slug]))

    html = lxml.html.fromstring(response.content.decode())
    assert [a.text_content() for a in html.xpath("//section[h2='Your queue']//tbody//a")] == [
        "Op-ed 12",
        *[f"Op-ed {n:02d}" for n in (0, 1, 2, 4, 5, 6, 7, 8, 9)],
    ]
    assert [a.text_content() for a in html.xpath("//section[h2='Your queue']/p/a")] == [
        "Not started: 12",
        "In progress: 1",
        "Finished: 1",
        "All 13 unfinished articles →",
    ]
    (rest,) = html.xpath("//a[starts-with(., 'All 13')]/@href")
    assert len(listed(client, project, rest.split("?")[1])) == 13  # the link's own query


@pytest.mark.parametrize("n", [3, 40])
def test_the_project_page_runs_a_fixed_number_of_queries(
    client, project, manager, annotator, django_assert_num_queries, n
):
    projects.set_member(project=project, user=manager, role=Role.MANAGER, by=manager)
    for _ in range(n):
        projects.assign(article=make_article(project), annotators=[annotator], by=manager)
    for user, count in [(annotator, 5), (manager, 6)]:
        client.force_login(user)
        # session, user, membership, queue, own counts (and the project's counts)
        with django_assert_num_queries(count):
            response = client.get(reverse("annotate:project_detail", args=[project.slug]))
        assert response.status_code == 200


def test_the_tag_filter_reads_a_tag_or_a_list_of_tags(client, project, manager):
    for title, metadata in [("one", {"tag": "transport"}), ("two", {"tags": ["health", "transport"]}), ("three", {})]:
        article = make_article(project, title=title)
        Article.objects.filter(pk=article.pk).update(metadata=metadata)
    client.force_login(manager)
    assert listed(client, project, "tag=transport") == ["one", "two"]
    assert listed(client, project, "tag=health") == ["two"]


def test_a_new_user_with_no_project_gets_404(client, project):
    client.force_login(make_user("newcomer"))
    assert client.get(reverse("annotate:article_list", args=[project.slug])).status_code == 404


def test_curators_list_the_articles_whose_annotators_disagree_as_the_agreement_figures_last_computed_them(
    client, project, manager, curator, annotator, annotator2
):
    claim, premise = project.labels.get(name="Claim"), project.labels.get(name="Premise")
    made = {name: make_article(project, title=name) for name in ("alike", "apart", "alone")}
    projects.assign(article=made["alike"], annotators=[annotator, annotator2], by=manager)
    projects.assign(article=made["apart"], annotators=[annotator, annotator2], by=manager)
    projects.assign(article=made["alone"], annotators=[annotator], by=manager)
    for layer in Layer.objects.select_related("article__project", "annotator").filter(annotator__isnull=False):
        lifecycle.start_layer(layer=layer, user=layer.annotator)
        label = premise if (layer.article.title, layer.annotator) == ("apart", annotator2) else claim
        make_unit(layer, label, "Cities should ban cars")
        lifecycle.finish_layer(layer=layer, user=layer.annotator, confirmed=True)
    client.force_login(curator)
    assert listed(client, project, "status=disagreed") == []  # no figures computed yet

    assert client.get(reverse("annotate:agreement", args=[project.slug])).status_code == 200

    assert listed(client, project, "status=disagreed") == ["apart"]
    client.force_login(annotator)
    response, titles, _ = page_of(client, reverse("annotate:article_list", args=[project.slug]) + "?status=disagreed")
    assert (response.status_code, messages_of(response)) == (
        400,
        ["Status: Select a valid choice. disagreed is not one of the available choices."],
    )
