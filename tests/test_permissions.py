"""Who may do what in the portal: every broker and partner URL (and logout) for an anonymous
visitor, broker A, broker B and the partner, against a table of expected answers written out
below rather than learned from the responses. Refused POSTs must change nothing, POSTs without
a CSRF token are refused, and a broker never sees the phone of a lead they have not claimed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app.channels.phones import mask_phone
from app.extensions import db
from app.models import (
    Activity,
    CannedReply,
    Deal,
    Fact,
    IngestJob,
    Lead,
    Notification,
    OutboxEvent,
    Project,
    RevenueTarget,
    User,
)
from app.portal.deals import DealForm, log_deal
from app.portal.pipeline import claim_lead
from tests.portal_helpers import PASSWORD, csrf_token, login
from tests.test_broker_portal import make_lead

ANONYMOUS, BROKER_A, BROKER_B, PARTNER = "anonymous", "broker_a", "broker_b", "partner"
ROLES = (ANONYMOUS, BROKER_A, BROKER_B, PARTNER)
EMAILS = {
    BROKER_A: "anil@brokers.example",
    BROKER_B: "sunil@brokers.example",
    PARTNER: "priya@partner.example",
}
HOMES = {BROKER_A: "/broker/", BROKER_B: "/broker/", PARTNER: "/partner/"}
# Expected answers besides plain status codes:
LOGIN = "302 to /login"  # sent to the login page
TAKEN = "303 to /broker/"  # another broker holds the lead: back to the pool, with a message
# Answers that refuse the request; a refused POST must leave the database as it was.
REFUSED = {400, 401, 403, 404, 405, 409, 422}
# The matrix logs in about a hundred times; the accounts' real scrypt hash costs ~0.4 s a check,
# so they carry a cheap hash. The login form and check_password run exactly as in production.
FAST_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


class Row(NamedTuple):
    """One portal URL: its method and endpoint, what its URL names, the form it posts (a key of
    FORMS), and what an anonymous visitor, broker A, broker B and the partner get, in that order."""

    method: str
    endpoint: str
    subject: str  # a key of World.ids, or "" for URLs that name nothing
    form: str
    expected: tuple[str | int, str | int, str | int, str | int]


DEAL = {"project": "Trevoc 56", "unit_type": "4 BHK", "value": "5 Cr"}
FORMS = {
    "": {},
    "contacted": {"stage": "contacted"},
    "visit, no date": {"stage": "site_visit"},
    "note": {"note": "Wants a high floor"},
    "pause": {"paused": "1"},
    "message": {"text": "I can call you at 5."},
    "deal": DEAL,
    "new broker": {
        "name": "Kabir Broker",
        "email": "kabir@brokers.example",
        "password": "a long enough password",
        "max_active_leads": "5",
        "areas": "Golf Course Road",
    },
    "bad broker": {"email": "kabir@", "password": "short"},
    "rename": {"name": "Sunil K", "max_active_leads": "12"},
    "target": {"month": "2026-11", "amount": "25 L"},
    "bad target": {"month": "soon", "amount": "lots"},
    "to broker B": {"broker_id": "{broker_b}"},
    "to nobody": {"broker_id": "999999"},
    "void": {"reason": "The buyer withdrew"},
    "aliases": {"aliases": "Lotus", "city": "Gurugram", "locality": "Sector 90", "developer": ""},
    "confirm": {"action": "confirm", "value": "RC/REP/TEST/1"},
    "visit": {"text": "Would one of these suit you?", "slot": ["2030-01-04T11:00", "2030-01-05T16:30"]},
    "canned": {
        "title": "Price list",
        "kind": "text",
        "body": "Hello {{name}}, the {{project}} price list follows.",
    },
    "bad canned": {"title": "", "kind": "text", "body": "Hello {{nickname}}"},
}

# Subjects: a_lead (broker A holds it, open), b_lead (broker B holds it), pool_lead (nobody holds
# it), won_lead (broker A's, won with a deal), broker_b (broker B's account), partner (the
# partner's account, which the broker pages of the partner portal must not touch).
# fmt: off
MATRIX = [
    #   method  endpoint                     subject      form              anonymous, A, B, partner
    Row("GET",  "broker.pool",               "",          "",               (LOGIN, 200, 200, 403)),
    Row("GET",  "broker.badge",              "",          "",               (LOGIN, 200, 200, 403)),
    Row("GET",  "broker.my_leads",           "",          "",               (LOGIN, 200, 200, 403)),
    Row("GET",  "broker.notifications",      "",          "",               (LOGIN, 200, 200, 403)),
    Row("GET",  "broker.inbox",              "",          "",               (LOGIN, 200, 200, 403)),
    Row("GET",  "broker.lead_detail",        "a_lead",    "",               (LOGIN, 200, 404, 403)),
    Row("GET",  "broker.lead_detail",        "b_lead",    "",               (LOGIN, 404, 200, 403)),
    Row("GET",  "broker.lead_detail",        "pool_lead", "",               (LOGIN, 200, 200, 403)),
    Row("GET",  "broker.lead_detail",        "won_lead",  "",               (LOGIN, 200, 404, 403)),
    Row("POST", "broker.claim",              "pool_lead", "",               (LOGIN, 303, 303, 403)),
    Row("POST", "broker.claim",              "a_lead",    "",               (LOGIN, 303, TAKEN, 403)),
    Row("POST", "broker.release",            "a_lead",    "",               (LOGIN, 303, 404, 403)),
    Row("POST", "broker.move_stage",         "a_lead",    "contacted",      (LOGIN, 303, 404, 403)),
    Row("POST", "broker.move_stage",         "a_lead",    "visit, no date", (LOGIN, 422, 404, 403)),
    Row("POST", "broker.move_stage",         "pool_lead", "contacted",      (LOGIN, 404, 404, 403)),
    Row("POST", "broker.add_note",           "a_lead",    "note",           (LOGIN, 303, 404, 403)),
    Row("POST", "broker.set_assistant",      "a_lead",    "pause",          (LOGIN, 303, 404, 403)),
    Row("GET",  "broker.conversation",       "a_lead",    "",               (LOGIN, 200, 404, 403)),
    Row("POST", "broker.write_message",      "pool_lead", "message",        (LOGIN, 404, 404, 403)),
    Row("GET",  "broker.compose",            "a_lead",    "",               (LOGIN, 200, 404, 403)),
    Row("POST", "broker.send_brochure",      "a_lead",    "message",        (LOGIN, 303, 404, 403)),
    Row("POST", "broker.offer_visit",        "a_lead",    "visit",          (LOGIN, 303, 404, 403)),
    Row("POST", "broker.log_deal",           "a_lead",    "deal",           (LOGIN, 303, 404, 403)),
    Row("POST", "broker.log_deal",           "won_lead",  "deal",           (LOGIN, 422, 404, 403)),
    Row("POST", "broker.edit_deal",          "deal",      "deal",           (LOGIN, 303, 404, 403)),
    Row("POST", "broker.void_deal",          "deal",      "void",           (LOGIN, 303, 404, 403)),
    Row("GET",  "partner.dashboard",         "",          "",               (LOGIN, 403, 403, 200)),
    Row("GET",  "partner.leads",             "",          "",               (LOGIN, 403, 403, 200)),
    Row("GET",  "partner.leads_csv",         "",          "",               (LOGIN, 403, 403, 200)),
    Row("GET",  "partner.lead_detail",       "a_lead",    "",               (LOGIN, 403, 403, 200)),
    Row("GET",  "partner.deals",             "",          "",               (LOGIN, 403, 403, 200)),
    Row("GET",  "partner.deals_csv",         "",          "",               (LOGIN, 403, 403, 200)),
    Row("GET",  "partner.brokers",           "",          "",               (LOGIN, 403, 403, 200)),
    Row("GET",  "partner.new_broker",        "",          "",               (LOGIN, 403, 403, 200)),
    Row("GET",  "partner.edit_broker",       "broker_b",  "",               (LOGIN, 403, 403, 200)),
    Row("GET",  "partner.edit_broker",       "partner",   "",               (LOGIN, 403, 403, 404)),
    Row("POST", "partner.new_broker",        "",          "new broker",     (LOGIN, 403, 403, 200)),
    Row("POST", "partner.new_broker",        "",          "bad broker",     (LOGIN, 403, 403, 422)),
    Row("POST", "partner.edit_broker",       "broker_b",  "rename",         (LOGIN, 403, 403, 302)),
    Row("POST", "partner.deactivate_broker", "broker_b",  "",               (LOGIN, 403, 403, 302)),
    Row("POST", "partner.deactivate_broker", "partner",   "",               (LOGIN, 403, 403, 404)),
    Row("POST", "partner.reactivate_broker", "broker_b",  "",               (LOGIN, 403, 403, 302)),
    Row("POST", "partner.set_target",        "",          "target",         (LOGIN, 403, 403, 302)),
    Row("POST", "partner.set_target",        "",          "bad target",     (LOGIN, 403, 403, 422)),
    Row("POST", "partner.assign",            "a_lead",    "to broker B",    (LOGIN, 403, 403, 302)),
    Row("POST", "partner.assign",            "a_lead",    "to nobody",      (LOGIN, 403, 403, 422)),
    Row("GET",  "partner.sync",              "",          "",               (LOGIN, 403, 403, 200)),
    Row("GET",  "partner.replies",           "",          "",               (LOGIN, 403, 403, 200)),
    Row("GET",  "partner.audit",             "",          "",               (LOGIN, 403, 403, 200)),
    Row("GET",  "partner.unanswered",        "",          "",               (LOGIN, 403, 403, 200)),
    Row("GET",  "partner.projects",          "",          "",               (LOGIN, 403, 403, 200)),
    Row("POST", "partner.edit_project",      "project",   "aliases",        (LOGIN, 403, 403, 303)),
    Row("POST", "partner.archive_project",   "project",   "",               (LOGIN, 403, 403, 303)),
    Row("GET",  "partner.project_facts",     "project",   "",               (LOGIN, 403, 403, 200)),
    Row("GET",  "partner.page_preview",      "project",   "",               (LOGIN, 403, 403, 404)),
    Row("POST", "partner.review_fact",       "project",   "confirm",        (LOGIN, 403, 403, 303)),
    Row("GET",  "partner.upload_brochure",   "",          "",               (LOGIN, 403, 403, 200)),
    Row("POST", "partner.upload_brochure_post", "",       "",               (LOGIN, 403, 403, 422)),
    Row("GET",  "partner.upload_progress",   "upload",    "",               (LOGIN, 403, 403, 200)),
    Row("POST", "partner.answer_unanswered", "",          "",               (LOGIN, 403, 403, 422)),
    Row("POST", "partner.invite_broker",     "broker_b",  "",               (LOGIN, 403, 403, 200)),
    Row("POST", "partner.invite_broker",     "partner",   "",               (LOGIN, 403, 403, 404)),
    Row("POST", "partner.new_reply",         "",          "canned",         (LOGIN, 403, 403, 303)),
    Row("POST", "partner.new_reply",         "",          "bad canned",     (LOGIN, 403, 403, 422)),
    Row("POST", "partner.edit_reply",        "canned",    "canned",         (LOGIN, 403, 403, 303)),
    Row("POST", "partner.delete_reply",      "canned",    "",               (LOGIN, 403, 403, 303)),
    Row("GET",  "partner.airtable_guide",    "",          "",               (LOGIN, 403, 403, 200)),
    Row("POST", "partner.retry_sync",        "",          "",               (LOGIN, 403, 403, 302)),
    Row("POST", "auth.logout",               "",          "",               (LOGIN, LOGIN, LOGIN, LOGIN)),
]
# fmt: on


def _row_id(row: Row) -> str:
    return " ".join(part for part in (row.method, row.endpoint, row.subject, row.form) if part)


CASES = [
    pytest.param(row, role, expected, id=f"{role}: {_row_id(row)}")
    for row in MATRIX
    for role, expected in zip(ROLES, row.expected, strict=True)
]
POSTS = [pytest.param(row, id=_row_id(row)) for row in MATRIX if row.method == "POST"]


# -- the accounts and leads every case starts from ------------------------------------------------


@dataclass(frozen=True)
class World:
    """Ids of what the URLs name, and the phones of the leads."""

    ids: dict[str, int]
    phones: dict[str, str]


def account(role: str, **fields) -> User:
    email = EMAILS[role]
    user = User(email=email, role=role.split("_")[0], name=email.split("@")[0].title(), **fields)
    user.password_hash = FAST_HASH
    db.session.add(user)
    db.session.flush()
    return user


@pytest.fixture
def world(app_ctx) -> World:
    """The partner, brokers A and B, and a lead in each state the URLs name, committed (a view's
    own rollback keeps them)."""
    partner = account(PARTNER)
    broker_a = account(BROKER_A, areas=["Golf Course Road"])
    broker_b = account(BROKER_B, areas=["Golf Course Road"])
    keys = ("a_lead", "b_lead", "pool_lead", "won_lead")
    leads = {key: make_lead(f"Investor {key}", "broker_requested") for key in keys}
    claim_lead(db.session, leads["a_lead"].id, broker_a)
    claim_lead(db.session, leads["b_lead"].id, broker_b)
    claim_lead(db.session, leads["won_lead"].id, broker_a)
    deal = log_deal(db.session, leads["won_lead"], broker_a, DealForm(**DEAL), app_ctx.config)
    db.session.commit()
    ids = {key: lead.id for key, lead in leads.items()}
    # A project with one fact whose id is the project's, so one id names both in the fact's URL.
    project = Project(name="Lotus Heights", slug="lotus-heights")
    db.session.add(project)
    db.session.flush()
    db.session.add(
        Fact(id=project.id, project_id=project.id, key="rera_number", value="RC/1", origin="extracted")
    )
    reply = CannedReply(title="Call me back", kind="text", body="Hello {name}, when can I call?")
    db.session.add(reply)
    db.session.commit()
    ids |= {"broker_b": broker_b.id, "partner": partner.id, "deal": deal.id, "canned": reply.id}
    ids["project"] = project.id
    upload = IngestJob(project_name="Lotus Heights", filename="lotus.pdf", size_bytes=5, content=b"%PDF-")
    db.session.add(upload)
    db.session.commit()
    ids["upload"] = upload.id
    return World(ids=ids, phones={key: lead.phone for key, lead in leads.items()})


def portal_state() -> tuple:
    """Everything a portal POST could change, read fresh from the database."""
    queries = (
        select(Lead.id, Lead.broker_id, Lead.claimed_at, Lead.pipeline, Lead.site_visit_on, Lead.lost_reason),
        select(User.id, User.name, User.phone, User.active, User.areas, User.max_active_leads),
        select(User.id, User.password_hash),
        select(CannedReply.id, CannedReply.title, CannedReply.body, CannedReply.kind),
        select(Deal.id, Deal.lead_id, Deal.deal_value),
        select(Activity.id),
        select(OutboxEvent.id),
        select(Notification.id, Notification.read_at),
        select(RevenueTarget.month, RevenueTarget.target),
    )
    return tuple(
        tuple(db.session.execute(query.order_by(*query.selected_columns)).all()) for query in queries
    )


def url_for_row(app, row: Row, world: World) -> str:
    """The row's URL with its subject's id in every URL argument (``lead_id``, ``broker_id``…)."""
    [rule] = [r for r in app.url_map.iter_rules(row.endpoint) if row.method in r.methods]
    assert not rule.arguments or row.subject in world.ids, (
        f"{row.endpoint} needs an id: set the row's subject"
    )
    return app.url_map.bind("localhost").build(
        row.endpoint, dict.fromkeys(rule.arguments, world.ids.get(row.subject))
    )


def form_for_row(row: Row, world: World) -> dict[str, str | list[str]]:
    return {
        name: value.format(**world.ids) if isinstance(value, str) else value
        for name, value in FORMS[row.form].items()
    }


def log_in_as(client, role: str) -> str:
    """Log ``role`` in (anonymous stays out) and return the CSRF token its forms carry."""
    if role == ANONYMOUS:
        return csrf_token(client, "/login")
    response = login(client, EMAILS[role])
    assert response.status_code == 302, f"{role} could not log in: {response.status_code}"
    return csrf_token(client, HOMES[role])


def redirect_path(response) -> str:
    return urlsplit(response.location).path


# -- the tests --------------------------------------------------------------------------------------


def test_the_matrix_covers_every_portal_url(app):
    routes = {
        (method, rule.endpoint)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(("broker.", "partner.")) or rule.endpoint == "auth.logout"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes == {(row.method, row.endpoint) for row in MATRIX}, "add the new URL to MATRIX"


@pytest.mark.parametrize(("row", "role", "expected"), CASES)
def test_permission(app_ctx, client, world, row: Row, role: str, expected):
    token = log_in_as(client, role)
    url = url_for_row(app_ctx, row, world)
    before = portal_state()

    if row.method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data={**form_for_row(row, world), "csrf_token": token})

    answer = f"{role}: {row.method} {url} answered {response.status_code} {response.location or ''}"
    if expected == LOGIN:
        assert (response.status_code, redirect_path(response)) == (302, "/login"), answer
    elif expected == TAKEN:
        assert (response.status_code, redirect_path(response)) == (303, "/broker/"), answer
    else:
        assert response.status_code == expected, f"{answer}\n{response.get_data(as_text=True)[:800]}"
    refused = role == ANONYMOUS or expected == TAKEN or expected in REFUSED
    if row.method == "POST" and refused:
        assert portal_state() == before, f"{answer} but changed the database"
    if row.endpoint == "auth.logout" and role != ANONYMOUS:
        assert redirect_path(client.get(HOMES[role])) == "/login", "still logged in after logging out"


@pytest.mark.parametrize("row", POSTS)
@pytest.mark.parametrize("role", [ANONYMOUS, BROKER_A])
def test_a_post_without_csrf_token_is_refused(app_ctx, client, world, row: Row, role: str):
    if role != ANONYMOUS:
        log_in_as(client, role)  # anonymous has no session at all
    before = portal_state()

    response = client.post(url_for_row(app_ctx, row, world), data=form_for_row(row, world))

    assert response.status_code == 400, response.get_data(as_text=True)[:800]
    assert portal_state() == before


def _unmasked(phone: str) -> re.Pattern:
    """The phone's national digits in a row, as E.164 or with spaces or dashes between them."""
    national = phone.removeprefix("+91")
    return re.compile(r"[\s-]?".join(national) + r"(?!\d)")


