from django.urls import path

from licences import views

app_name = "licences"

urlpatterns = [
    path("licence/", views.my_licence, name="my_licence"),
    path("licence/e/", views.elicence, name="elicence"),
    path("licence/portrait/", views.portrait, name="portrait"),
    path("licence/e/verifications/", views.verification_log, name="verifications"),
    path("licence/e/shares/", views.shares, name="shares"),
    path("licence/e/shares/<uuid:share_id>/revoke/", views.share_revoke, name="share_revoke"),
    path("licence/e/shares/<uuid:share_id>/pdf/", views.share_pdf, name="share_pdf"),
    path("v/", views.verify_form, name="verify_form"),
    # The verifier page: a scanned display QR opens it with the signed token in the fragment (docs/offline.md).
    path("v/o", views.verify_offline, name="verify_offline"),
    path("v/sw.js", views.verifier_sw, name="verifier_sw"),
    path("v/s/<str:code>", views.verify_share, name="verify_share"),
    path("v/<str:token>", views.verify, name="verify"),
    # The public keys of the signed QR (licences/signed_qr.py), for verifiers that check it offline.
    path(".well-known/jwks.json", views.jwks, name="jwks"),
    # The trust anchor of the ISO 18013-5 export (licences/mdoc.py), for mdoc readers.
    path(".well-known/mdoc-iaca.pem", views.mdoc_iaca, name="mdoc_iaca"),
]
