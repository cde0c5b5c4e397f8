"""Citizen pages (apply, status, photo) and the staff review console (R6)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from licences.services import licence_of
from portal.errors import DomainError, NotFoundError
from portal.images import read_upload
from portal.ratelimit import client_ip
from portal.responses import private_file
from reviews import selectors, services
from reviews.models import Application, ApplicationStatus, Photo, PhotoStatus
from reviews.photo_checks import CODES


@login_required
def apply(request):
    errors, form = {}, request.POST
    if request.method == "POST":
        try:
            selfie = read_upload(request.FILES.get("selfie"))
            application = services.application_submit(
                user=request.user,
                validity_start=request.POST.get("validity_start", ""),
                selfie=selfie,
                ip=client_ip(request),
            )
        except DomainError as exc:
            errors = {"code": exc.code, "detail": exc.detail}
        else:
            messages.success(request, _("Your application was received."))
            return redirect("reviews:application", application.pk)
    open_application = (
        Application.objects.filter(applicant=request.user)
        .exclude(status__in=[ApplicationStatus.APPROVED, ApplicationStatus.REJECTED, ApplicationStatus.CANCELLED])
        .first()
    )
    return render(
        request,
        "reviews/apply.html",
        {"errors": errors, "form": form, "licence": licence_of(request.user), "open_application": open_application},
        status=400 if errors else 200,
    )


@login_required
def application(request, application_id):
    try:
        current = services.application_get(user=request.user, application_id=application_id)
    except NotFoundError:
        raise Http404 from None
    error = None
    if request.method == "POST":
        try:
            if request.POST.get("action") == "cancel":
                services.application_cancel(user=request.user, application_id=current.pk, ip=client_ip(request))
            else:
                photo = read_upload(request.FILES.get("photo"))
                services.photo_upload(user=request.user, application_id=current.pk, photo=photo, ip=client_ip(request))
                messages.info(request, _("The photo was uploaded and is being checked."))
            return redirect("reviews:application", current.pk)
        except DomainError as exc:
            error = exc.detail
    return render(
        request,
        "reviews/application.html",
        {
            "application": current,
            "data": selectors.application_payload(current, get_language()),
            "error": error,
            "needs_photo": current.status in (ApplicationStatus.PHOTO_REQUIRED, ApplicationStatus.PHOTO_REVIEW),
        },
    )


@login_required
def applications(request):
    return render(
        request, "reviews/applications.html", {"applications": Application.objects.filter(applicant=request.user)}
    )


# --- staff console --------------------------------------------------------------------------------------
def _reviewer(request):
    if not request.user.is_authenticated or not request.user.has_role("reviewer"):
        raise PermissionDenied


def queue(request):
    _reviewer(request)
    cases = (
        services.flagged_for_staff()
        .select_related("licence", "applicant")
        .prefetch_related("photos")
        .order_by("submitted_at")
    )
    problem = request.GET.get("problem", "")
    older = request.GET.get("older", "")
    rows = []
    now = timezone.now()
    for case in cases[:500]:
        codes = services.problem_codes(case)
        age = (now - case.submitted_at).total_seconds() / 3600
        if problem and problem not in codes:
            continue
        if older.isdigit() and age < int(older):
            continue
        rows.append({"case": case, "codes": sorted(codes), "age_hours": round(age, 1)})
    return render(request, "reviews/queue.html", {"rows": rows, "codes": CODES, "problem": problem, "older": older})


def case(request, application_id):
    _reviewer(request)
    current = Application.objects.select_related("licence", "applicant").filter(pk=application_id).first()
    if current is None:
        raise Http404
    error = None
    if request.method == "POST":
        try:
            services.staff_decide(
                reviewer=request.user,
                application_id=current.pk,
                decision=request.POST.get("decision", ""),
                reason=request.POST.get("reason", ""),
                note=request.POST.get("note", ""),
                ip=client_ip(request),
            )
        except DomainError as exc:
            error = exc.detail
        else:
            messages.success(request, _("Decision saved."))
            following = services.flagged_for_staff().exclude(pk=current.pk).order_by("submitted_at").first()
            return redirect("reviews:case", following.pk) if following else redirect("reviews:queue")
    photo = current.photos.filter(status=PhotoStatus.FLAGGED).first() or current.photos.first()
    box = None
    if photo and photo.metrics.get("face_box") and photo.metrics.get("width"):
        left, top, right, bottom = photo.metrics["face_box"]
        w, h = photo.metrics["width"], photo.metrics["height"]
        box = {"x": left, "y": top, "w": right - left, "h": bottom - top, "vw": w, "vh": h}
    return render(
        request,
        "reviews/case.html",
        {
            "case": current,
            "photo": photo,
            "box": box,
            "reasons": services.REJECT_REASONS,
            "error": error,
            "timeline": current.timeline.all(),
        },
    )


def staff_photo(request, photo_id):
    _reviewer(request)
    photo = Photo.objects.filter(pk=photo_id).first()
    if photo is None or not photo.image:  # unknown, or deleted after the retention period
        raise Http404
    with photo.image.open("rb") as fh:
        return private_file(fh.read(), content_type="image/jpeg", filename="photo.jpg", inline=True)


def dashboard(request):
    if not request.user.is_authenticated or not request.user.has_role("supervisor"):
        raise PermissionDenied
    data = services.dashboard()
    peak = max([n for _d, n in data["approvals_per_day"]] + [1])
    bars = []
    for i, (day, count) in enumerate(data["approvals_per_day"]):
        height = round(100 * count / peak)
        bars.append({"day": day, "count": count, "x": i * 10 + 1, "y": 110 - height, "h": height})
    return render(request, "reviews/dashboard.html", {"data": data, "bars": bars, "width": len(bars) * 10})
