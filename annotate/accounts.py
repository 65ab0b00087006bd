"""Accounts made from a project's Members page: invites, accounts a manager creates,
deactivation and reactivation, and password links.

No email server is needed: every link is shown to the manager, who sends it. When email
is set up (settings.EMAIL_BACKEND other than Django's dummy backend) and the person has
an address, the link is emailed too (`send_link`).

An invite link carries a token that is never stored: the invite keeps its SHA-256, so
a copy of the database gives no working link. Set-password and password-reset links are
Django's own (`default_token_generator`): they stop working once used, once the person
logs in, and after PASSWORD_RESET_TIMEOUT.
"""

import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from annotate import changes
from annotate.models import Invite, Membership, Project, Role

logger = logging.getLogger(__name__)

DUMMY_EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
# An invite token is 43 characters (`secrets.token_urlsafe(32)`); anything much longer
# is not one, and is not hashed.
TOKEN_MAX_CHARS = 100


class AccountError(ValueError):
    """A change to an account or membership that cannot be made, with a message for the
    person who asked; nothing was changed."""


class InviteUnknown(AccountError):
    """No invite has this token (mistyped, cut short or made up)."""


class InviteGone(AccountError):
    """The invite exists but can no longer be used: accepted, withdrawn or expired."""


def token_hash(token: str) -> str:
    """What an invite stores of its token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _by(user):
    return user if getattr(user, "is_authenticated", False) else None


@transaction.atomic
def create_invite(*, project: Project, role: str, by, email: str = "", note: str = "") -> tuple[Invite, str]:
    """A new invite to `project` with `role`, usable once for ANNOTATE_INVITE_DAYS, and
    its token: the only time the token is known, to be shown to the manager."""
    token = secrets.token_urlsafe(32)
    invite = Invite.objects.create(
        project=project,
        role=role,
        token_hash=token_hash(token),
        email=email,
        note=note,
        created_by=_by(by),
        expires_at=timezone.now() + timedelta(days=settings.ANNOTATE_INVITE_DAYS),
    )
    changes.log_change(
        project=project,
        user=by,
        action="invite.create",
        target=f"invite:{invite.pk}",
        after={"role": role, "email": email, "note": note, "expires_at": invite.expires_at.isoformat()},
    )
    return invite, token


def usable_invite(token: str, *, lock: bool = False) -> Invite:
    """The invite of `token`, with its project, if it can still be accepted; otherwise
    `InviteUnknown` or `InviteGone` with a message saying why. With `lock`, the invite's
    row is locked until the transaction ends (to be called in one)."""
    invites = Invite.objects.select_related("project")
    if lock:
        invites = invites.select_for_update(of=("self",))
    invite = invites.filter(token_hash=token_hash(token)).first() if len(token) <= TOKEN_MAX_CHARS else None
    if invite is None:
        raise InviteUnknown(
            "This invite link is not valid. Check that the whole link was copied, or ask the project's manager "
            "for a new one."
        )
    if invite.accepted_at is not None:
        raise InviteGone(
            "This invite has already been used. If that was not you, ask the project's manager for a new one."
        )
    if invite.revoked_at is not None:
        raise InviteGone("This invite was withdrawn by the project's manager. Ask them for a new one.")
    if invite.expires_at <= timezone.now():
        raise InviteGone("This invite has expired. Ask the project's manager for a new one.")
    return invite


def username_taken(username: str) -> bool:
    """Whether an account has this username, in any case ("Dana" and "dana" are one)."""
    return User.objects.filter(username__iexact=username).exists()


def account_named(username: str) -> User | None:
    """The account `username` names, in any case ("DANA" is dana), or None. Usernames are
    unique in any case (`username_taken`, and the database's index of migration 0018);
    of accounts made before that which differ only in case, the one spelled exactly so,
    or none when neither is: the name is ambiguous, and guessing could give the wrong one."""
    found = list(User.objects.filter(username__iexact=username))
    if len(found) == 1:
        return found[0]
    return next((user for user in found if user.username == username), None)


def new_user(*, username: str, password: str | None, email: str = "", advice: str = "Choose another.") -> User:
    """A new account `username`, refused with `AccountError` (ending in `advice`) when an
    account has it in any case: checked first, for the message, and by the database's
    unique index on the username in upper case, for two requests that pass the check at once."""
    taken = AccountError(f"The username “{username}” is taken. {advice}")
    if username_taken(username):
        raise taken
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction goes on after a refusal
            return User.objects.create_user(username=username, password=password, email=email)
    except IntegrityError:
        raise taken from None


class AnyCaseModelBackend(ModelBackend):
    """Django's ModelBackend, finding the account by its username in any case: "Dana",
    "dana" and "DANA" log in to one account (`account_named`). django-axes comes before
    it in AUTHENTICATION_BACKENDS and counts failures under the username in one case
    (`annotate.views.accounts.axes_username`), so typing it in other cases gives no
    more tries."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        user = account_named(username)
        if user is None:
            # Hash the password anyway, as ModelBackend does, so an unknown username
            # takes as long to refuse as a wrong password (no timing tells who exists).
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


@transaction.atomic
def accept_invite(*, token: str, user: User | None = None, username: str = "", password: str = "") -> Membership:
    """Make the person holding invite `token` a member of its project with its role: a
    logged-in `user`, or a new account `username` with `password` (already validated).
    The invite is locked while it is used, so of two tabs (or two people) sending it at
    once one becomes a member and the other is told it was used; a refusal changes
    nothing."""
    invite = usable_invite(token, lock=True)
    if user is None:
        user = new_user(username=username, password=password, email=invite.email)
    elif Membership.objects.filter(project=invite.project, user=user).exists():
        raise AccountError(
            f"You ({user.username}) are already a member of {invite.project.name}; the invite was left unused."
        )
    membership = Membership.objects.create(project=invite.project, user=user, role=invite.role)
    invite.accepted_at = timezone.now()
    invite.accepted_by = user
    invite.save(update_fields=["accepted_at", "accepted_by"])
    changes.log_change(
        project=invite.project,
        user=user,
        action="invite.accept",
        target=f"invite:{invite.pk}",
        after={"user": user.pk, "username": user.username, "role": invite.role},
    )
    membership.user = user
    return membership


@transaction.atomic
def revoke_invite(*, invite: Invite, by) -> Invite:
    """Withdraw an invite that has not been used: its link no longer works."""
    invite = Invite.objects.select_for_update().get(pk=invite.pk)
    if invite.accepted_at is not None:
        raise AccountError("This invite has already been used; remove or deactivate the member instead.")
    if invite.revoked_at is not None:
        raise AccountError("This invite was already withdrawn.")
    invite.revoked_at = timezone.now()
    invite.save(update_fields=["revoked_at"])
    changes.log_change(
        project=invite.project,
        user=by,
        action="invite.revoke",
        target=f"invite:{invite.pk}",
        before={"role": invite.role, "note": invite.note},
    )
    return invite


@transaction.atomic
def create_account(*, project: Project, username: str, role: str, by, email: str = "") -> Membership:
    """A new account `username` with no password yet (it cannot log in until its owner
    sets one through `password_link`), made a member of `project` with `role`."""
    user = new_user(
        username=username, email=email, password=None, advice="Choose another, or add that account as a member."
    )
    membership = Membership.objects.create(project=project, user=user, role=role)
    changes.log_change(
        project=project,
        user=by,
        action="member.create_account",
        target=f"user:{user.pk}",
        after={"username": username, "email": email, "role": role},
    )
    membership.user = user
    return membership


@transaction.atomic
def set_active(*, membership: Membership, active: bool, by) -> Membership:
    """Deactivate a member (they keep their work but can no longer open the project or
    be given articles) or reactivate them. A project always keeps an active manager."""
    # The project's memberships are locked, so two managers deactivating each other at
    # once cannot leave the project with none.
    memberships = list(Membership.objects.select_for_update().filter(project_id=membership.project_id))
    member = next((m for m in memberships if m.pk == membership.pk), None)
    username = membership.user.username
    if member is None:
        raise AccountError(f"{username} is no longer a member.")
    if member.active == active:
        raise AccountError(f"{username} is already {'active' if active else 'deactivated'}.")
    if (
        not active
        and member.is_manager
        and not any(m.is_manager and m.active and m.pk != member.pk for m in memberships)
    ):
        raise AccountError(f"{username} is the project's only active manager: a project needs one.")
    member.active = active
    member.save(update_fields=["active"])
    changes.log_change(
        project=membership.project,
        user=by,
        action="member.reactivate" if active else "member.deactivate",
        target=f"user:{member.user_id}",
        before={"username": username, "active": not active},
        after={"username": username, "active": active},
    )
    member.user = membership.user
    return member


@transaction.atomic
def password_link(*, membership: Membership, by) -> tuple[str, str]:
    """The `uidb64` and token of a link with which the member sets a new password
    (Django's PasswordResetConfirmView), asked for by `by`, a manager of the member's
    project. Refused for staff accounts and for anyone who is also a member of a project
    `by` does not manage: a manager of one project must not take over an account that
    is used elsewhere."""
    user = membership.user
    if user.is_staff or user.is_superuser:
        raise AccountError(f"{user.username} is an administrator's account: only an administrator can reset it.")
    managed = Membership.objects.filter(user=by, role=Role.MANAGER, active=True).values("project_id")
    if Membership.objects.filter(user=user).exclude(project_id__in=managed).exists():
        raise AccountError(
            f"{user.username} is also a member of projects you do not manage, so only an administrator can give "
            "them a password link. They can change their password themselves under Password."
        )
    changes.log_change(
        project=membership.project,
        user=by,
        action="member.reset_link",
        target=f"user:{user.pk}",
        after={"username": user.username},
    )
    return urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)


def password_link_expires_at():
    """When a password link made now stops working (PASSWORD_RESET_TIMEOUT)."""
    return timezone.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)


def email_configured() -> bool:
    """Whether links are emailed as well as shown (settings.EMAIL_BACKEND)."""
    return settings.EMAIL_BACKEND != DUMMY_EMAIL_BACKEND


def send_link(*, to: str, subject: str, body: str) -> bool:
    """Email `body` to `to`, when there is an address and email is set up; whether it
    was sent. A failing mail server is logged and answered False: the link is shown to
    the manager anyway."""
    if not to or not email_configured():
        return False
    try:
        send_mail(subject, body, None, [to])
    except OSError:  # smtplib's errors are OSErrors, as are a refused connection's
        logger.warning("could not email a link to %s", to, exc_info=True)
        return False
    return True
