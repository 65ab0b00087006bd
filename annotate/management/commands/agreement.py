import dataclasses
import json

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from annotate import agreement_store
from annotate.models import Project
from annotate.project_agreement import ProjectAgreement


def figure(value: float | None, places: int = 3) -> str:
    """A value to three decimals (or `places`), or "—" when it is undefined."""
    return "—" if value is None else f"{value:.{places}f}"


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Columns aligned: the first to the left, the figures to the right."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells):
        first, *rest = cells
        return "  ".join(
            [str(first).ljust(widths[0]), *(str(c).rjust(w) for c, w in zip(rest, widths[1:], strict=True))]
        )

    return [line(header), "  ".join("-" * width for width in widths), *(line(row) for row in rows)]


def text_report(report: ProjectAgreement, slug: str) -> str:
    counted = "finished and in-progress layers" if report.include_in_progress else "finished layers"
    lines = [
        f"Agreement in {slug} ({counted}; annotators: {', '.join(report.annotators) or 'none'})",
        "",
        *table(
            ["measure", "value"],
            [
                [
                    f"alpha_U (articles: {report.continuum_articles}, coders: {report.coders})",
                    figure(report.alpha_u.alpha),
                ],
                ["span F1 exact", figure(report.span_f1_exact)],
                ["span F1 overlap", figure(report.span_f1_overlap)],
                ["relation F1 exact", figure(report.relation_f1_exact)],
                ["relation F1 overlap", figure(report.relation_f1_overlap)],
            ],
        ),
        "",
        *table(
            ["label", "units", "alpha_U", "D_o", "D_e", "span F1 overlap"],
            [
                [
                    row.label,
                    str(row.units),
                    figure(row.alpha_u.alpha),
                    figure(row.alpha_u.observed, 4),
                    figure(row.alpha_u.expected, 4),
                    figure(row.span_f1_overlap),
                ]
                for row in report.labels
            ],
        ),
        "",
        *table(
            [
                "pair",
                "articles",
                "span F1 exact",
                "span F1 overlap",
                "relation F1 exact",
                "relation F1 overlap",
                "alpha_U",
            ],
            [
                [
                    " / ".join(pair.annotators),
                    str(pair.articles),
                    figure(pair.span_f1_exact),
                    figure(pair.span_f1_overlap),
                    figure(pair.relation_f1_exact),
                    figure(pair.relation_f1_overlap),
                    figure(pair.alpha_u),
                ]
                for pair in report.pairs
            ],
        ),
        *attribute_tables(report),
        "",
        "Articles, most contested first:",
        *table(
            ["article", "layers", "alpha_U", "span F1 overlap"],
            [[row.title, str(row.layers), figure(row.alpha_u), figure(row.span_f1_overlap)] for row in report.articles],
        ),
    ]
    return "\n".join(lines) + "\n"


def attribute_tables(report: ProjectAgreement) -> list[str]:
    """Agreement on attributes (a claim's stance) over matched units, when any unit has one:
    Fleiss' kappa with the units every annotator marked alike, Cohen's kappa per pair with
    its matched pairs."""
    if not report.attributes:
        return []
    lines = [
        "",
        *table(
            ["attribute", "units", "Fleiss kappa", "pairs", "Cohen kappa (mean)"],
            [
                [row.name, str(row.units), figure(row.fleiss_kappa), str(row.pairs), figure(row.cohen_kappa)]
                for row in report.attributes
            ],
        ),
    ]
    for row in report.attributes:
        lines += [
            "",
            *table(
                ["pair", f"{row.name} pairs", f"{row.name} Cohen kappa"],
                [
                    [" / ".join(pair.annotators), str(figures["pairs"]), figure(figures["kappa"])]
                    for pair in report.pairs
                    if (figures := pair.attributes.get(row.name))
                ],
            ),
        ]
    return lines


class Command(BaseCommand):
    help = (
        "Agreement among a project's annotators: alpha_U, span and relation F1, per pair and per article, "
        "and kappa on attributes (stance) over matched units. Keeps the per-article sums it computes, "
        "as the agreement page does, so a second run recomputes only the articles changed since."
    )

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True, help="The project's slug.")
        parser.add_argument("--json", action="store_true", help="JSON instead of a table.")
        parser.add_argument("--include-in-progress", action="store_true", help="Count layers in progress too.")
        parser.add_argument("--against-gold", action="store_true", help="Add gold as a participant in the pairs.")

    def handle(self, *args, project, include_in_progress, against_gold, **options):
        project_obj = Project.objects.filter(slug=project).first()
        if project_obj is None:
            raise CommandError(f"No project with the slug “{project}”.")
        counted = {"include_in_progress": include_in_progress, "against_gold": against_gold}
        # The stored per-article sums brought up to date (as the page's worker does), so
        # the command reads the project one article at a time and only what changed.
        with transaction.atomic():
            figures, _ = agreement_store.refresh(project_obj, **counted)
            rows = list(agreement_store.stored_rows(project_obj, **counted))
        report = dataclasses.replace(ProjectAgreement.from_json(figures), articles=rows)
        if options["json"]:
            self.stdout.write(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
        else:
            self.stdout.write(text_report(report, project_obj.slug), ending="")
