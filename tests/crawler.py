"""The page crawler's parts: the world it crawls, the visits each role makes, what it checks on a page.

`tests/test_pages.py` drives them in Debian's chromium. Kept apart so the coverage check (every
named URL has a visit) runs without a browser.
"""

import gettext
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

from django.apps import apps
from django.contrib import admin
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
ROLES = ["anonymous", "citizen", "applicant", "newcomer", "member", "pending_staff", "reviewer", "supervisor", "clerk"]
LANGUAGES = ["zh-hans", "en"]
SUMMARY: list[str] = []  # what the last crawl covered and how long it took (printed at the end of the run)
SIZES = [(360, 780), (1280, 800)]

# Named URLs that are not pages a person reads, with the reason.
NOT_PAGES = {
    "accounts:logout": "POST only (the menu's button)",
    "licences:share_revoke": "POST only (a button on the shares page)",
    "set_language": "POST only (the language buttons)",
    "javascript-catalog": "a script",
    "api-schema": "the OpenAPI document (tests/test_contract.py)",
    "admin:logout": "POST only",
    "admin:jsi18n": "a script",
    "admin:autocomplete": "JSON for the admin's search boxes",
    "admin:view_on_site": "a redirect",
    "admin:auth_user_password_change": "refused to everyone: passwords are set by their owners",
    "healthz": "JSON for load balancers (tests/test_health.py)",
    "readyz": "JSON for load balancers (tests/test_health.py)",
    "metrics": "Prometheus text for the allow-list (tests/test_metrics.py)",
    "licences:jwks": "the QR signing keys as a JWK Set, for verifiers (licences/tests/test_elicence.py)",
    "licences:verifier_sw": "the verifier page's service worker script (tests/test_offline_verifier.py)",
    "licences:mdoc_iaca": "the mDL export's root certificate, for readers (licences/tests/test_mdoc.py)",
}
NOT_PAGE_PREFIXES = ("api-",)  # the REST API: tests/test_contract.py and tests/security


@dataclass
class Visit:
    name: str  # the URL's name
    url: "str | Callable[[], str]"  # a path, or a function of nothing that makes one (fresh tokens)
    kind: str = "page"  # page | file (an image or a PDF: status and type only)
    expect_path: str | None = None  # where the page may land (a redirect the role should get)
    text: list[str] = field(default_factory=list)  # visible text the page must show (any language)
    status: int = 200  # what the page answers (the error pages answer theirs)

    def path(self) -> str:
        return self.url() if callable(self.url) else self.url


def all_url_names() -> set[str]:
    names = set()

    def walk(patterns, namespace):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                walk(p.url_patterns, ns)
            elif isinstance(p, URLPattern) and p.name:
                names.add(f"{namespace}{p.name}")

    walk(get_resolver().url_patterns, "")
    return names


def not_a_page(name: str) -> bool:
    return name in NOT_PAGES or name.startswith(NOT_PAGE_PREFIXES)


# --- the world ---------------------------------------------------------------------------------------
KNOWN_UTC = datetime(2026, 1, 5, 17, 30, tzinfo=UTC)  # shown to people as 2026-01-06 01:30 (Beijing)
KNOWN_BEIJING = "2026-01-06 01:30"


@dataclass
class World:
    users: dict
    application_id: object
    share_id: object
    share_code: str
    elicence: object
    data_words: set  # Latin words that are data, not text: usernames, the schedules' names, random codes


