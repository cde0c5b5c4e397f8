"""Licence pages: my licence (L2), the live e-licence (L3), verification (L4), log (L5), shares (L6)."""

import hashlib
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_POST

from licences import forms, pdf, presenters, selectors, services, signed_qr, tokens
from licences.serializers import QR_COLOURS, ELicenceOut, LicenceOut, ShareOut, VerificationLogOut, VerificationOut
from portal.dates import local_time
from portal.errors import DomainError
from portal.ratelimit import client_ip
from portal.responses import private_file


@login_required
def my_licence(request):
    licence = selectors.licence_for_user(request.user)
    return render(
        request,
        "licences/my_licence.html",
        {
            "licence": licence,
            "payload": LicenceOut(licence).data if licence else None,
            "elicence": selectors.elicence_current_for(request.user),
        },
    )


@login_required
def elicence(request):
    current = selectors.elicence_current_for(request.user)
    if current is None:
        raise Http404
    return render(
        request,
        "licences/elicence.html",
        {
            "elicence": current,
            "licence": current.licence,
            "payload": ELicenceOut(current).data,
            "qr_colours": json.dumps(QR_COLOURS),  # the page draws the QR itself, in these colours
        },
    )


@login_required
def portrait(request):
    """The holder's own portrait, never from a public URL (X3)."""
    licence = selectors.licence_for_user(request.user)
    if licence is None or not licence.has_portrait:
        raise Http404
    return private_file(licence.portrait.read(), content_type="image/jpeg", filename="portrait.jpg", inline=True)


@login_required
def verification_log(request):
    rows = VerificationLogOut(selectors.verifications_for_holder(request.user), many=True).data
    return render(request, "licences/verifications.html", {"rows": presenters.log_rows(rows)})


@login_required
def shares(request):
    current = selectors.elicence_current_for(request.user)
    if current is None:
        raise Http404
    form = forms.ShareForm(request.POST or None)
    if form.submit(request, services.share_create, user=request.user, ip=client_ip(request)):
        messages.success(request, _("The copy was created. Code: %(code)s") % {"code": form.result.code})
        return redirect("licences:shares")
    rows = ShareOut(selectors.shares_of_holder(request.user), many=True, context={"request": request}).data
    return render(request, "licences/shares.html", {"elicence": current, "shares": rows, "form": form})


@login_required
@require_POST
def share_revoke(request, share_id):
    services.share_revoke(user=request.user, share_id=share_id, ip=client_ip(request))
    messages.success(request, _("The copy was revoked: its code no longer verifies."))
    return redirect("licences:shares")


@login_required
def share_pdf(request, share_id):
    return pdf.share_pdf_response(request, selectors.share_of_holder(user=request.user, share_id=share_id))


PURPOSE_KEY = "verify_purpose"  # a verifier's stated purpose, kept for their next checks (scanned QR codes)


def _purpose(request) -> str:
    stated = (request.GET.get("purpose") or request.POST.get("purpose") or "").strip()
    if request.user.is_authenticated:
        if stated:
            request.session[PURPOSE_KEY] = stated[:100]
        return stated or request.session.get(PURPOSE_KEY, "")
    return stated


def _verify(request, *, token=None, share_code=None):
    purpose = _purpose(request)
    form = forms.VerifyCodeForm(initial={"purpose": purpose})
    try:
        outcome = services.verification_record(
            verifier=request.user, token=token, share_code=share_code, purpose=purpose, ip=client_ip(request)
        )
    except DomainError as exc:
        return render(request, "licences/verify.html", {"error": exc.detail, "form": form}, status=exc.status)
    result = VerificationOut(outcome, context={"request": request}).data
    context = {
        "result": result,
        "result_text": presenters.result_label(result["reason"]),
        "checked_at": local_time(result["checked_at"]),
        "holder": presenters.holder_rows(result["holder"]),
        "purpose": purpose,
        "form": form,
    }
    return render(request, "licences/verify.html", context)


@never_cache  # a verification's answer is for this moment and this verifier: never stored by a cache
def verify(request, token):
    return _verify(request, token=token)


@never_cache
def verify_share(request, code):
    return _verify(request, share_code=code)


@never_cache
def verify_form(request):
    """Type the short code shown under the QR (or a share code)."""
    form = forms.VerifyCodeForm(
        request.POST or None, initial={"purpose": _purpose(request) if not request.POST else ""}
    )
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        # Share codes have their own length; anything else is a short code or a pasted QR token.
        if len(tokens.normalise_code(code)) == tokens.SHARE_CODE_LENGTH:
            return _verify(request, share_code=code)
        return _verify(request, token=code)
    return render(
        request, "licences/verify.html", {"form_only": True, "form": form}, status=400 if form.errors else 200
    )


def jwks(request):
    """The QR signing keys (JWK Set): the current key and those still in their rotation overlap."""
    response = JsonResponse(signed_qr.jwks())
    response["Cache-Control"] = "public, max-age=3600"  # a verifier refreshes hourly; rotation overlaps longer
    response["Access-Control-Allow-Origin"] = "*"  # public keys, for any verifier's web page
    return response


@never_cache
@ensure_csrf_cookie
def verify_offline(request):
    """The verifier page: checks a signed QR online, or on the device when there is no network.

    GET: the page. POST {"token"} (its script, online): the portal's check, logged like any other, as
    JSON with the fields this verifier may see, labelled in their language (as on /v/<code>)."""
    if request.method != "POST":
        return render(request, "licences/verify_offline.html")
    try:
        token = str(json.loads(request.body or b"{}").get("token", ""))[:6000]
    except (ValueError, AttributeError):
        token = ""
    try:
        outcome = services.verification_record(
            verifier=request.user, token=token, purpose=_purpose(request), ip=client_ip(request)
        )
    except DomainError as exc:
        return JsonResponse({"code": exc.code, "detail": str(exc.detail)}, status=exc.status)
    result = VerificationOut(outcome, context={"request": request}).data
    return JsonResponse(
        {
            "valid": result["valid"],
            "reason": result["reason"],
            "reason_text": presenters.result_label(result["reason"]) if result["reason"] else "",
            "paper_required": result["paper_required"],
            "rows": presenters.holder_rows(result["holder"]),
            "checked_at": local_time(result["checked_at"]),
            "receipt_url": result["receipt_url"],
        }
    )


def verifier_sw(request):
    """The verifier page's service worker, at /v/ so that its scope covers the page."""
    static_files = [static(name) for name in VERIFIER_STATIC]
    body = render_to_string(
        "licences/verifier-sw.js",
        {
            "version": hashlib.sha256("|".join(static_files).encode()).hexdigest()[:12],
            "page": reverse("licences:verify_offline"),
            "jwks": reverse("licences:jwks"),
            "static_files": json.dumps(static_files),
        },
    )
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"  # the browser checks for a new worker on every visit
    return response


VERIFIER_STATIC = ("css/portal.css", "img/favicon.svg", "js/forms.js", "js/vendor/jsQR.js", "js/verifier.js")


def mdoc_iaca(request):
    """The issuing authority's root certificate (PEM) that mdoc readers trust for the mDL export."""
    from cryptography.hazmat.primitives import serialization

    from licences import mdoc

    response = HttpResponse(
        mdoc.signer().iaca.public_bytes(serialization.Encoding.PEM), content_type="application/x-pem-file"
    )
    response["Cache-Control"] = "public, max-age=86400"
    response["Access-Control-Allow-Origin"] = "*"
    return response
