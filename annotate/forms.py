"""Every piece of user input goes through a form."""

from django import forms
from django.contrib.auth.models import User

from annotate.models import Article, Label, Project, RelationType, Role
from annotate.schemes import DEFAULT_PRESET, PRESET_CHOICES


class ProjectCreateForm(forms.ModelForm):
    preset = forms.ChoiceField(choices=PRESET_CHOICES, initial=DEFAULT_PRESET, label="Label scheme")

    class Meta:
        model = Project
        fields = ["name", "slug", "description"]
        help_texts = {"slug": "Short name used in addresses and on the command line, e.g. “opeds-2026”."}


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
            "document_stance",
            "structure_checks_block",
        ]
        widgets = {"guidelines": forms.Textarea(attrs={"rows": 8})}


class MemberForm(forms.Form):
    username = forms.CharField(max_length=150)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.ANNOTATOR)

    def clean_username(self) -> User:
        username = self.cleaned_data["username"].strip()
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise forms.ValidationError(f"There is no active account named “{username}”.")
        return user


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
        fields = ["name", "description", "key", "colour", "order", "attributes"]
        widgets = {"colour": forms.TextInput(attrs={"type": "color"}), "description": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"attributes": 'Allowed values per attribute, e.g. {"stance": ["For", "Against"]}.'}


class RelationTypeForm(SchemeEntryForm):
    class Meta:
        model = RelationType
        fields = ["name", "description", "key", "colour", "order"]
        widgets = {"colour": forms.TextInput(attrs={"type": "color"}), "description": forms.Textarea(attrs={"rows": 2})}


class ArticleAssignForm(forms.Form):
    annotators = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["annotators"].queryset = User.objects.filter(
            memberships__project=project, memberships__role=Role.ANNOTATOR
        ).order_by("username")


class SpreadForm(forms.Form):
    per_article = forms.IntegerField(min_value=1, max_value=50, label="Annotators per article")


class ArticleForm(forms.ModelForm):
    url = forms.URLField(label="URL", max_length=1000, required=False, assume_scheme="https")

    class Meta:
        model = Article
        fields = ["title", "author", "outlet", "url", "published", "text"]
        widgets = {"published": forms.DateInput(attrs={"type": "date"}), "text": forms.Textarea(attrs={"rows": 16})}
