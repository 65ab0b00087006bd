from django.core.management.base import BaseCommand

from annotate.seeding import DEMO_PASSWORD, DEMO_PEOPLE, DEMO_SLUG, load_seeds


class Command(BaseCommand):
    help = "Create the demo project, its people and the sample op-eds in seeds/ (safe to run twice)."

    def handle(self, *args, **options):
        created = load_seeds()
        self.stdout.write(
            f"Demo project “{DEMO_SLUG}”: {created['users']} accounts and {created['articles']} articles created."
        )
        self.stdout.write(f"Demo logins (password “{DEMO_PASSWORD}” for all):")
        for username, role in DEMO_PEOPLE.items():
            self.stdout.write(f"  {username:<8} {role.label}")
