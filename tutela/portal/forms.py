"""Public forms. Validation of shape only: the services decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tutela.core import clock

#: rights that may concern one purpose only
PURPOSE_TYPES = ("objection", "restriction", "withdrawal")


class RightRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("Your e-mail address"),
        help_text=_("We send a link to this address to check that the request is yours."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    name = forms.CharField(
        label=_("Your full name"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    details = forms.CharField(
        label=_("Your request"),
        help_text=_("What is it about? For a correction, say what is wrong and what is right."),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(
        self,
        *args: Any,
        rule: Any = None,
        right: str = "",
        purposes: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.right = right
        self.rule = rule
        if rule is not None and getattr(rule, "needs_reasons", False):
            self.fields["details"].required = True
            self.fields["details"].label = _("Your reasons")
            self.fields["details"].help_text = _(
                "Explain the serious and legitimate reasons, related to your situation, for your request."
            )
        if right in PURPOSE_TYPES and purposes:
            if right == "objection":  # an objection is about one use of the data
                self.fields["purpose"] = forms.ChoiceField(
                    label=_("Which use of your data do you object to?"), choices=purposes
                )
            else:
                self.fields["purpose"] = forms.ChoiceField(
                    label=_("Which use of your data?"),
                    help_text=_("Leave empty if your request concerns every use."),
                    choices=[("", _("Every use")), *purposes],
                    required=False,
                )
        if right == "portability":
            self.fields["transmit_to"] = forms.EmailField(
                label=_("Send the data directly to another organisation (optional)"),
                help_text=_("The e-mail address of the organisation that should receive your data."),
                required=False,
            )
        if rule is not None and getattr(rule, "dated_and_signed", False):
            self.fields["name"].required = True
            self.fields["signed_on"] = forms.DateField(
                label=_("Date"),
                initial=clock.today,
                widget=forms.DateInput(attrs={"type": "date"}),
            )
            self.fields["signature"] = forms.CharField(
                label=_("Signature: type your full name"),
                help_text=_("The policy asks for this request to be dated and signed."),
                max_length=200,
            )
            self.fields["sign_confirm"] = forms.BooleanField(
                label=_("I sign this request electronically and confirm it is mine."),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        signed_on = data.get("signed_on")
        if signed_on is not None and abs((signed_on - clock.today()).days) > 1:
            self.add_error("signed_on", _("Date the request today."))
        signature = data.get("signature")
        name = data.get("name")
        if signature and name and " ".join(signature.split()).casefold() != " ".join(name.split()).casefold():
            self.add_error("signature", _("Sign with the same full name as above."))
        return data


class NewsletterForm(forms.Form):
    email = forms.EmailField(
        label=_("Your e-mail address"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    def __init__(self, *args: Any, topics: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if topics:
            self.fields["topics"] = forms.MultipleChoiceField(
                label=_("Topics"),
                choices=topics,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
        self.fields["agree"] = forms.BooleanField(
            label=_("I agree to receive the newsletter by e-mail. I can unsubscribe at any time.")
        )


class PreferencesForm(forms.Form):
    def __init__(self, *args: Any, topics: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topics"] = forms.MultipleChoiceField(
            label=_("Topics you receive"),
            choices=topics or [],
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )
