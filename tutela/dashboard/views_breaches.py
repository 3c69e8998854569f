"""Breach pages: the register, the report form, one breach with its clocks and the follow-up the DPO gives
it (decision, notifications, register, changes, review). Calls the breach app only."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as Forbidden
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tutela.accounts import permissions
from tutela.accounts.principal import Principal
from tutela.core import clock
from tutela.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Refused
from tutela.dashboard import forms as f
from tutela.dashboard.access import may_read_breaches, staff_required
from tutela.dashboard.forms import BreachReportForm
from tutela.dashboard.labels import choices, label
from tutela.portal.ids import parse_id
from tutela.portal.optional import resolve

SERVICE_ERRORS = (InvalidInput, NotFound, Refused, Conflict, PermissionDenied)


def _pending(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard/pending.html", {"nav": "breaches"})


@staff_required
def breach_list(request: HttpRequest) -> HttpResponse:
    listing = resolve("tutela.breaches.selectors.breach_list")
    if listing is None:
        return _pending(request)
    principal: Principal = request.principal  # type: ignore[attr-defined]
    if not may_read_breaches(principal):
        raise Forbidden("only the DPO, privacy officers and auditors see the breach register")
    rows = listing(principal=principal)
    return render(request, "dashboard/breaches.html", {"nav": "breaches", "rows": rows})


@staff_required
@require_http_methods(["GET", "POST"])
def breach_new(request: HttpRequest) -> HttpResponse:
    report = resolve("tutela.breaches.services.breach_report")
    if report is None:
        return _pending(request)
    from tutela.breaches.models import IncidentType
    from tutela.breaches.services import Reporter
    from tutela.policy.selectors import active_policy

    principal: Principal = request.principal  # type: ignore[attr-defined]
    if not permissions.may_report_breach(principal):
        raise Forbidden("a read-only account does not report breaches")
    controllers = [(k, c.name) for k, c in active_policy().controllers.items()]
    if not principal.is_group_wide:
        controllers = [(k, n) for k, n in controllers if k == principal.controller]
    user: Any = request.user
    initial = {
        "reporter_name": user.get_full_name() or user.username,
        "reporter_email": user.email,
        "controller": principal.controller,
    }
    form = BreachReportForm(
        request.POST or None,
        initial=initial,
        incident_types=[(key, label("incident_type", key)) for key in IncidentType.values],
        controllers=controllers,
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            breach = report(
                principal=principal,
                reporter=Reporter(
                    name=d["reporter_name"],
                    address=d["reporter_address"],
                    phone=d["reporter_phone"],
                    email=d.get("reporter_email") or "",
                ),
                incident_type=d["incident_type"],
                description=d["description"],
                people_concerned=d.get("people_concerned"),
                detected_at=clock.as_aware(d["detected_at"]) if d.get("detected_at") else None,
                summary=d.get("summary") or "",
                controller=d.get("controller") or "",
            )
        except SERVICE_ERRORS as exc:
            form.add_error(None, str(exc))
            for err in getattr(exc, "errors", []) or []:
                form.add_error(None, f"{err.field}: {err.message}" if err.field else err.message)
        else:
            messages.success(request, _("Breach reported; the DPO is alerted and the clocks run."))
            if may_read_breaches(principal):
                return redirect("dashboard:breach", ref=breach.pk)
            return redirect("dashboard:index")
    status = 400 if request.method == "POST" else 200
    return render(request, "dashboard/breach_new.html", {"nav": "breaches", "form": form}, status=status)


@staff_required
def breach_detail(request: HttpRequest, ref: str) -> HttpResponse:
    detail = resolve("tutela.breaches.selectors.breach_detail")
    if detail is None:
        return _pending(request)
    breach_id = parse_id(ref)
    if breach_id is None:
        raise Http404("no such breach")
    principal: Principal = request.principal  # type: ignore[attr-defined]
    if not may_read_breaches(principal):
        raise Forbidden("only the DPO, privacy officers and auditors see the breach register")
    try:
        data = detail(breach_id, principal=principal)
    except NotFound:
        raise Http404("no such breach") from None
    context: dict[str, Any] = {"nav": "breaches", "b": data, "principal": principal}
    if may_manage_breaches(principal):
        context["forms"] = _follow_up_forms(breach_id, data)
    return render(request, "dashboard/breach.html", context)


@require_POST
@staff_required
def breach_investigate(request: HttpRequest, ref: str) -> HttpResponse:
    start = resolve("tutela.breaches.services.breach_start_investigation")
    principal: Principal = request.principal  # type: ignore[attr-defined]
    breach_id = parse_id(ref)
    if start is None or breach_id is None or not may_manage_breaches(principal):
        raise Http404("not available")
    try:
        start(principal=principal, breach_id=breach_id)
    except SERVICE_ERRORS as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Investigation started."))
    return redirect("dashboard:breach", ref=ref)


# ---------------------------------------------------------------------------------------------------------
# the follow-up after the report: each action one service of the breach app, as the API's routes


def may_manage_breaches(principal: Principal) -> bool:
    """Who acts on a breach after its report: the DPO and privacy officers (the rule the breach services
    apply themselves, ``tutela.accounts.permissions.may_manage_breaches``). Auditors only read."""
    return permissions.may_manage_breaches(principal)


def _follow_up_forms(breach_id: int, data: dict[str, Any]) -> dict[str, Any]:
    """The page's forms, filled with what the register holds now."""
    from tutela.breaches.models import Breach
    from tutela.breaches.services import REGISTER_FIELDS

    register = Breach.objects.filter(pk=breach_id).values(*REGISTER_FIELDS).first() or {}
    inv = data["investigation"]
    tri = {True: "yes", False: "no", None: ""}
    phase = "follow_up" if data["authority_notifications"] else "initial"
    return {
        "investigation": f.BreachInvestigationForm(
            initial={
                "nature": inv["nature"],
                "data_types": ", ".join(inv["data_types"] or []),
                "personal_data_affected": tri[inv["personal_data_affected"]],
                "is_personal_data_breach": tri[inv["is_personal_data_breach"]],
                "people_concerned": data["people_concerned"],
                "records_concerned": inv["records_concerned"],
            },
            prefix="inv",
        ),
        "decision": f.BreachDecisionForm(
            initial={
                "notify_authority": tri[data["notify_authority"]] or "yes",
                "notify_subjects": tri[data["notify_subjects"]] or "no",
            },
            prefix="dec",
        ),
        "authority": f.BreachAuthorityForm(initial={"phase": phase}, prefix="auth"),
        "authority_phase": phase,
        "subjects": f.BreachSubjectsForm(prefix="subj"),
        "retry": any(c["delivery"].get("failed") for c in data["communications"]),
        "register": f.BreachRegisterForm(initial=register, prefix="reg"),
        "event": f.BreachEventForm(prefix="ev"),
        "change": f.BreachChangeForm(prefix="chg"),
        "review": f.BreachReviewForm(prefix="rev"),
        "change_states": choices("change_state"),
    }


