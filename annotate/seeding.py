"""The seeded demo: a project with the default scheme, four people and the sample op-eds."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.db import transaction

from annotate import projects
from annotate.formats.plaintext import parse_plain_text
from annotate.models import Project, Role

SEEDS_DIR = Path(settings.BASE_DIR) / "seeds"
DEMO_SLUG = "demo"
DEMO_PASSWORD = "demo"
# username → role in the demo project
DEMO_PEOPLE = {
    "manager": Role.MANAGER,
    "curator": Role.CURATOR,
    "alice": Role.ANNOTATOR,
    "bob": Role.ANNOTATOR,
}


@transaction.atomic
def load_seeds(*, seeds_dir: Path = SEEDS_DIR, suggestions: bool = False) -> dict[str, int]:
    """Create the demo project, its people and articles; assign every article to both
    annotators. Idempotent: what exists already is left as it is. `suggestions`: the new
    project suggests units from discourse markers (the demo's command asks for it; tests
    that count the workspace's marks and Tab stops leave it off)."""
    users = {}
    created_users = 0
    for username in DEMO_PEOPLE:
        user, created = User.objects.get_or_create(username=username)
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
            created_users += 1
        users[username] = user
    # The demo's manager creates projects (ANNOTATE_PROJECT_CREATORS="staff" allows it
    # to holders of this permission), without being staff with access to the admin.
    users["manager"].user_permissions.add(
        Permission.objects.get(content_type__app_label="annotate", codename="add_project")
    )

    project = Project.objects.filter(slug=DEMO_SLUG).first()
    if project is None:
        project = projects.create_project(
            name="Demo: op-ed arguments",
            slug=DEMO_SLUG,
            manager=users["manager"],
            description="Mark the major claim, the claims and the premises of each op-ed, and how they relate.",
            guidelines=(
                "Select the smallest passage that states the unit, press its key (m, c, p).\n"
                "Give every claim a stance towards the major claim. Link each premise to what it supports or attacks."
            ),
            suggestions=suggestions,
        )
    for username, role in DEMO_PEOPLE.items():
        if not project.memberships.filter(user=users[username]).exists():
            projects.set_member(project=project, user=users[username], role=role, by=None)

    created_articles = 0
    annotators = [users[name] for name, role in DEMO_PEOPLE.items() if role == Role.ANNOTATOR]
    for path in sorted(seeds_dir.glob("*.txt")):
        cleaned = parse_plain_text(path.read_text(encoding="utf-8"), fallback_title=path.stem)
        cleaned.record.metadata = {"source_file": path.name}
        article, created = projects.add_article(project=project, record=cleaned.record, user=None)
        created_articles += created
        assigned = set(article.layers.values_list("annotator_id", flat=True))
        if not {user.pk for user in annotators} <= assigned:
            projects.assign(article=article, annotators=annotators, by=None)
    return {"users": created_users, "articles": created_articles}