def build_world(password: str) -> World:
    """seed_demo's people, plus an applicant whose photo waits for a reviewer, a newcomer, a share and
    verifications at a known time."""
    from django.core.management import call_command

    from conftest import (
        make_flagged_application,
        make_licence,
        make_person,
        restore_migration_data,
        staff_authenticator,
    )
    from licences import services as licence_services
    from licences.selectors import elicence_current_for
    from portal.accounts.models import User

    restore_migration_data()  # groups, permissions and schedules, if a transactional test flushed them
    call_command("seed_demo", password=password, as_json=True, stdout=open("/dev/null", "w"))  # noqa: SIM115
    users = {u.username: u for u in User.objects.all()}
    citizen, police = users["citizen"], users["police"]
    elicence = elicence_current_for(citizen)

    applicant = make_person(name="李四")
    application = make_flagged_application(applicant, classes=["C1", "D"])
    newcomer = make_person(name="王芳", verified=False)
    make_licence(newcomer)

    share = licence_services.share_create(user=citizen, purpose="租车", valid_days=7)
    # A police check at a known moment, so the log can be read back in Beijing time.
    with (
        mock.patch("django.utils.timezone.now", return_value=KNOWN_UTC),
        mock.patch("time.time", return_value=KNOWN_UTC.timestamp()),
    ):
        licence_services.verification_record(verifier=police, token=fresh_token_for(elicence), purpose="路面检查")
    licence_services.verification_record(verifier=None, share_code=share.code)
    # One of each kind of record the staff console lists, so every change page has something to show.
    from django_celery_beat.models import ClockedSchedule, SolarSchedule
    from rest_framework.authtoken.models import Token

    from reviews.models import WorkingDayOverride
    from reviews.services import working_day_override_save

    Token.objects.get_or_create(user=users["authority"])
    ClockedSchedule.objects.create(clocked_time=KNOWN_UTC)
    SolarSchedule.objects.create(event="sunrise", latitude=39.9, longitude=116.4)
    working_day_override_save(
        supervisor=users["supervisor"],
        override=WorkingDayOverride(date=KNOWN_UTC.date(), is_working_day=True, note="调休"),
    )
    for user in users.values():
        if user.is_staff:
            staff_authenticator(user)  # staff have their authenticator app set up
    users.update({"applicant": applicant, "newcomer": newcomer})
    return World(
        users=users,
        application_id=application.pk,
        share_id=share.pk,
        share_code=share.code,
        elicence=elicence,
        data_words=_data_words(),
    )


def _data_words() -> set[str]:
    from celery import current_app
    from django.conf import settings
    from django_celery_beat.models import PeriodicTask

    from licences.models import QRCode, Share
    from portal.accounts.models import User

    names = [u.username for u in User.objects.all()]
    names += [f"{t.name} {t.task} {t.description}" for t in PeriodicTask.objects.all()]
    names += [settings.TIME_ZONE, *current_app.tasks]  # the schedules' time zone, the task names
    # Random codes (shares' and QR short codes) are data: one drawn from letters alone reads as a word.
    names += list(Share.objects.values_list("code", flat=True)) + list(QRCode.objects.values_list("code", flat=True))
    return {w.lower() for name in names for w in _words(name)}


def role_user(world: World, role: str):
    return {
        "citizen": world.users["citizen"],
        "applicant": world.users["applicant"],
        "newcomer": world.users["newcomer"],
        "member": world.users["police"],
        "pending_staff": world.users["reviewer"],
        "reviewer": world.users["reviewer"],
        "supervisor": world.users["supervisor"],
        "clerk": world.users["clerk"],
    }.get(role)


def fresh_token_for(elicence) -> str:
    from licences.services import elicence_qr_issue

    return elicence_qr_issue(elicence=elicence).token


def fresh_offline_link_for(elicence) -> str:
    """What the display's QR holds: the verifier page, the signed token in its fragment."""
    from licences.links import verify_offline_path
    from licences.services import elicence_qr_issue

    return verify_offline_path(elicence_qr_issue(elicence=elicence).token)


def fresh_short_code_for(elicence) -> str:
    """What the display's QR opens: the verification page of its short code."""
    from licences.services import elicence_qr_issue

    return elicence_qr_issue(elicence=elicence).short_code


