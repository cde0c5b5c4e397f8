from django.conf import settings
from django.urls import path

from licences import api

urlpatterns = [
    path("licence", api.LicenceView.as_view(), name="api-licence"),
    path("elicence", api.ELicenceView.as_view(), name="api-elicence"),
    path("elicence/qr", api.ELicenceQRView.as_view(), name="api-elicence-qr"),
    path("elicence/mdoc", api.ELicenceMdocView.as_view(), name="api-elicence-mdoc"),
    path("elicence/verifications", api.ELicenceVerificationsView.as_view(), name="api-elicence-verifications"),
    path("elicence/shares", api.SharesView.as_view(), name="api-shares"),
    path("elicence/shares/<uuid:share_id>", api.ShareDetailView.as_view(), name="api-share"),
    path("elicence/shares/<uuid:share_id>/download", api.ShareDownloadView.as_view(), name="api-share-download"),
    path("verifications", api.VerificationsView.as_view(), name="api-verifications"),
    path("verifications/offline", api.OfflineVerificationsView.as_view(), name="api-verifications-offline"),
    path("receipts/public-key", api.ReceiptKeyView.as_view(), name="api-receipt-key"),
    path("receipts/verify", api.ReceiptCheckView.as_view(), name="api-receipt-verify"),
    path("receipts/<str:signed_id>", api.ReceiptView.as_view(), name="api-receipt"),
    # Full numbers travel in request bodies only, never in a URL (access logs, proxies).
    path("authority/licences", api.AuthorityLicenceView.as_view(), name="api-authority-licence"),
    path("authority/licences/portrait", api.AuthorityPortraitView.as_view(), name="api-authority-portrait"),
    path("authority/identity-photos", api.AuthorityIdentityPhotoView.as_view(), name="api-authority-identity-photos"),
]
if settings.BENCH_FLOOR:  # bench/verifications.py's floor; never set in production
    urlpatterns += [
        path("bench/floor", api.BenchFloorView.as_view(), name="api-bench-floor"),
        path("bench/floor/checked", api.BenchCheckedFloorView.as_view(), name="api-bench-floor-checked"),
    ]
