"""Every piece of user input goes through a form."""

import re
from collections.abc import Iterable

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.validators import MaxValueValidator

from annotate import accounts
from annotate.formats import registry
from annotate.models import (
    ATTRIBUTE_VALUES_MAX,
    ATTRIBUTE_WORD_MAX_CHARS,
    ATTRIBUTES_MAX,
    Article,
    Label,
    Layer,
    Project,
    RelationType,
    Role,
)
from annotate.offsets import OffsetError, utf16_to_code_point
from annotate.schemes import DEFAULT_PRESET, PRESET_CHOICES
from annotate.suggestions import markers as marker_hints
from annotate.tokens import snap


class ProjectCreateForm(forms.ModelForm):
    preset = forms.ChoiceField(
        choices=PRESET_CHOICES,
        initial=DEFAULT_PRESET,
        label="Label scheme",
        help_text=(
            "Its labels come with their roles in the argument (main conclusion, claim, premise, other), which the "
            "structure checks go by; labels, roles and relation types can be changed afterwards."
        ),
    )

    class Meta:
        model = Project
        fields = ["name", "slug", "description"]
        help_texts = {"slug": "Short name used in addresses and on the command line, e.g. “opeds-2026”."}


def model_values(form: forms.ModelForm) -> dict:
    """What a valid model form sets on its model, field by field, as plain values for the
    domain (`projects.update_settings`, `projects.save_scheme_entry`). Read from the
    form's instance, so that a field the form leaves as it was (an omitted field with a
    default) keeps its value; the form should be given a copy of the object to change."""
    return {name: getattr(form.instance, name) for name in form.fields}


class ProjectSettingsForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = [
            "name",
            "description",
            "guidelines",
            "annotators_per_article",
            "blind",
            "snapping",
            "snap_keeps_punctuation",
            "document_stance",
            "structure_checks_block",
            "suggestions",
            "retrain_after",
        ]
        widgets = {"guidelines": forms.Textarea(attrs={"rows": 8})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["retrain_after"].required = False
        self.fields["retrain_after"].validators.append(MaxValueValidator(1000))
        self.fields["retrain_after"].widget.attrs.update(min=1, max=1000)
        self.fields["suggestions"].help_text += (
            " In a blind project suggestions come only from gold and from the annotator's own layers: the model "
            "learns from curated gold alone, never from another annotator's layer. In a project that is not blind "
            "it also learns from finished layers. The markers are on the label scheme page."
        )

    def clean_retrain_after(self) -> int:
        value = self.cleaned_data["retrain_after"]
        if value is None:  # left out (a script's form): kept as it is
            return self.instance.retrain_after
        if value < 1:
            raise forms.ValidationError("Train the model again after at least one newly finished layer.")
        return value


class MarkersForm(forms.Form):
    """A project's discourse markers, one a line, by what the words after them are."""

    premise = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        label="Before a premise",
        help_text="The words after them give a reason: “because”, “for example”.",
    )
    conclusion = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        label="Before a conclusion",
        help_text="The words after them follow from what came before: “therefore”, “as a result”.",
    )
    objection = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        label="Before an objection",
        help_text="The words after them go against what came before: “however”, “although”.",
    )

    def __init__(self, *args, markers: dict[str, list[str]], **kwargs):
        super().__init__(*args, initial={kind: "\n".join(words) for kind, words in markers.items()}, **kwargs)

    def clean(self) -> dict:
        cleaned = super().clean()
        lists = {}
        for kind in marker_hints.KINDS:
            try:
                lists[kind] = marker_hints.clean(kind, cleaned.get(kind, ""))
            except ValueError as error:
                self.add_error(kind, str(error))
        cleaned["markers"] = lists
        return cleaned


class MemberForm(forms.Form):
    username = forms.CharField(max_length=150)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.ANNOTATOR)

    def clean_username(self) -> User:
        # Free text rather than a list of accounts: a list would show every manager
        # (under ANNOTATE_PROJECT_CREATORS="everyone", anyone who creates a project) every
        # username on the site. A name either is an active account that can be added or
        # gets one message, whether it is unknown or the account is inactive, so a manager
        # learns only what adding that person would tell them anyway.
        username = self.cleaned_data["username"].strip()
        user = accounts.account_named(username)  # in any case, as at login
        if user is None or not user.is_active:
            raise forms.ValidationError(f"There is no active account named “{username}”.")
        return user


