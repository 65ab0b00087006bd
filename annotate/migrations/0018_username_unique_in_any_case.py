"""Usernames unique in any case: a unique index on the username in upper case.

Logins find the account by its username in any case (annotate.accounts.AnyCaseModelBackend),
and new accounts are refused a username taken in any case (annotate.accounts.new_user);
the index keeps two requests that pass that check at once from both making one.

The index is on UPPER(username), the expression Django's `username__iexact` compares on
PostgreSQL, so it is the very rule the app checks (and serves that lookup at login). On
SQLite both are ASCII-only, alike.

Accounts made before may already differ only in case ("Dana" and "dana"); the index
cannot be made over them, and refusing to migrate would stop the site's upgrade. Then
it is left out, and the names are printed: rename all but one of each (in the admin),
then run `manage.py migrate annotate 0017` and `manage.py migrate` to make it. Meanwhile
each of them logs in with the username spelled exactly.
"""

import sys

from django.conf import settings
from django.db import migrations
from django.db.models import Count
from django.db.models.functions import Upper

INDEX = "auth_user_username_upper_uniq"


def create(apps, schema_editor):
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    clashes = (
        User.objects.annotate(key=Upper("username")).values("key").annotate(n=Count("id")).filter(n__gt=1).values("key")
    )
    names = sorted(User.objects.annotate(key=Upper("username")).filter(key__in=clashes).values_list("username", flat=True))
    if names:
        print(
            "\nUsernames differ only in case: " + ", ".join(names) + ". The index making usernames unique in any case "
            "was left out: rename all but one of each, then run `manage.py migrate annotate 0017` and "
            "`manage.py migrate`.",
            file=sys.stderr,
        )
        return
    quote = schema_editor.quote_name
    column = "username::text" if schema_editor.connection.vendor == "postgresql" else "username"
    schema_editor.execute(f"CREATE UNIQUE INDEX {quote(INDEX)} ON {quote(User._meta.db_table)} (UPPER({column}))")


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(INDEX)}")


class Migration(migrations.Migration):

    dependencies = [
        ("annotate", "0017_effort"),
        # After auth's last change to its user table: on SQLite a change remakes the table,
        # leaving out an index Django's models do not know of.
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create, drop)]