# --- the visits --------------------------------------------------------------------------------------
def visits(world: World) -> dict[str, list[Visit]]:
    def verify_qr():
        return reverse("licences:verify", args=[fresh_short_code_for(world.elicence)])

    verify_share = reverse("licences:verify_share", args=[world.share_code])
    application = reverse("reviews:application", args=[world.application_id])
    case = reverse("reviews:case", args=[world.application_id])
    public = [
        Visit("home", "/"),
        Visit("licences:verify_form", reverse("licences:verify_form")),
        Visit("licences:verify", verify_qr),
        Visit("licences:verify_share", verify_share),
        Visit("licences:verify_offline", lambda: fresh_offline_link_for(world.elicence)),
        Visit("page_not_found", "/no-such-page/", status=404),  # a mistyped or withdrawn link
    ]
    signed_in = [
        Visit("home", "/"),
        Visit("accounts:status", reverse("accounts:status")),
        Visit("licences:verify_form", reverse("licences:verify_form")),
    ]
    citizen_pages = [
        Visit("licences:my_licence", reverse("licences:my_licence")),
        Visit("reviews:applications", reverse("reviews:applications")),
        Visit("reviews:apply", reverse("reviews:apply")),
        Visit("accounts:organisation_new", reverse("accounts:organisation_new")),
        Visit("licences:verifications", reverse("licences:verifications")),
    ]
    result = {
        "anonymous": [
            *public,
            Visit("accounts:register", reverse("accounts:register")),
            Visit("accounts:login", reverse("accounts:login")),
            Visit("accounts:password_reset", reverse("accounts:password_reset")),
            Visit("accounts:password_reset_confirm", reverse("accounts:password_reset_confirm")),
            Visit("accounts:activate", reverse("accounts:activate")),
            Visit("accounts:organisation_new", reverse("accounts:organisation_new")),
            Visit("admin:login", reverse("admin:login"), expect_path=reverse("accounts:login")),  # one log-in
        ],
        "citizen": signed_in
        + [v for v in citizen_pages if v.name != "licences:verifications"]
        + [
            Visit("licences:verifications", reverse("licences:verifications"), text=[KNOWN_BEIJING]),
            Visit("licences:elicence", reverse("licences:elicence")),
            Visit("licences:shares", reverse("licences:shares")),
            Visit("licences:share_pdf", reverse("licences:share_pdf", args=[world.share_id]), kind="file"),
            Visit("licences:portrait", reverse("licences:portrait"), kind="file"),
            Visit("licences:verify_share", verify_share),
        ],
        "applicant": signed_in + citizen_pages + [Visit("reviews:application", application)],
        "newcomer": signed_in + citizen_pages + [Visit("accounts:face", reverse("accounts:face"))],
        "member": signed_in
        + [v for v in citizen_pages if v.name != "accounts:organisation_new"]
        + [
            Visit(
                "accounts:organisation_new",
                reverse("accounts:organisation_new"),
                expect_path=reverse("accounts:organisation"),  # a member already has one
            ),
            Visit("accounts:organisation", reverse("accounts:organisation")),
            Visit("licences:verify", verify_qr),
            Visit("licences:verify_share", verify_share),
            Visit("licences:verify_offline", lambda: fresh_offline_link_for(world.elicence)),
        ],
        "pending_staff": [Visit("accounts:second_factor", reverse("accounts:second_factor"))],
        "reviewer": [
            Visit("reviews:queue", reverse("reviews:queue")),
            Visit("reviews:case", case),
            Visit("reviews:staff_photo", _photo_url(world), kind="file"),
        ],
        "supervisor": [
            Visit("reviews:dashboard", reverse("reviews:dashboard")),
            Visit("reviews:queue", reverse("reviews:queue")),
            Visit("reviews:case", case),
        ],
        "clerk": [],
    }
    seen = set()  # an admin page is crawled as the first role that may open it (supervisor first)
    for role in ("supervisor", "reviewer", "clerk"):
        result[role] = [Visit("accounts:status", reverse("accounts:status"))] + result[role]
        for visit in admin_visits(role_user(world, role)):
            if visit.name == "admin:index" or (visit.name, visit.path()) not in seen:
                result[role].append(visit)
                seen.add((visit.name, visit.path()))
    return result


def _photo_url(world: World) -> str:
    from reviews.models import Photo

    photo = Photo.objects.filter(application_id=world.application_id).order_by("-uploaded_at").first()
    return reverse("reviews:staff_photo", args=[photo.pk])


def _clerk(model_admin, request, obj) -> bool:
    from portal.accounts.models import Role
    from portal.accounts.permissions import holds_role

    return holds_role(request.user, Role.COUNTER_CLERK)


# Admin views beyond a model's standard five: name -> (model, takes the object, page or file, who may).
ADMIN_EXTRA = {
    "accounts_user_find": ("accounts.user", False, "page", lambda m, r, o: m.has_view_permission(r)),
    "accounts_user_counter_registration": ("accounts.user", False, "page", _clerk),
    "licences_licence_find": ("licences.licence", False, "page", lambda m, r, o: m.has_view_permission(r)),
    "otp_totp_totpdevice_config": ("otp_totp.totpdevice", True, "page", lambda m, r, o: m.has_change_permission(r, o)),
    "otp_totp_totpdevice_qrcode": ("otp_totp.totpdevice", True, "file", lambda m, r, o: m.has_change_permission(r, o)),
}


