"""Staff forms: shape only; the services validate the rules and name what is wrong."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class BreachReportForm(forms.Form):
    summary = forms.CharField(label=_("Short title"), max_length=300, required=False)
    incident_type = forms.ChoiceField(label=_("What happened"))
    description = forms.CharField(
        label=_("Complete and detailed description"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What happened, when, which systems and data, what was done already."),
    )
    people_concerned = forms.IntegerField(
        label=_("People concerned (best estimate)"), min_value=0, required=False
    )
    detected_at = forms.DateTimeField(
        label=_("When was it detected?"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty for now."),
    )
    controller = forms.ChoiceField(label=_("Entity concerned"), required=False)
    reporter_name = forms.CharField(label=_("Your name"), max_length=200)
    reporter_address = forms.CharField(label=_("Your department or address"), max_length=300)
    reporter_phone = forms.CharField(label=_("Telephone to call you back"), max_length=50)
    reporter_email = forms.EmailField(label=_("Your e-mail"), required=False)

    def __init__(
        self,
        *args: Any,
        incident_types: list[tuple[str, str]],
        controllers: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["incident_type"].choices = incident_types  # type: ignore[attr-defined]
        self.fields["controller"].choices = [("", _("both / unknown")), *controllers]  # type: ignore[attr-defined]


class PersonSearchForm(forms.Form):
    identifier = forms.CharField(
        label=_("E-mail, phone or national number"),
        max_length=200,
        help_text=_("An exact identifier: Tutela looks it up by its keyed hash."),
    )
