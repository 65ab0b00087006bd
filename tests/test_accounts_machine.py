"""Random sequences of everything a manager and an invitee do with accounts — invites
made, accepted (fresh, used, expired, withdrawn, forged, with a taken username),
withdrawn and expired, members deactivated and reactivated, accounts created, password
links given and used — checked after every step against a plain model of who is a
member, who is active and which invites can still be used."""

import itertools
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from annotate import access, accounts, projects
from annotate.models import Invite, Membership, Role
from tests.factories import make_user

_examples = itertools.count(1)
ROLES = st.sampled_from([Role.MANAGER, Role.CURATOR, Role.ANNOTATOR])


class Accounts(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        # Each example runs in a savepoint that teardown rolls back.
        self.example = transaction.atomic()
        self.example.__enter__()
        number = next(_examples)
        self.prefix = f"m{number}-"
        self.manager = make_user(f"{self.prefix}boss")
        self.project = projects.create_project(
            name=f"Accounts {number}", slug=f"accounts-{number}", manager=self.manager
        )
        self.names = itertools.count(1)
        # The model: username → [role, active]; token → what happened to the invite, in the
        # order made (tokens are random: drawn by their place, never sorted).
        self.members = {self.manager.username: [Role.MANAGER, True]}
        self.invites: dict[str, dict] = {}
        self.passwords: dict[str, bool] = {}  # accounts made here: has a usable password

    def teardown(self):
        transaction.set_rollback(True)
        self.example.__exit__(None, None, None)

    def acting_manager(self) -> User:
        """A manager who may use the Members page: one whose membership is active."""
        name = next(name for name, (role, active) in self.members.items() if role == Role.MANAGER and active)
        return User.objects.get(username=name)

    def fresh_name(self) -> str:
        return f"{self.prefix}user{next(self.names)}"

    def usable(self, token: str) -> bool:
        state = self.invites[token]
        return not (state["used"] or state["revoked"] or state["expired"])

    def refused(self, error, call, **arguments):
        with pytest.raises(error) as raised:
            call(**arguments)
        return str(raised.value)

    @rule(role=ROLES)
    def create_invite(self, role):
        _, token = accounts.create_invite(project=self.project, role=role, by=self.manager)
        self.invites[token] = {"role": role, "used": False, "revoked": False, "expired": False}

    @precondition(lambda self: self.invites)
    @rule(data=st.data())
    def accept(self, data):
        token = data.draw(st.sampled_from(list(self.invites)))
        username = self.fresh_name()
        if self.usable(token):
            membership = accounts.accept_invite(token=token, username=username, password="violet-harbour-42")
            assert (membership.project_id, membership.role, membership.active) == (
                self.project.pk,
                self.invites[token]["role"],
                True,
            )
            self.members[username] = [self.invites[token]["role"], True]
            self.invites[token]["used"] = True
        else:
            self.refused(accounts.InviteGone, accounts.accept_invite, token=token, username=username, password="x")

    @precondition(lambda self: any(self.usable(token) for token in self.invites))
    @rule(data=st.data())
    def accept_with_a_taken_username(self, data):
        token = data.draw(st.sampled_from([token for token in self.invites if self.usable(token)]))
        taken = data.draw(st.sampled_from(sorted(self.members))).upper()
        message = self.refused(accounts.AccountError, accounts.accept_invite, token=token, username=taken, password="x")
        assert message == f"The username “{taken}” is taken. Choose another."

    @rule(forged=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=0, max_size=120))
    def accept_a_forged_link(self, forged):
        self.refused(accounts.InviteUnknown, accounts.accept_invite, token=forged, username=self.fresh_name())

    @precondition(lambda self: self.invites)
    @rule(data=st.data())
    def time_passes_for_an_invite(self, data):
        token = data.draw(st.sampled_from(list(self.invites)))
        Invite.objects.filter(token_hash=accounts.token_hash(token)).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
        self.invites[token]["expired"] = True

    @precondition(lambda self: self.invites)
    @rule(data=st.data())
    def revoke(self, data):
        token = data.draw(st.sampled_from(list(self.invites)))
        invite = Invite.objects.get(token_hash=accounts.token_hash(token))
        state = self.invites[token]
        if state["used"] or state["revoked"]:
            self.refused(accounts.AccountError, accounts.revoke_invite, invite=invite, by=self.manager)
        else:
            accounts.revoke_invite(invite=invite, by=self.manager)
            state["revoked"] = True

    @rule(role=ROLES)
    def create_account(self, role):
        username = self.fresh_name()
        accounts.create_account(project=self.project, username=username, role=role, by=self.manager)
        self.members[username] = [role, True]
        self.passwords[username] = False

    @rule(data=st.data(), active=st.booleans())
    def set_active(self, data, active):
        username = data.draw(st.sampled_from(sorted(self.members)))
        membership = Membership.objects.select_related("user", "project").get(
            project=self.project, user__username=username
        )
        role, was_active = self.members[username]
        other_managers = [name for name, (r, a) in self.members.items() if r == Role.MANAGER and a and name != username]
        if was_active == active or (not active and role == Role.MANAGER and not other_managers):
            self.refused(
                accounts.AccountError, accounts.set_active, membership=membership, active=active, by=self.manager
            )
        else:
            accounts.set_active(membership=membership, active=active, by=self.manager)
            self.members[username][1] = active

    @precondition(lambda self: self.passwords)
    @rule(data=st.data())
    def use_a_password_link(self, data):
        username = data.draw(st.sampled_from(sorted(self.passwords)))
        membership = Membership.objects.select_related("user", "project").get(
            project=self.project, user__username=username
        )
        _, token = accounts.password_link(membership=membership, by=self.acting_manager())
        user = User.objects.get(username=username)
        assert default_token_generator.check_token(user, token)
        user.set_password("new-harbour-77")
        user.save()
        assert default_token_generator.check_token(user, token) is False  # a link works once
        self.passwords[username] = True

    @invariant()
    def members_are_the_model(self):
        found = {
            username: [role, active]
            for username, role, active in Membership.objects.filter(project=self.project).values_list(
                "user__username", "role", "active"
            )
        }
        assert found == self.members
        assert any(role == Role.MANAGER and active for role, active in found.values())

    @invariant()
    def usable_invites_are_the_model(self):
        pending = set(Invite.objects.filter(project=self.project).pending().values_list("token_hash", flat=True))
        assert pending == {accounts.token_hash(token) for token in self.invites if self.usable(token)}

    @invariant()
    def only_active_members_get_in(self):
        for user in User.objects.filter(memberships__project=self.project):
            if self.members[user.username][1]:
                assert access.membership_or_404(user, self.project.slug).user == user
            else:
                with pytest.raises(PermissionDenied, match="deactivated"):
                    access.membership_or_404(user, self.project.slug)

    @invariant()
    def passwords_are_the_model(self):
        usable = {
            user.username: user.has_usable_password() for user in User.objects.filter(username__in=self.passwords)
        }
        assert usable == self.passwords


def test_random_account_sequences_match_a_plain_model(db):
    run_state_machine_as_test(
        Accounts,
        settings=settings(
            max_examples=30,
            stateful_step_count=25,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