# Change pages that differ by the kind of record (the first by primary key is a random one for UUIDs).
ADMIN_MORE_OBJECTS = {
    "accounts.user": lambda users: [
        users.filter(is_staff=True).order_by("username").first(),
        users.filter(is_staff=False, organisation__isnull=True).order_by("username").first(),
    ],
}


def admin_visits(user) -> list[Visit]:
    """The admin pages this staff member's permissions open: index, each app, and per model its list,
    add form, one object's change form, history and delete page, where allowed."""
    request = RequestFactory().get("/admin/")
    request.user = user
    found = [Visit("admin:index", reverse("admin:index"))]
    if user.has_usable_password():
        found.append(Visit("admin:password_change", reverse("admin:password_change")))
        found.append(Visit("admin:password_change_done", reverse("admin:password_change_done")))
    app_labels = set()
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        prefix = f"admin:{opts.app_label}_{opts.model_name}"
        if not model_admin.has_view_or_change_permission(request):
            continue
        app_labels.add(opts.app_label)
        found.append(Visit(f"{prefix}_changelist", reverse(f"{prefix}_changelist")))
        if model_admin.has_add_permission(request):
            found.append(Visit(f"{prefix}_add", reverse(f"{prefix}_add")))
        objects = model_admin.get_queryset(request)
        obj = objects.order_by("pk").first()
        for other in ADMIN_MORE_OBJECTS.get(opts.label_lower, lambda qs: [])(objects):
            if other is not None and other != obj:
                found.append(Visit(f"{prefix}_change", reverse(f"{prefix}_change", args=[other.pk])))
        if obj is not None:
            args = [obj.pk]
            found.append(Visit(f"{prefix}_change", reverse(f"{prefix}_change", args=args)))
            found.append(Visit(f"{prefix}_history", reverse(f"{prefix}_history", args=args)))
            if model_admin.has_delete_permission(request, obj):
                found.append(Visit(f"{prefix}_delete", reverse(f"{prefix}_delete", args=args)))
        for name, (label, takes_object, kind, may) in ADMIN_EXTRA.items():
            if label != opts.label_lower or not may(model_admin, request, obj):
                continue
            if takes_object and obj is None:
                continue
            found.append(Visit(f"admin:{name}", reverse(f"admin:{name}", args=[obj.pk] if takes_object else []), kind))
    for label in sorted(app_labels):
        found.append(Visit("admin:app_list", reverse("admin:app_list", args=[label])))
    return found


def admin_refused_to_all(world: World) -> dict[str, str]:
    """Admin URLs that no staff role's permissions open (add on a read-only model, say), with a path
    to prove it on (the first object where the URL takes one). A URL that cannot be built for want
    of an object is left out, so the coverage check asks for one in the world."""
    everyone = set()
    for role in ("reviewer", "supervisor", "clerk"):
        everyone |= {v.name for v in admin_visits(role_user(world, role))}
    refused = {}
    for model in admin.site._registry:
        opts = model._meta
        obj = model._default_manager.order_by("pk").first()
        names = [
            (f"{opts.app_label}_{opts.model_name}_{view}", view not in ("changelist", "add"))
            for view in ("changelist", "add", "change", "history", "delete")
        ]
        names += [(name, takes) for name, (label, takes, _k, _m) in ADMIN_EXTRA.items() if label == opts.label_lower]
        for name, takes_object in names:
            if f"admin:{name}" in everyone or (takes_object and obj is None):
                continue
            refused[f"admin:{name}"] = reverse(f"admin:{name}", args=[obj.pk] if takes_object else [])
    return refused


# --- what a page must not show -----------------------------------------------------------------------
def raw_values() -> set[str]:
    """Stored values people must never read: every choice value with an underscore and every photo
    problem code."""
    from reviews.photo_checks import CODES

    values = set(CODES)
    for model in apps.get_models():
        for f in model._meta.get_fields():
            for value, _label in getattr(f, "choices", None) or []:
                if isinstance(value, str) and "_" in value:
                    values.add(value)
    return values


# Latin words a Chinese page may show: abbreviations Chinese text uses, and the language menu.
LATIN_ON_ZH = {
    "PDF",
    "QR",
    "ID",
    "IP",
    "Celery",
    "crontab",
    "API",
    "CSV",
    "JPEG",
    "PNG",
    "SMS",
    "Alt",
    "English",
    "URL",
    "HTTP",
    "JSON",
}
LATIN_ON_ZH |= {"A", "B", "C", "D", "E", "F", "M", "N", "P"}  # vehicle classes (A1, C1, …) and keys
LATIN_ON_ZH |= {"m", "h", "dM", "MY", "d"}  # crontab notation in django-celery-beat's names of schedules


