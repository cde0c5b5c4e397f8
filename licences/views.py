"""Licence pages: my licence (L2), the live e-licence (L3), verification (L4), log (L5), shares (L6)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from licences import api, selectors, services, tokens
from portal.errors import DomainError, NotFoundError
from portal.ratelimit import client_ip
from portal.responses import private_file


@login_required
def my_licence(request):
    licence = services.licence_of(request.user)
    return render(
        request,
        "licences/my_licence.html",
        {
            "licence": licence,
            "payload": selectors.licence_payload(licence) if licence else None,
            "elicence": services.elicence_of(request.user),
        },
    )


@login_required
def elicence(request):
    current = services.elicence_of(request.user)
    if current is None:
        raise Http404
    return render(
        request,
        "licences/elicence.html",
        {"elicence": current, "licence": current.licence, "payload": selectors.elicence_payload(current)},
    )


@login_required
def portrait(request):
    """The holder's own portrait, never from a public URL (X3)."""
    licence = services.licence_of(request.user)
    if licence is None or not licence.has_portrait:
        raise Http404
    return private_file(licence.portrait.read(), content_type="image/jpeg", filename="portrait.jpg", inline=True)


@login_required
def verification_log(request):
    rows = services.verifications_for_holder(request.user)[:200]
    return render(request, "licences/verifications.html", {"rows": [selectors.verification_payload(v) for v in rows]})


@login_required
def shares(request):
    current = services.elicence_of(request.user)
    if current is None:
        raise Http404
    errors = {}
    if request.method == "POST":
        try:
            share = services.share_create(
                user=request.user,
                purpose=request.POST.get("purpose", ""),
                valid_days=request.POST.get("valid_days", ""),
                ip=client_ip(request),
            )
        except DomainError as exc:
            errors = exc.fields or {"__all__": [str(exc.detail)]}
        else:
            messages.success(request, _("The copy was created. Code: %(code)s") % {"code": share.code})
            return redirect("licences:shares")
    return render(
        request,
        "licences/shares.html",
        {
            "elicence": current,
            "shares": [api.share_payload(request, s) for s in current.shares.all()],
            "errors": errors,
            "form": request.POST,
        },
    )


@login_required
@require_POST
def share_revoke(request, share_id):
    try:
        services.share_revoke(user=request.user, share_id=share_id, ip=client_ip(request))
    except NotFoundError:
        raise Http404 from None
    messages.success(request, _("The copy was revoked: its code no longer verifies."))
    return redirect("licences:shares")


@login_required
def share_pdf(request, share_id):
    try:
        share = services.share_get(user=request.user, share_id=share_id)
    except NotFoundError:
        raise Http404 from None
    return api.pdf_response(api.share_pdf_bytes(request, share), f"elicence-share-{share.code}.pdf")


HOLDER_LABELS = {
    "name_masked": gettext_lazy("Name"),
    "name": gettext_lazy("Name"),
    "number_masked": gettext_lazy("Licence number"),
    "sex": gettext_lazy("Sex"),
    "birth_date": gettext_lazy("Birth date"),
    "nationality": gettext_lazy("Nationality"),
    "address": gettext_lazy("Address"),
    "first_issued_on": gettext_lazy("First issued on"),
    "classes": gettext_lazy("Vehicle classes"),
    "valid_from": gettext_lazy("Valid from"),
    "valid_until": gettext_lazy("Valid until"),
    "issuing_authority": gettext_lazy("Issuing authority"),
    "file_number_masked": gettext_lazy("File number"),
    "status": gettext_lazy("Status"),
    "points": gettext_lazy("Points"),
}


def holder_rows(holder: dict) -> list[tuple[str, str]]:
    rows = []
    for key, value in holder.items():
        if isinstance(value, list):
            value = " ".join(value)
        elif value is None:
            value = _("long-term")
        rows.append((HOLDER_LABELS.get(key, key), str(value)))
    return rows


def _verify(request, *, token=None, share_code=None):
    try:
        outcome = services.verification_record(
            verifier=request.user,
            token=token,
            share_code=share_code,
            purpose=request.GET.get("purpose", "") or request.POST.get("purpose", ""),
            ip=client_ip(request),
        )
    except DomainError as exc:
        return render(request, "licences/verify.html", {"error": exc.detail}, status=exc.status)
    response = api.verification_response(request, outcome)
    return render(
        request, "licences/verify.html", {"result": response, "holder": holder_rows(response["holder"])}, status=200
    )


def verify(request, token):
    return _verify(request, token=token)


def verify_share(request, code):
    return _verify(request, share_code=code)


def verify_form(request):
    """Type the short code shown under the QR (or a share code)."""
    if request.method == "POST":
        code = request.POST.get("code", "")
        # Share codes have their own length; anything else is a short code or a pasted QR token.
        if len(tokens.normalise_code(code)) == tokens.SHARE_CODE_LENGTH:
            return _verify(request, share_code=code)
        return _verify(request, token=code)
    return render(request, "licences/verify.html", {"form_only": True})