def test_a_broker_never_sees_the_phone_of_a_lead_they_have_not_claimed(app_ctx, client, world):
    # a second page of the pool
    more = [make_lead(f"Pool investor {n}", "broker_requested") for n in range(26)]
    db.session.commit()
    log_in_as(client, BROKER_B)
    not_theirs = [world.phones[key] for key in ("a_lead", "pool_lead", "won_lead")] + [x.phone for x in more]
    htmx = {"HX-Request": "true"}
    token = csrf_token(client, "/broker/")
    claimed_by_a = f"/broker/leads/{world.ids['a_lead']}/claim"
    responses = {
        "pool": client.get("/broker/"),
        "pool page 2": client.get("/broker/?page=2"),
        "pool fragment": client.get("/broker/?area=Golf+Course+Road&timeline=1-3+months", headers=htmx),
        "pool by budget": client.get("/broker/?min_budget=3"),
        "pool lead": client.get(f"/broker/leads/{world.ids['pool_lead']}"),
        "A's lead": client.get(f"/broker/leads/{world.ids['a_lead']}"),
        "badge": client.get("/broker/badge"),
        "my leads": client.get("/broker/my-leads"),
        "notifications": client.get("/broker/notifications"),
        "claim refused": client.post(claimed_by_a, headers={**htmx, "X-CSRFToken": token}),
        "pool after claim refused": client.post(
            claimed_by_a, data={"csrf_token": token}, follow_redirects=True
        ),
    }

    statuses = {name: response.status_code for name, response in responses.items()}
    assert statuses == {**dict.fromkeys(responses, 200), "A's lead": 404, "claim refused": 409}
    bodies = {name: response.get_data(as_text=True) for name, response in responses.items()}
    for name, body in bodies.items():
        for phone in not_theirs:
            assert not _unmasked(phone).search(body), f"{name} shows {phone} unmasked"
    # The pool does list those leads, masked; B's own lead shows its phone (so the check can see one).
    pool = bodies["pool"] + bodies["pool page 2"]
    assert all(mask_phone(phone) in pool for phone in [world.phones["pool_lead"], *(x.phone for x in more)])
    assert mask_phone(world.phones["pool_lead"]) in bodies["pool lead"]
    assert _unmasked(world.phones["b_lead"]).search(bodies["my leads"])


def test_a_deactivated_broker_loses_their_session_at_once(app_ctx, client, world):
    token = log_in_as(client, BROKER_B)
    partner = app_ctx.test_client()
    partner_token = log_in_as(partner, PARTNER)
    before = portal_state()
    deactivate = f"/partner/brokers/{world.ids['broker_b']}/deactivate"
    assert partner.post(deactivate, data={"csrf_token": partner_token}).status_code == 302
    deactivated = portal_state()
    assert deactivated != before

    page = client.get("/broker/")
    claim = client.post(f"/broker/leads/{world.ids['pool_lead']}/claim", data={"csrf_token": token})

    assert (page.status_code, redirect_path(page)) == (302, "/login")
    assert (claim.status_code, redirect_path(claim)) == (302, "/login")
    assert portal_state() == deactivated