def zh_catalogue() -> list[str]:
    """The portal's Chinese texts long enough not to be data (to find Chinese on English pages)."""
    mo = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo"
    with mo.open("rb") as fh:
        catalogue = gettext.GNUTranslations(fh)._catalog
    return sorted(
        {v for k, v in catalogue.items() if k and isinstance(v, str) and len(re.findall(r"[\u4e00-\u9fff]", v)) >= 4}
    )


TIME_LEAKS = [
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}"), "an ISO timestamp"),
    (re.compile(r"\d{4}-\d{2}-\d{4}:\d{2}"), "a date glued to a time"),
    (re.compile(r"\+00:00|\bUTC\b"), "a UTC time"),
    (re.compile(r"\{['\"]|\[['\"]"), "a Python or JSON structure"),
]


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


def _words(text: str) -> set[str]:
    """The words of a text: runs of letters (and underscores), not parts of codes that hold digits."""
    tokens = re.findall(r"[A-Za-z0-9_]+", UUID.sub(" ", text))
    return {t for t in tokens if not any(c.isdigit() for c in t) and t.strip("_")}


def text_problems(state: dict, *, language: str, raw: set[str], data_words: set[str], zh_texts: list[str]) -> list[str]:
    problems = []
    text, prose = state["readable"], state["prose"]
    words, prose_words = _words(text), _words(prose)
    for value in sorted(raw & words):
        problems.append(f"internal value {value!r}")
    for pattern, what in TIME_LEAKS:
        match = pattern.search(text)
        if match:
            problems.append(f"{what}: {match.group(0)!r}")
    if language == "zh-hans":
        known = {w.lower() for w in LATIN_ON_ZH} | data_words
        english = sorted(w for w in prose_words if len(w) > 1 and w.lower() not in known and w not in raw)
        if english:
            problems.append(f"English words on a Chinese page: {english[:12]}")
    else:
        chinese = [t for t in zh_texts if t in prose]
        if chinese:
            problems.append(f"Chinese texts on an English page: {chinese[:5]}")
    return problems


# Collected in the page: the visible text (with the labels of buttons and the page title), the same
# without codes, keys and parts marked as another language or not to be translated (for the language
# check), and the width.
PAGE_STATE_JS = """() => {
  const language = document.documentElement.lang.slice(0, 2);
  const without = (selector, keep) => {
    const hide = [...document.querySelectorAll(selector)].filter(e => e !== document.documentElement && !keep(e));
    const saved = hide.map(e => [e, e.style.visibility]);
    saved.forEach(([e]) => e.style.visibility = 'hidden');
    const text = document.body.innerText;
    saved.forEach(([e, v]) => e.style.visibility = v);
    return text;
  };
  // Technical records for staff (translate="no"): neither labels nor language apply.
  const readable = without('[translate=no]', e => false);
  // Codes, keys and parts in another language: no language check.
  const prose = without('code, kbd, [translate=no], [lang]', e => e.lang && e.lang.slice(0, 2) === language);
  const labelled = 'input[type=submit], input[type=button], [placeholder], [aria-label], img[alt]';
  const extra = [...document.querySelectorAll(labelled)]
    .filter(e => e.offsetParent !== null || e.tagName === 'svg')
    .map(e => (['submit', 'button'].includes(e.type) && e.value) || e.getAttribute('placeholder')
              || e.getAttribute('aria-label') || e.getAttribute('alt') || '');
  return {
    text: [document.title, document.body.innerText, ...extra].join('\\n'),
    readable: [document.title, readable, ...extra].join('\\n'),
    prose: [document.title, prose, ...extra].join('\\n'),
    width: document.documentElement.scrollWidth,
    viewport: window.innerWidth,
    // Parts that scroll sideways inside the page (a table wider than the phone, say).
    scrollers: [...document.querySelectorAll('body *')]
      .filter(e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX) && e.scrollWidth > e.clientWidth + 1)
      .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : '')),
  };
}"""

AXE_RUN_JS = """async () => {
  axe.configure({noHtml: true});
  const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
  const options = {preload: false, runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']};
  const r = await axe.run(document, options);
  const where = v => v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ');
  return r.violations.map(v => `${v.id} (${v.impact}): ${where(v)}`);
}"""


def axe_source() -> str:
    return AXE.read_text()
