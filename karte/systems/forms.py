from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from karte.core.choices import OrgUnitKind
from karte.core.fiscal import FiscalParseError, format_fiscal_year, parse_fiscal_year
from karte.core.forms import DateInput, ScopedModelForm
from karte.core.models import OrgUnit
from karte.core.scoping import CHANGE, VIEW, assignable_units, scope_for
from karte.systems.models import Contract, Cost, PortfolioSettings, System, Vendor, WorkingGroup
from karte.systems.services import normalize_vendor_name

FY_HELP = _("For example 2025, R7 or 令和7年度.")


class FiscalYearField(forms.IntegerField):
    """A fiscal year as people write it (2025, R7, 令和7年度, H24), kept as the integer 2025."""

    widget = forms.TextInput

    def __init__(self, *args, **kwargs):
        if not kwargs.get("help_text"):
            kwargs["help_text"] = FY_HELP
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return parse_fiscal_year(value)
        except FiscalParseError as exc:
            # The parser's message is already Japanese and names the accepted forms.
            raise ValidationError(str(exc), code="invalid") from exc


class SystemChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return str(obj)


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.code} {obj.name}"


class UnitMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.code} {obj.name}"


class SystemForm(ScopedModelForm):
    class Meta:
        model = System
        fields = [
            "unit",
            "code",
            "name",
            "purpose",
            "users",
            "status",
            "go_live_fy",
            "next_renewal_fy",
            "hosting",
            "network_tier",
            "internet_facing",
            "handles_personal_data",
            "handles_my_number",
            "standard_business",
            "issues",
            "plan",
            "optimisation",
            "migration_destination",
            "working_group",
        ]
        field_classes = {
            "unit": UnitChoiceField,
            "go_live_fy": FiscalYearField,
            "next_renewal_fy": FiscalYearField,
        }
        widgets = {"purpose": forms.Textarea(attrs={"rows": 3}), "plan": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = assignable_units(self.user).order_by("code")
        self.fields["working_group"].queryset = WorkingGroup.objects.restrict(self.user, VIEW)

    def clean(self):
        data = super().clean()
        unit, code = data.get("unit"), data.get("code")
        if unit and code:
            clash = System.objects.filter(body_id=unit.body_id, code=code).exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("code", _("This system ID is already used in the same local government."))
        group = data.get("working_group")
        if unit and group and group.body_id != unit.body_id:
            self.add_error("working_group", _("The working group belongs to another local government."))
        return data


class SystemChildForm(ScopedModelForm):
    """Contracts and costs: the system is one the user may change; a new record may name it in ?system=."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["system"].queryset = System.objects.restrict(self.user, CHANGE).order_by("code")
        for name, field in self.fields.items():
            if name.endswith("_thousand_yen"):
                # Amounts of money are never negative.
                field.min_value = 0
                field.validators.append(MinValueValidator(0))
                field.widget.attrs["min"] = 0


class ContractForm(SystemChildForm):
    vendor_name = forms.CharField(
        label=_("Vendor name"),
        max_length=200,
        help_text=_("Written as in the contract; 株式会社 and full-width letters do not make a new vendor."),
    )

    class Meta:
        model = Contract
        fields = [
            "system",
            "kind",
            "vendor_name",
            "fy_from",
            "fy_to",
            "amount_thousand_yen",
            "procurement_method",
        ]
        field_classes = {"system": SystemChoiceField, "fy_from": FiscalYearField, "fy_to": FiscalYearField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault("vendor_name", self.instance.vendor.name)

    def clean(self):
        data = super().clean()
        start, end = data.get("fy_from"), data.get("fy_to")
        if start and end and end < start:
            self.add_error(
                "fy_to",
                _("The contract ends (%(end)s) before it starts (%(start)s).")
                % {"end": format_fiscal_year(end), "start": format_fiscal_year(start)},
            )
        return data


class CostForm(SystemChildForm):
    class Meta:
        model = Cost
        fields = ["system", "fiscal_year", "budget_thousand_yen", "settlement_thousand_yen"]
        field_classes = {"system": SystemChoiceField, "fiscal_year": FiscalYearField}


class WorkingGroupForm(ScopedModelForm):
    """The office's own body is the group's; only a superuser, who has none, chooses it when adding.

    Member units are the body's current units, and the units already in the group (a unit that has
    since been abolished stays a member until someone takes it out).
    """

    class Meta:
        model = WorkingGroup
        fields = ["body", "name", "member_units", "migration_date", "note"]
        field_classes = {"member_units": UnitMultipleChoiceField}
        widgets = {
            "member_units": forms.SelectMultiple(attrs={"size": 12}),
            "migration_date": DateInput,
            "note": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {"member_units": _("Hold Ctrl (⌘ on a Mac) to choose more than one unit.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        units = assignable_units(self.user).exclude(kind=OrgUnitKind.BODY)
        if self.instance.pk:
            units = units.filter(body_id=self.instance.body_id)
            current = Q(pk__in=self.instance.member_units.values("pk"))
            units = OrgUnit.objects.filter(Q(pk__in=units.values("pk")) | current)
        self.fields["member_units"].queryset = units.order_by("body__code", "code")
        if scope_for(self.user).everything and not self.instance.pk:
            self.fields["body"].queryset = OrgUnit.objects.filter(kind=OrgUnitKind.BODY).order_by("code")
        else:
            del self.fields["body"]

    def group_body_id(self) -> int | None:
        """Return the id of the body the group belongs to (or will), None while a superuser has not chosen."""
        if self.instance.pk:
            return self.instance.body_id
        if "body" in self.fields:
            body = self.cleaned_data.get("body")
            return body.pk if body else None
        return scope_for(self.user).body_id

    def clean(self):
        data = super().clean()
        body_id = self.group_body_id()
        strangers = [u for u in data.get("member_units") or () if u.body_id != body_id]
        if body_id is not None and strangers:
            self.add_error("member_units", _("Member units must belong to the group's local government."))
        return data


class VendorForm(ScopedModelForm):
    """Renaming a vendor: its contracts stay with it; a name another vendor already has is refused."""

    class Meta:
        model = Vendor
        fields = ["name"]
        help_texts = {
            "name": _("The company's name as it should be shown. Its contracts stay with it."),
        }

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        key = normalize_vendor_name(name)
        if not key:
            raise ValidationError(_("Enter the company's name."))
        other = (
            Vendor.objects.filter(body_id=self.instance.body_id, normalized_name=key)
            .exclude(pk=self.instance.pk)
            .first()
        )
        if other is not None:
            raise ValidationError(
                _("“%(name)s” is already a vendor and the same company: merge the two instead of renaming.")
                % {"name": other.name}
            )
        return name


class VendorMergeForm(forms.Form):
    """On a vendor's page: the duplicate (another record of the same company) to merge into it."""

    duplicate = forms.ModelChoiceField(
        label=_("Duplicate vendor"),
        queryset=Vendor.objects.none(),
        help_text=_(
            "Its contracts move to this vendor and it is deleted. Choose only a record of the same company, "
            "such as a misspelling."
        ),
        error_messages={
            "required": _("Choose the duplicate vendor to merge into this one."),
            "invalid_choice": _("Choose another vendor of the same local government."),
        },
    )

    def __init__(self, *args, user, keep: Vendor, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the keeper's own body: a merge never joins two local governments' vendors.
        self.fields["duplicate"].queryset = (
            Vendor.objects.restrict(user, CHANGE).filter(body_id=keep.body_id).exclude(pk=keep.pk)
        )


class PortfolioSettingsForm(forms.ModelForm):
    class Meta:
        model = PortfolioSettings
        fields = ["lock_in_threshold_years", "common_platform_end"]
        widgets = {"common_platform_end": DateInput}

    def clean_lock_in_threshold_years(self):
        years = self.cleaned_data["lock_in_threshold_years"]
        if years < 1:
            raise ValidationError(_("The threshold is at least one year."))
        return years


class FiscalYearForm(forms.Form):
    """The ?fy= of the portfolio pages."""

    fy = FiscalYearField(label=_("Fiscal year"), required=False, help_text="")