def _investigation(principal: Principal, breach_id: int, d: dict[str, Any]) -> str:
    from tutela.breaches.services import breach_record_investigation

    done = breach_record_investigation(
        principal=principal, breach_id=breach_id, **{**d, "nature": d["nature"].strip() or None}
    )
    return _("Investigation findings recorded; %(n)d people of the register linked to the breach.") % {
        "n": done["subjects_found"]
    }


def _decision(principal: Principal, breach_id: int, d: dict[str, Any]) -> str:
    from tutela.breaches.services import breach_decide

    b = breach_decide(principal=principal, breach_id=breach_id, **d)
    return _("Decision recorded: authority %(authority)s, people %(people)s.") % {
        "authority": _("to be notified") if b.notify_authority else _("not notified"),
        "people": _("to be told") if b.notify_subjects else _("not told"),
    }


def _authority(principal: Principal, breach_id: int, d: dict[str, Any]) -> str:
    from tutela.breaches.services import breach_notify_authority

    note = breach_notify_authority(principal=principal, breach_id=breach_id, **d)
    text = _("%(phase)s no. %(number)d to the authority recorded.") % {
        "phase": label("authority_phase", note.phase),
        "number": note.number,
    }
    return text + (" " + _("It was late: the reasons for the delay are kept.") if note.late else "")


def _subjects(principal: Principal, breach_id: int, d: dict[str, Any]) -> str:
    from tutela.breaches.notifications import breach_notify_subjects

    comm = breach_notify_subjects(principal=principal, breach_id=breach_id, public_notice=d["public_notice"])
    if comm.channel == "email":
        return _("The people concerned are told by e-mail: %(n)d e-mails are being sent.") % {"n": comm.total}
    return _("The public notice is recorded; publish its text where the people concerned will see it.")


def _retry(principal: Principal, breach_id: int, d: dict[str, Any]) -> str:
    from tutela.breaches.notifications import breach_notices_retry

    breach_notices_retry(principal=principal, breach_id=breach_id)
    return _("The e-mails that failed are sent again.")


