"""The lossless formats round-trip byte for byte through our own import: random layers of
every shape (nested, overlapping, discontinuous across line and paragraph breaks, astral
characters and combining marks, stances, several relations from one unit, cycles) are
written into a project, exported, imported into a fresh project the way an upload is
read (`datasets.parse_upload`, then `datasets.import_records`) and exported again; the
two files are the same bytes. brat takes the shapes docs/formats.md says it writes
exactly (`samples.spans_over`, `brat_safe`)."""

from django.db import transaction
from hypothesis import assume, given, settings

from annotate import datasets, projects
from annotate.formats.records import ArticleRecord, LayerRecord
from annotate.models import Role
from tests.factories import make_project, make_user
from tests.formats.samples import articles


def layer_content(layer: LayerRecord) -> tuple[list, list]:
    """A layer's units and relations whatever their ids: the export numbers units in
    text order, the random layers in the order they were drawn."""
    unit = {
        unit.id: (unit.label, [(span.start, span.end) for span in unit.spans], unit.attributes, unit.note)
        for unit in layer.units
    }
    relations = [(relation.type, unit[relation.source], unit[relation.target]) for relation in layer.relations]
    return sorted(unit.values(), key=repr), sorted(relations, key=repr)


def export_bytes(project, format_name: str) -> bytes:
    chunks = datasets.export_chunks(project, format_name=format_name, choice=datasets.LayerChoice())
    return b"".join(chunk if isinstance(chunk, bytes) else chunk.encode() for chunk in chunks)


def project_with(slug: str, *, manager, annotators):
    project = make_project(manager=manager, slug=slug)
    for user in annotators:
        projects.set_member(project=project, user=user, role=Role.ANNOTATOR, by=None)
    return project


def round_trip(article: ArticleRecord, *, format_name: str, file_name: str) -> None:
    # A title the database cannot store (a NUL character) is refused before any format.
    assume(not datasets.storage_problems([article]))
    # Each example runs in a savepoint rolled back at its end: nothing leaks into the next.
    with transaction.atomic():
        manager = make_user("round-trip-manager")
        annotators = [make_user("ann"), make_user("bob")]
        original = project_with("original", manager=manager, annotators=annotators)
        written = datasets.import_records(project=original, records=[article], user=manager)
        assert (written.problems, written.written) == ([], True)

        first = export_bytes(original, format_name)
        copy = project_with("copy", manager=manager, annotators=annotators)
        imported = datasets.import_records(
            project=copy, records=datasets.parse_upload(first, file_name=file_name), user=manager
        )
        assert (imported.problems, imported.written) == ([], True)
        second = export_bytes(copy, format_name)

        # The file holds the random layers, so equal bytes are not two empty exports.
        [exported] = datasets.parse_upload(first, file_name=file_name)
        assert {layer.owner: layer_content(layer) for layer in exported.layers} == {
            layer.owner: layer_content(layer) for layer in article.layers
        }
        assert second == first
        transaction.set_rollback(True)


def test_jsonl_export_import_export_gives_the_same_bytes_for_random_layers_of_every_shape(db):
    @settings(max_examples=100, deadline=None, database=None)
    @given(articles())
    def check(article):
        round_trip(article, format_name="jsonl", file_name="export.jsonl")

    check()


def test_brat_export_import_export_gives_the_same_bytes_for_random_layers_it_writes_exactly(db):
    @settings(max_examples=100, deadline=None, database=None)
    # An article without layers is not written to brat at all.
    @given(articles(brat_safe=True, min_layers=1))
    def check(article):
        round_trip(article, format_name="brat", file_name="export.zip")

    check()
