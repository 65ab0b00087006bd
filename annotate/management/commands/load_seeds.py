from django.core.management.base import BaseCommand
from django.template.defaultfilters import pluralize

from annotate.seeding import DEMO_PASSWORD, DEMO_PEOPLE, DEMO_SLUG, load_seeds


class Command(BaseCommand):
    help = "Create the demo project, its people and the sample op-eds in seeds/ (safe to run twice)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-suggestions",
            action="store_true",
            help="Make the demo project with suggestions off (by default it suggests units from discourse markers).",
        )

    def handle(self, *args, no_suggestions=False, **options):
        created = load_seeds(suggestions=not no_suggestions)
        users, articles = created["users"], created["articles"]
        if users or articles:
            made = f"{users} new account{pluralize(users)} and {articles} new article{pluralize(articles)}"
            self.stdout.write(f"Demo project “{DEMO_SLUG}”: {made}.")
        else:
            self.stdout.write(f"Demo project “{DEMO_SLUG}” is ready (its accounts and articles were there already).")
        self.stdout.write(f"Demo logins (password “{DEMO_PASSWORD}” for all):")
        for username, role in DEMO_PEOPLE.items():
            self.stdout.write(f"  {username:<8} {role.label}")
