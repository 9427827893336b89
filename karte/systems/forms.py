from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _

from karte.core.fiscal import FiscalParseError, format_fiscal_year, parse_fiscal_year
from karte.core.forms import DateInput, ScopedModelForm
from karte.core.scoping import CHANGE, VIEW, assignable_units
from karte.systems.models import Contract, Cost, PortfolioSettings, System, WorkingGroup

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
