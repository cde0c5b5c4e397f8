"""Citizen pages (apply, status, photo) and the staff review console (R6)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from licences import selectors as licence_selectors
from portal.accounts.models import Role
from portal.accounts.permissions import role_required
from portal.images import read_upload
from portal.ratelimit import client_ip
from portal.responses import private_file
from reviews import forms, selectors, services
from reviews.models import ApplicationStatus
from reviews.photo_checks import CODES
from reviews.serializers import ApplicationOut


@login_required
def apply(request):
    form = forms.ApplyForm(request.POST or None, request.FILES or None)

    def submit(validity_start, selfie):
        return services.application_submit(
            user=request.user, validity_start=validity_start, selfie=read_upload(selfie), ip=client_ip(request)
        )

    if form.submit(request, submit):
        messages.success(request, _("Your application was received."))
        return redirect("reviews:application", form.result.pk)
    context = {
        "form": form,
        "licence": licence_selectors.licence_for_user(request.user),
        "open_application": selectors.open_application_of(request.user),
        "elicence": licence_selectors.elicence_current_for(request.user),
    }
    return render(request, "reviews/apply.html", context, status=400 if form.errors else 200)


@login_required
def application(request, application_id):
    current = selectors.application_of_applicant(user=request.user, application_id=application_id)
    form = forms.PhotoForm(request.POST or None, request.FILES or None)
    mine = {"user": request.user, "application_id": current.pk, "ip": client_ip(request)}

    def cancel_or_upload(action, photo):
        if action == "cancel":
            return services.application_cancel(**mine)
        services.photo_upload(**mine, photo=read_upload(photo))
        messages.info(request, _("The photo was uploaded and is being checked."))

    if form.submit(request, cancel_or_upload):
        return redirect("reviews:application", current.pk)
    data = ApplicationOut(current).data
    waiting_on_photo = current.status in (ApplicationStatus.PHOTO_REQUIRED, ApplicationStatus.PHOTO_REVIEW)
    context = {
        "application": current,
        "data": data,
        "form": form,
        "needs_photo": waiting_on_photo,
        # A photo's problems matter while the photo is the open question; not once it was approved.
        "show_problems": waiting_on_photo and bool(data["photo"] and data["photo"]["problems"]),
    }
    return render(request, "reviews/application.html", context)


@login_required
def applications(request):
    return render(
        request, "reviews/applications.html", {"applications": selectors.applications_of_applicant(request.user)}
    )


# --- staff console --------------------------------------------------------------------------------------
@role_required(Role.REVIEWER)
def queue(request):
    filters = forms.QueueFilterForm(request.GET)
    filters.is_valid()  # a bad value is ignored; the good ones still filter
    wanted = filters.cleaned_data
    problem, older = wanted.get("problem", ""), wanted.get("older")
    now = timezone.now()
    rows = [
        {
            "case": case,
            "codes": sorted(selectors.flagged_problem_codes(case)),
            "age_hours": round((now - case.submitted_at).total_seconds() / 3600, 1),
        }
        for case in selectors.review_queue(problem=problem, older_than_hours=older)
    ]
    return render(request, "reviews/queue.html", {"rows": rows, "codes": CODES, "problem": problem, "older": older})


@role_required(Role.REVIEWER)
def case(request, application_id):
    current = selectors.review_case(application_id)
    form = forms.DecisionForm(request.POST or None)
    decide = services.application_photo_decide
    if form.submit(request, decide, reviewer=request.user, application_id=current.pk, ip=client_ip(request)):
        messages.success(request, _("Decision saved."))
        following = selectors.review_case_next(current)
        return redirect("reviews:case", following.pk) if following else redirect("reviews:queue")
    photo = selectors.review_photo(current)
    box = None
    if photo and photo.metrics.get("face_box") and photo.metrics.get("width"):
        left, top, right, bottom = photo.metrics["face_box"]
        w, h = photo.metrics["width"], photo.metrics["height"]
        box = {"x": left, "y": top, "w": right - left, "h": bottom - top, "vw": w, "vh": h}
    context = {
        "case": current,
        "photo": photo,
        "box": box,
        "reasons": services.REJECT_REASONS,
        "form": form,
    }
    return render(request, "reviews/case.html", context)


@role_required(Role.REVIEWER)
def staff_photo(request, photo_id):
    photo = selectors.photo_with_image(photo_id)
    if photo is None:
        raise Http404
    with photo.image.open("rb") as fh:
        return private_file(fh.read(), content_type="image/jpeg", filename="photo.jpg", inline=True)


@role_required(Role.SUPERVISOR)
def dashboard(request):
    data = selectors.dashboard_figures()
    peak = max([n for _d, n in data["approvals_per_day"]] + [1])
    bars = []
    for i, (day, count) in enumerate(data["approvals_per_day"]):
        height = round(100 * count / peak)
        bars.append({"day": day, "count": count, "x": i * 10 + 1, "y": 110 - height, "h": height})
    context = {"data": data, "bars": bars, "width": len(bars) * 10, "any_approvals": any(b["count"] for b in bars)}
    return render(request, "reviews/dashboard.html", context)