class InviteForm(forms.Form):
    """An invite link to make for a project: the role it gives, and optionally whom it is for."""

    prefix = "invite"

    role = forms.ChoiceField(choices=Role.choices, initial=Role.ANNOTATOR, label="Role for the invite")
    email = forms.EmailField(
        required=False, label="Email to send it to", help_text="Optional: used when this site can send email."
    )
    note = forms.CharField(
        required=False,
        max_length=200,
        label="Who it is for",
        help_text="Optional: a name, to recognise the invite later.",
    )


class AccountCreateForm(forms.Form):
    """A new account, made a member: it has no password until its owner sets one."""

    prefix = "account"

    username = forms.CharField(max_length=150, validators=[UnicodeUsernameValidator()], label="New username")
    email = forms.EmailField(
        required=False,
        label="Email of the account",
        help_text="Optional: the set-password link is sent there when this site can send email.",
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.ANNOTATOR, label="Role of the account")

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if accounts.username_taken(username):
            raise forms.ValidationError(
                f"The username “{username}” is taken. Choose another, or add that account as a member."
            )
        return username


class InviteAcceptForm(UserCreationForm):
    """The account an invitee makes: a username no one has (in any case) and a password
    that passes the site's password validators, typed twice."""


class SchemeEntryForm(forms.ModelForm):
    """Shared validation for labels and relation types: keys and names unique per project."""

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.project = project

    def validate_unique(self) -> None:
        # The project is not a form field, so Django would skip the per-project constraints.
        try:
            self.instance.validate_constraints()
        except forms.ValidationError as error:
            self._update_errors(error)


