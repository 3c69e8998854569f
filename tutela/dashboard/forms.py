"""Staff forms: shape only; the services validate the rules and name what is wrong."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tutela.dashboard.labels import choices


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


# ---------------------------------------------------------------------------------------------------------
# the breach page's follow-up: one form per service of the breach app (the API's routes' twins). Text fields
# are optional here on purpose: the service says what it needs, in one refusal message with its reason.

_YES_NO = [("yes", _("yes")), ("no", _("no"))]
_UNKNOWN_YES_NO = [("", _("not known yet")), *_YES_NO]


def _yes(value: str) -> bool:
    return value == "yes"


def _text(label: Any, *, rows: int = 3, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=help_text,
    )


def _tri_state(label: Any) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label, choices=_UNKNOWN_YES_NO, coerce=_yes, empty_value=None, required=False
    )


class BreachInvestigationForm(forms.Form):
    nature = _text(_("Nature of the breach"))
    data_types = forms.CharField(
        label=_("Data categories"),
        required=False,
        help_text=_("The policy's category keys, separated by commas (user.contact.email, …)."),
    )
    personal_data_affected = _tri_state(_("Personal data affected?"))
    is_personal_data_breach = _tri_state(_("A personal-data breach?"))
    people_concerned = forms.IntegerField(label=_("People concerned"), min_value=0, required=False)
    records_concerned = forms.IntegerField(label=_("Records concerned"), min_value=0, required=False)

    def clean_data_types(self) -> list[str] | None:
        keys = [k.strip() for k in (self.cleaned_data.get("data_types") or "").split(",") if k.strip()]
        return keys or None


class BreachDecisionForm(forms.Form):
    notify_authority = forms.TypedChoiceField(
        label=_("Notify the authority (Art. 33)?"), choices=_YES_NO, coerce=_yes
    )
    notify_subjects = forms.TypedChoiceField(
        label=_("Tell the people concerned (Art. 34)?"), choices=_YES_NO, coerce=_yes
    )
    reason = _text(_("Reason for the decision"))


class BreachAuthorityForm(forms.Form):
    phase = forms.ChoiceField(
        choices=[("initial", "initial"), ("follow_up", "follow_up")], widget=forms.HiddenInput
    )
    delay_reasons = _text(
        _("Reasons for the delay"), help_text=_("Required when the notification is later than 72 hours.")
    )
    additional = _text(_("Additional information for the authority"))


class BreachSubjectsForm(forms.Form):
    public_notice = forms.BooleanField(
        label=_("A public notice instead of an e-mail to each person"), required=False
    )


class BreachRegisterForm(forms.Form):
    likely_consequences = _text(_("Likely consequences"))
    measures_taken = _text(_("Measures taken"))
    measures_proposed = _text(_("Measures proposed"))
    main_cause = _text(_("Main cause"))
    contributing_factors = _text(_("Contributing factors"))
    responses = _text(_("Responses"))
    recommendations = _text(_("Recommendations"))
    lessons_learned = _text(_("Lessons learned"))
    no_notification_reason = _text(_("Why the authority is not notified"))


class BreachEventForm(forms.Form):
    text = _text(_("What happened"), rows=2)


class BreachChangeForm(forms.Form):
    description = _text(_("Recommended change"), rows=2)
    owner = forms.CharField(label=_("Who carries it out"), max_length=200, required=False)


class BreachChangeStateForm(forms.Form):
    change = forms.IntegerField(widget=forms.HiddenInput)
    state = forms.ChoiceField(label=_("State"), choices=choices("change_state"))


class BreachReviewForm(forms.Form):
    text = _text(_("Review of the follow-up given to the breach"))
    close = forms.BooleanField(label=_("Close the breach"), required=False)
