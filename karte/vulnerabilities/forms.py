from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from karte.core.forms import DateInput, ScopedModelForm
from karte.core.scoping import CHANGE
from karte.systems.models import System
from karte.vulnerabilities.choices import Severity
from karte.vulnerabilities.models import HOSTNAME, Finding, Host, normalize_hostname


class SystemChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return str(obj)


class HostChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.system.code}: {obj.label}"


class HostForm(ScopedModelForm):
    """A host of a system the user may change; a new one may name its system in ?system=."""

    class Meta:
        model = Host
        fields = ["system", "ip", "hostname", "note"]
        field_classes = {"system": SystemChoiceField}
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "hostname": _("Enter the IP address, the host name or both, as the diagnosis report writes them.")
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["system"].queryset = System.objects.restrict(self.user, CHANGE).order_by("code")

    def clean_hostname(self):
        name = normalize_hostname(self.cleaned_data.get("hostname"))
        if name and not HOSTNAME.fullmatch(name):
            raise forms.ValidationError(_("A host name has letters, digits, hyphens and dots only."))
        return name

    def clean(self):
        data = super().clean()
        system, ip, name = data.get("system"), data.get("ip"), data.get("hostname")
        if not ip and not name and "ip" not in self.errors and "hostname" not in self.errors:
            raise forms.ValidationError(_("Enter the IP address or the host name."))
        if system is not None:
            others = Host.objects.filter(system=system).exclude(pk=self.instance.pk)
            if ip and others.filter(ip=ip).exists():
                self.add_error("ip", _("This system already has a host with this IP address."))
            if name and others.filter(hostname=name).exists():
                self.add_error("hostname", _("This system already has a host with this name."))
        moved = self.instance.pk and system is not None and system.pk != self.instance.system_id
        if moved and self.instance.findings.exists():
            self.add_error(
                "system", _("The host has findings of its system: it cannot move to another system.")
            )
        return data


class FindingForm(ScopedModelForm):
    """A finding: an empty severity follows the CVSS score, an empty due date follows the severity.

    CVE IDs are checked by the model field's validator and tidied by services.derive."""

    severity = forms.ChoiceField(
        label=_("Severity"),
        required=False,
        choices=[("", _("From the CVSS score")), *Severity.choices],
        help_text=_("Empty: worked out from the CVSS score (v3 bands)."),
    )

    class Meta:
        model = Finding
        fields = [
            "system",
            "host",
            "title",
            "cve",
            "cvss",
            "severity",
            "found_on",
            "due_on",
            "fixed_on",
            "remediation_plan",
            "description",
        ]
        field_classes = {"system": SystemChoiceField, "host": HostChoiceField}
        widgets = {
            "found_on": DateInput,
            "due_on": DateInput,
            "fixed_on": DateInput,
            "cve": forms.TextInput,
            "remediation_plan": forms.Textarea(attrs={"rows": 3}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "due_on": _("Empty: critical 14 days, high 30, medium 90, low 180 days after the finding."),
            "fixed_on": _("Enter the date the fix was confirmed; the finding is then closed."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["system"].queryset = System.objects.restrict(self.user, CHANGE).order_by("code")
        self.fields["host"].queryset = (
            Host.objects.restrict(self.user, CHANGE).select_related("system").order_by("system__code", "ip")
        )
        self.fields["cvss"].widget.attrs.update(min="0", max="10", step="0.1")
        instance = self.instance
        if instance.pk:
            # What follows the rules shows empty, so that it follows them again after a change.
            if not instance.severity_given:
                self.initial["severity"] = ""
            if not instance.due_given:
                self.initial["due_on"] = None

    def clean(self):
        data = super().clean()
        system, host = data.get("system"), data.get("host")
        if system is not None and host is not None and host.system_id != system.pk:
            self.add_error("host", _("The host belongs to another system."))
        if data.get("cvss") is None and not data.get("severity") and "cvss" not in self.errors:
            self.add_error("severity", _("Enter the CVSS score or the severity."))
        found, fixed = data.get("found_on"), data.get("fixed_on")
        if found and fixed and fixed < found:
            self.add_error("fixed_on", _("The fix is dated before the finding."))
        return data