class LabelForm(SchemeEntryForm):
    class Meta:
        model = Label
        fields = ["name", "description", "role", "key", "colour", "order", "attributes"]
        widgets = {"colour": forms.TextInput(attrs={"type": "color"}), "description": forms.Textarea(attrs={"rows": 2})}
        help_texts = {
            "attributes": (
                'Allowed values per attribute, e.g. {"stance": ["For", "Against"]}: at most '
                f"{ATTRIBUTES_MAX} attributes of {ATTRIBUTE_VALUES_MAX} values each, of 1 to "
                f"{ATTRIBUTE_WORD_MAX_CHARS} characters."
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A request that names no role (a script, a page from before roles) keeps the
        # label's role, and a new label gets the model's default, "other".
        self.fields["role"].required = False


class RelationTypeForm(SchemeEntryForm):
    class Meta:
        model = RelationType
        fields = ["name", "description", "key", "colour", "order"]
        widgets = {"colour": forms.TextInput(attrs={"type": "color"}), "description": forms.Textarea(attrs={"rows": 2})}


class SpreadForm(forms.Form):
    """Assign the articles of a filter (`filter`: the article list's query string) to
    annotators, `per_article` each, the least loaded first; `annotators` limits who is
    chosen (everyone when none is ticked)."""

    per_article = forms.IntegerField(min_value=1, max_value=50, label="Annotators per article")
    annotators = forms.TypedMultipleChoiceField(coerce=int, required=False, label="From these annotators")
    filter = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def __init__(self, *args, annotators: Iterable[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["annotators"].choices = [(user.pk, user.username) for user in annotators]


class UnassignForm(SpreadForm):
    """Take annotators off the articles of a filter, where they have not started."""

    per_article = None
    annotators = forms.TypedMultipleChoiceField(coerce=int, label="Take these annotators off")


CELL = re.compile(r"(?P<article>[0-9]{1,10}):(?P<user>[0-9]{1,10}):(?P<on>[01])")
ID_MAX = 2**31 - 1  # the largest id a column holds


class AssignmentChangesForm(forms.Form):
    """The cells of the assignment grid a manager changed, as the page's script sends
    them: `changes` is "article:annotator:1" (assign) or ":0" (unassign) for each cell,
    separated by spaces; `page` is the grid page's query string, shown again after."""

    MAX_CHANGES = 5000

    changes = forms.CharField(required=False, max_length=MAX_CHANGES * 24)
    page = forms.CharField(required=False, max_length=2000)

    def clean_changes(self) -> dict[tuple[int, int], bool]:
        cells = {}
        for token in self.cleaned_data["changes"].split():
            cell = CELL.fullmatch(token)
            if cell is None or max(int(cell["article"]), int(cell["user"])) > ID_MAX:
                raise forms.ValidationError("The changed cells could not be read; nothing was saved. Reload the page.")
            cells[int(cell["article"]), int(cell["user"])] = cell["on"] == "1"
        if len(cells) > self.MAX_CHANGES:
            raise forms.ValidationError(f"Save at most {self.MAX_CHANGES} changed cells at once; nothing was saved.")
        return cells


class ArticleForm(forms.ModelForm):
    url = forms.URLField(label="URL", max_length=1000, required=False, assume_scheme="https")

    class Meta:
        model = Article
        fields = ["title", "author", "outlet", "url", "published", "text"]
        widgets = {"published": forms.DateInput(attrs={"type": "date"}), "text": forms.Textarea(attrs={"rows": 16})}


# The workspace. Every change carries the layer revision the page shows (see
# lifecycle.check_revision); offsets arrive in UTF-16 code units and leave as code points.


class LayerChangeForm(forms.Form):
    revision = forms.IntegerField(min_value=0, error_messages={"required": "The page sent no revision: reload it."})


class SuggestionPickForm(LayerChangeForm):
    """The suggestion the workspace has chosen (accept all: in its paragraph)."""

    suggestion = forms.IntegerField(
        min_value=1, error_messages={"required": "Choose a suggestion first (Tab goes to the next one)."}
    )


class SelectionForm(LayerChangeForm):
    """A text selection, as the browser counts it (UTF-16 code units)."""

    start = forms.IntegerField(error_messages={"required": "Select some text first."})
    end = forms.IntegerField(error_messages={"required": "Select some text first."})

    def __init__(self, *args, text: str, snapping: bool, keep_punctuation: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.text = text
        self.snapping = snapping
        self.keep_punctuation = keep_punctuation  # the project's snap_keeps_punctuation

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            start = utf16_to_code_point(self.text, data["start"])
            end = utf16_to_code_point(self.text, data["end"])
        except OffsetError as error:
            raise forms.ValidationError(str(error)) from error
        if start >= end:
            raise forms.ValidationError("The selection is empty: select some text first.")
        # What was selected, and the unit's span: the annotator is told when they differ.
        data["selected"] = (start, end)
        if self.snapping:
            data["span"] = snap(self.text, start, end, keep_punctuation=self.keep_punctuation)
        else:
            data["span"] = (start, end)
        return data


class UnitLabelForm(LayerChangeForm):
    """A label of the project, chosen from `labels` (the project's labels, already read:
    the answer to the change shows them too, so they are read once)."""

    label = forms.TypedChoiceField(
        coerce=int,
        error_messages={"invalid_choice": "That label is not part of this project.", "required": "Choose a label."},
    )

    def __init__(self, *args, labels: Iterable[Label], **kwargs):
        super().__init__(*args, **kwargs)
        self.labels = {label.pk: label for label in labels}
        self.fields["label"].choices = [(pk, label.name) for pk, label in self.labels.items()]

    def clean_label(self) -> Label:
        return self.labels[self.cleaned_data["label"]]


class UnitCreateForm(UnitLabelForm, SelectionForm):
    """A selection and the label to give it."""


class SpanEditForm(SelectionForm):
    """New boundaries for a unit ("replace" its spans), or one more span ("add")."""

    mode = forms.ChoiceField(choices=[("replace", "Set boundaries"), ("add", "Add span")])


class UnitAttributeForm(LayerChangeForm):
    name = forms.CharField(max_length=60)
    value = forms.CharField(max_length=60, required=False, help_text="Empty removes the attribute.")


class UnitNoteForm(LayerChangeForm):
    """A unit's note; empty clears it. Its length is checked once its line ends are
    stored ones (`units.validate_note`), as a browser sends each as two characters."""

    note = forms.CharField(required=False, strip=False, widget=forms.Textarea)


class RelationCreateForm(LayerChangeForm):
    """Two units and a relation type of the project, chosen from `relation_types` (the
    project's, as cached for its scheme version)."""

    source = forms.IntegerField(error_messages={"required": "Choose the unit the relation starts from."})
    target = forms.IntegerField(error_messages={"required": "Choose the unit the relation points to."})
    type = forms.TypedChoiceField(
        coerce=int,
        error_messages={
            "invalid_choice": "That relation type is not part of this project.",
            "required": "Choose a relation type.",
        },
    )

    def __init__(self, *args, relation_types: Iterable[RelationType], **kwargs):
        super().__init__(*args, **kwargs)
        self.relation_types = {relation_type.pk: relation_type for relation_type in relation_types}
        self.fields["type"].choices = [(pk, relation_type.name) for pk, relation_type in self.relation_types.items()]

    def clean_type(self) -> RelationType:
        return self.relation_types[self.cleaned_data["type"]]


class FinishForm(forms.Form):
    confirmed = forms.BooleanField(required=False)


class DocumentStanceForm(forms.Form):
    stance = forms.ChoiceField(choices=[("", "Not set"), *Layer.Stance.choices], required=False)


# Datasets


class ExportForm(forms.Form):
    format = forms.ChoiceField(choices=[(f.name, f.label) for f in registry.FORMATS.values() if f.exports])
    layers = forms.ChoiceField(label="Layers", initial="all")
    finished_only = forms.BooleanField(required=False, label="Only finished layers")
    stance = forms.BooleanField(required=False, label="CoNLL: stance on claims (B-Claim:For)")
    relations = forms.BooleanField(
        required=False, label="CoNLL: relation as distance to its target (B-Premise:-1:Support)"
    )

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        usernames = project.annotators().values_list("username", flat=True)
        self.fields["layers"].choices = [
            ("all", "Gold and all annotators"),
            ("annotators", "All annotators"),
            ("gold", "Gold only"),
            *[(username, f"Only {username}") for username in usernames],
        ]

    def options(self) -> dict[str, bool]:
        """The chosen format's own options."""
        format = registry.get(self.cleaned_data["format"])
        return {name: self.cleaned_data.get(name, False) for name in format.options}

    def described(self) -> str:
        """The choice in words, e.g. "CSV, one row per span; gold and all annotators,
        only finished layers"."""
        data = self.cleaned_data
        format = registry.get(data["format"])
        layers = dict(self.fields["layers"].choices)[data["layers"]]
        parts = [layers[0].lower() + layers[1:]]
        parts += [label for name, label in format.options.items() if data.get(name)]
        if data["finished_only"]:
            parts.append("only finished layers")
        return f"{format.label}; {', '.join(parts)}"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input, each checked as a FileField checks one."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(file, initial) for file in files]


NO_FILE = "Choose at least one file to import."


class ImportForm(forms.Form):
    # An empty file is let through to its format, which says what is wrong with it in the
    # words the command line uses too.
    files = MultipleFileField(
        label="Files",
        help_text="Plain text or Markdown (.txt, .md), web pages (.html), JSON Lines (.jsonl) or a brat zip (.zip).",
        allow_empty_file=True,
    )

    unknown = forms.ChoiceField(
        label="Labels, relation types or attribute values the scheme lacks",
        choices=[
            ("fail", "are problems: import nothing"),
            ("skip", "are left out"),
            ("add", "are added to the scheme"),
        ],
        initial="fail",
    )
    existing = forms.ChoiceField(
        label="Layers the project already has, with units",
        choices=[("fail", "are problems: import nothing"), ("skip", "are skipped: left as they are")],
        initial="fail",
        required=False,
    )
    owner = forms.ChoiceField(
        label="Layers in brat files belong to",
        required=False,
        help_text="brat files name no annotator: by default each folder is taken as an annotator's username.",
    )

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        usernames = project.annotators().values_list("username", flat=True)
        self.fields["owner"].choices = [
            ("", "the folder's name"),
            ("gold", "gold"),
            *[(username, username) for username in usernames],
        ]

    def clean_files(self):
        files = self.cleaned_data["files"]
        if not files:
            raise forms.ValidationError(NO_FILE)
        return files

    def clean_existing(self):
        return self.cleaned_data["existing"] or "fail"


class PredictionsForm(forms.Form):
    # An empty file is let through: the import says what is wrong with it.
    file = forms.FileField(
        label="Predictions",
        help_text="JSON Lines (.jsonl) in the native shape, with a “source” on each layer or unit (a relation's "
        "own is its “origin”) and an optional “score” from 0 to 1.",
        allow_empty_file=True,
        error_messages={"required": "Choose a predictions file to import."},
    )


class MajorityForm(forms.Form):
    """How many of an article's annotators must agree for the review to adopt a unit."""

    minimum = forms.IntegerField(label="Agreed by at least", min_value=1)

    def __init__(self, *args, annotators: int, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["minimum"]
        field.max_value = max(annotators, 1)
        field.validators.append(MaxValueValidator(field.max_value))
        field.widget.attrs["max"] = field.max_value
        field.initial = annotators // 2 + 1


class AgreementForm(forms.Form):
    """Which layers the agreement page counts."""

    include_in_progress = forms.BooleanField(label="Include layers in progress", required=False)
    against_gold = forms.BooleanField(label="Measure each annotator against gold", required=False)


class ApiTokenForm(forms.Form):
    """A new personal API token: what it is for, and when it stops working."""

    EXPIRY_CHOICES = [("", "Never"), ("30", "In 30 days"), ("90", "In 90 days"), ("365", "In a year")]

    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. “scraper on lab-server”.")
    expires = forms.TypedChoiceField(
        choices=EXPIRY_CHOICES, coerce=int, empty_value=None, required=False, label="Expires"
    )