def _register(principal: Principal, breach_id: int, d: dict[str, Any]) -> str:
    """Only the fields whose text changed are written: the audit entry names what was changed."""
    from tutela.breaches.models import Breach
    from tutela.breaches.services import breach_update_register

    current = Breach.objects.filter(pk=breach_id).values(*d).first()
    if current is None:
        raise NotFound(f"no breach {breach_id}")
    changed = {k: v.strip() for k, v in d.items() if v.strip() != (current[k] or "").strip()}
    if not changed:
        return _("Nothing changed.")
    breach_update_register(principal=principal, breach_id=breach_id, **changed)
    return _("Register updated.")


def _event(principal: Principal, breach_id: int, d: dict[str, Any]) -> str:
    from tutela.breaches.services import breach_add_event

    breach_add_event(principal=principal, breach_id=breach_id, text=d["text"])
    return _("Added to the chronology.")


def _change(principal: Principal, breach_id: int, d: dict[str, Any]) -> str:
    from tutela.breaches.services import breach_add_change

    breach_add_change(
        principal=principal, breach_id=breach_id, description=d["description"], owner=d["owner"]
    )
    return _("Recommended change added.")


def _change_state(principal: Principal, breach_id: int, d: dict[str, Any]) -> str:
    from tutela.breaches.models import RecommendedChange
    from tutela.breaches.services import breach_change_update

    if not RecommendedChange.objects.filter(pk=d["change"], breach_id=breach_id).exists():
        raise NotFound("no such recommended change for this breach")
    change = breach_change_update(principal=principal, change_id=d["change"], state=d["state"])
    return _("Recommended change marked “%(state)s”.") % {"state": label("change_state", change.state)}


def _review(principal: Principal, breach_id: int, d: dict[str, Any]) -> str:
    from tutela.breaches.services import breach_dpo_review

    b = breach_dpo_review(principal=principal, breach_id=breach_id, text=d["text"], close=d["close"])
    if b.status == b.Status.CLOSED and d["close"]:
        return _("Review recorded; the breach is closed.")
    return _("Review recorded.")


#: action in the address -> (form, prefix of its fields on the page, what it does)
FOLLOW_UP: dict[str, tuple[type[Any], str, Any]] = {
    "investigation": (f.BreachInvestigationForm, "inv", _investigation),
    "decision": (f.BreachDecisionForm, "dec", _decision),
    "notify-authority": (f.BreachAuthorityForm, "auth", _authority),
    "notify-subjects": (f.BreachSubjectsForm, "subj", _subjects),
    "retry-notices": (f.BreachSubjectsForm, "subj", _retry),
    "register": (f.BreachRegisterForm, "reg", _register),
    "event": (f.BreachEventForm, "ev", _event),
    "change": (f.BreachChangeForm, "chg", _change),
    "change-state": (f.BreachChangeStateForm, "", _change_state),
    "review": (f.BreachReviewForm, "rev", _review),
}


def _refusal(exc: Exception) -> str:
    details = "; ".join(str(e) for e in getattr(exc, "errors", []) or [])
    reason = f"{exc}{': ' + details if details else ''}"
    return _("Not done: %(reason)s") % {"reason": reason}


def _form_errors(form: Any) -> str:
    parts: list[str] = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        where = f"{field.label}: " if field is not None and field.label else ""
        parts.extend(f"{where}{e}" for e in errors)
    return _("Not done: %(reason)s") % {"reason": "; ".join(parts)}


@require_POST
@staff_required
def breach_action(request: HttpRequest, ref: str, action: str) -> HttpResponse:
    """One follow-up action (a POST from the breach page); the answer is the page again, with a message."""
    principal: Principal = request.principal  # type: ignore[attr-defined]
    breach_id = parse_id(ref)
    if breach_id is None:
        raise Http404("no such breach")
    if not may_manage_breaches(principal):
        raise Forbidden("only the DPO and privacy officers manage breaches")
    if action not in FOLLOW_UP or resolve("tutela.breaches.services.breach_decide") is None:
        raise Http404("no such action")
    form_class, prefix, run = FOLLOW_UP[action]
    form = form_class(request.POST, prefix=prefix or None)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("dashboard:breach", ref=breach_id)
    try:
        text = run(principal, breach_id, form.cleaned_data)
    except NotFound:
        raise Http404("no such breach") from None
    except SERVICE_ERRORS as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, text)
    return redirect("dashboard:breach", ref=breach_id)
