from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.utils.translation import gettext_lazy as _

from karte.core.choices import OrgUnitKind, Role, RoundStatus
from karte.core.fiscal import FiscalParseError, parse_fiscal_year
from karte.core.models import OrgUnit, SurveyRound
from karte.core.scoping import VIEW, assignable_units


class DateInput(forms.DateInput):
    input_type = "date"


class ScopedModelForm(forms.ModelForm):
    """A model form that knows its user, so that every choice it offers is one the user may make."""

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)


class OrgUnitForm(ScopedModelForm):
    class Meta:
        model = OrgUnit
        fields = ["kind", "code", "name", "parent", "valid_from", "valid_to", "successor"]
        widgets = {"valid_from": DateInput, "valid_to": DateInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        visible = OrgUnit.objects.restrict(self.user, VIEW).order_by("code")
        self.fields["parent"].queryset = visible
        self.fields["successor"].queryset = visible
        self.fields["kind"].choices = [c for c in OrgUnitKind.choices if c[0] != OrgUnitKind.BODY]
        self.fields["parent"].required = True

    def clean(self):
        data = super().clean()
        kind, parent = data.get("kind"), data.get("parent")
        expected = {
            OrgUnitKind.DEPARTMENT: OrgUnitKind.BODY,
            OrgUnitKind.SECTION: OrgUnitKind.DEPARTMENT,
            OrgUnitKind.GROUP: OrgUnitKind.SECTION,
        }
        if kind and parent and parent.kind != expected.get(kind):
            self.add_error(
                "parent",
                _("A %(kind)s belongs under a %(parent)s.")
                % {"kind": OrgUnitKind(kind).label, "parent": OrgUnitKind(expected[kind]).label},
            )
        if self.instance.pk and parent and parent.pk == self.instance.pk:
            self.add_error("parent", _("A unit cannot be its own parent."))
        code = data.get("code")
        if code and parent:
            clash = OrgUnit.objects.filter(body_id=parent.body_id, code=code).exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("code", _("This code is already used in the same local government."))
        if data.get("valid_to") and data.get("valid_from") and data["valid_to"] < data["valid_from"]:
            self.add_error("valid_to", _("The end date is before the start date."))
        return data


def open_round_names(user, kind: str) -> list[str]:
    """Return the names of the open survey rounds of a registry in the user's body, newest first."""
    return list(
        SurveyRound.objects.restrict(user, VIEW)
        .filter(kind=kind, status=RoundStatus.OPEN)
        .order_by("-fiscal_year", "-opened_at")
        .values_list("name", flat=True)
    )


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("An Excel workbook (.xlsx) or a CSV file (UTF-8 or Shift_JIS)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xlsm,.xls,.csv,.txt"}),
    )

    fiscal_year = forms.CharField(
        label=_("Fiscal year of the figures"),
        required=False,
        max_length=20,
        help_text=_(
            "The fiscal year the sheet's yearly amounts belong to, e.g. 令和4年度. Empty: this year."
        ),
    )

    round = forms.ChoiceField(
        label=_("Survey round"),
        help_text=_("The open survey round the sheet answers."),
        error_messages={"required": _("Choose a survey round: only an open round takes a sheet.")},
    )

    def __init__(self, *args, importer=None, **kwargs):
        super().__init__(*args, **kwargs)
        if importer is None or "fiscal_year" not in importer.options:
            del self.fields["fiscal_year"]
        if importer is None or "round" not in importer.options:
            del self.fields["round"]
        else:
            names = open_round_names(importer.user, importer.kind)
            choices = [(name, name) for name in names]
            if getattr(importer, "round_optional", False):
                # A sheet that may also update the registry directly, outside any round.
                self.fields["round"].required = False
                choices.insert(0, ("", _("No round: update the current records")))
            self.fields["round"].choices = choices
            self.fields["round"].initial = names[0] if names else None

    def clean_fiscal_year(self):
        try:
            return parse_fiscal_year(self.cleaned_data["fiscal_year"])
        except FiscalParseError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def importer_options(self) -> dict:
        """Return the importer options the user chose, leaving out the ones left empty."""
        chosen = {name: self.cleaned_data.get(name) for name in ("fiscal_year", "round")}
        return {name: value for name, value in chosen.items() if value}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.KARTE_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is too large (limit %(limit)s MB).") % {"limit": limit // (1024 * 1024)}
            )
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        return upload


def audited_model_choices():
    from karte.core.audit import audited_models, model_key

    return [("", _("All records"))] + [(model_key(m), m._meta.verbose_name_plural) for m in audited_models()]


class AuditFilterForm(forms.Form):
    model = forms.ChoiceField(label=_("Record type"), required=False, choices=audited_model_choices)
    user = forms.CharField(label=_("User"), required=False, max_length=150)
    action = forms.ChoiceField(
        label=_("Operation"),
        required=False,
        choices=[("", _("All")), ("+", _("Created")), ("~", _("Changed")), ("-", _("Deleted"))],
    )
    since = forms.DateField(label=_("From"), required=False, widget=DateInput)
    until = forms.DateField(label=_("Until"), required=False, widget=DateInput)


class PersonForm(forms.Form):
    """A person and their role, as the office edits them. Passwords go through Django's validators."""

    username = forms.RegexField(
        label=_("Login name"),
        max_length=150,
        regex=r"^[\w.@+-]+$",
        help_text=_("Letters, digits and @ . + - _ only."),
    )
    last_name = forms.CharField(label=_("Family name"), max_length=150, required=False)
    first_name = forms.CharField(label=_("Given name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=OrgUnit.objects.none())
    is_active = forms.BooleanField(label=_("May sign in"), required=False, initial=True)
    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters. Leave empty to keep the current password."),
    )

    def __init__(self, *args, user, person=None, **kwargs):
        self.person = person
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = assignable_units(user).order_by("code")
        if person is not None:
            self.fields["username"].disabled = True
        else:
            self.fields["password"].required = True
            self.fields["password"].help_text = _("At least 10 characters.")

    def clean_username(self):
        username = self.cleaned_data["username"]
        clash = get_user_model().objects.filter(username__iexact=username)
        if self.person is not None:
            clash = clash.exclude(pk=self.person.pk)
        if clash.exists():
            raise forms.ValidationError(_("This login name is already used."))
        return username

    def clean(self):
        data = super().clean()
        password = data.get("password")
        if password:
            candidate = self.person or get_user_model()(username=data.get("username", ""))
            candidate.last_name = data.get("last_name", "")
            candidate.first_name = data.get("first_name", "")
            try:
                password_validation.validate_password(password, candidate)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data
