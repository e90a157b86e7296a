"""Canned replies: the partner writes them with placeholders; a broker picks one on a lead's page
and gets its form filled in for that lead (a message, the brochure, or site-visit times)."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from app.extensions import db
from app.models import CannedReply, Project
from tests.portal_helpers import make_user
from tests.test_broker_portal import Portal, make_lead, text


def partner_portal(app_ctx) -> Portal:
    make_user("priya@partner.example", role="partner", name="Priya Partner")
    db.session.commit()
    return Portal(app_ctx, "priya@partner.example")


def textarea(page: str) -> str:
    match = re.search(r'<textarea id="message-text"[^>]*>(.*?)</textarea>', page, re.S)
    assert match, page[:2000]
    return html.unescape(match.group(1))


def test_the_partner_adds_edits_and_deletes_a_reply(app_ctx):
    partner = partner_portal(app_ctx)
    assert "Canned replies" in text(partner.get("/partner/replies"))

    added = partner.post(
        "/partner/replies",
        {"title": "Price list", "kind": "text", "body": "Hi {name}, {project} prices follow."},
    )
    assert added.status_code == 303
    reply = db.session.scalar(select(CannedReply).where(CannedReply.title == "Price list"))
    assert reply.body == "Hi {name}, {project} prices follow." and reply.kind == "text"

    edited = partner.post(
        f"/partner/replies/{reply.id}", {"title": "Price list", "kind": "brochure", "body": "Hi {name}."}
    )
    assert edited.status_code == 303
    db.session.refresh(reply)
    assert reply.kind == "brochure" and reply.body == "Hi {name}."

    reply_id = reply.id
    assert partner.post(f"/partner/replies/{reply_id}/delete").status_code == 303
    db.session.expunge(reply)
    assert db.session.get(CannedReply, reply_id) is None


def test_a_reply_with_an_unknown_placeholder_or_a_taken_title_is_refused(app_ctx):
    partner = partner_portal(app_ctx)
    db.session.add(CannedReply(title="Call me back", kind="text", body="When can I call?"))
    db.session.commit()

    unknown = partner.post("/partner/replies", {"title": "Hello", "kind": "text", "body": "Hi {nickname}"})
    page = text(unknown)
    assert unknown.status_code == 422 and "Unknown placeholder {nickname}" in page
    assert "Hi {nickname}" in html.unescape(page)  # what was typed, to fix
    taken = partner.post("/partner/replies", {"title": "call me BACK", "kind": "text", "body": "Hi"})
    assert taken.status_code == 422 and "Another canned reply has this title" in text(taken)
    too_long = partner.post("/partner/replies", {"title": "Visit", "kind": "site_visit", "body": "x" * 1025})
    assert too_long.status_code == 422 and "1,024 characters" in text(too_long)
    assert db.session.scalar(select(CannedReply.id).where(CannedReply.title == "Hello")) is None


def test_the_broker_picks_a_reply_and_gets_it_filled_for_the_lead(app_ctx):
    broker = make_user("ravi@agency.example", name="Ravi Anand")
    project = Project(name="Saffron Ridge", slug="saffron-ridge")
    db.session.add(project)
    db.session.flush()
    lead = make_lead(
        name="dr. meera kapoor", stage="broker_requested", broker_id=broker.id, project_id=project.id
    )
    call = CannedReply(title="Call me back", kind="text", body="Hello {name}, {broker} here about {project}.")
    visit = CannedReply(title="Site visit", kind="site_visit", body="Visit {project}? Pick a time.")
    brochure = CannedReply(title="Brochure", kind="brochure", body="The {project} brochure, {name}.")
    db.session.add_all([call, visit, brochure])
    db.session.commit()
    portal = Portal(app_ctx, broker.email)

    page = text(portal.get(f"/broker/leads/{lead.id}"))
    assert '<select id="canned-reply" name="reply">' in page and "Call me back" in page
    filled = text(portal.get(f"/broker/leads/{lead.id}/compose?reply={call.id}", htmx=True))
    assert filled.lstrip().startswith('<div id="composer"') and "<html" not in filled
    assert textarea(filled) == "Hello Meera, Ravi Anand here about Saffron Ridge."

    times = text(portal.get(f"/broker/leads/{lead.id}/compose?reply={visit.id}", htmx=True))
    assert (
        textarea(times) == "Visit Saffron Ridge? Pick a time." and times.count('type="datetime-local"') == 3
    )
    pdf = text(portal.get(f"/broker/leads/{lead.id}/compose?reply={brochure.id}", htmx=True))
    assert "No project has a brochure PDF yet" in pdf  # nothing ingested as a PDF here

    # Without JavaScript the picker is a plain GET of the lead's page.
    plain = text(portal.get(f"/broker/leads/{lead.id}?reply={call.id}"))
    assert textarea(plain) == "Hello Meera, Ravi Anand here about Saffron Ridge."
    assert portal.get(f"/broker/leads/{lead.id}/compose?reply=99999999999999").status_code == 200


def test_a_lead_without_a_name_or_project_reads_naturally(app_ctx):
    broker = make_user("ravi@agency.example", name="Ravi Anand")
    lead = make_lead(name=None, stage="broker_requested", broker_id=broker.id)
    reply = CannedReply(title="Hi", kind="text", body="Hello {name}, about {project} ({reference}).")
    db.session.add(reply)
    db.session.commit()
    page = text(
        Portal(app_ctx, broker.email).get(f"/broker/leads/{lead.id}/compose?reply={reply.id}", htmx=True)
    )
    assert textarea(page) == "Hello there, about the project (your enquiry)."


def test_a_refused_offer_keeps_the_chosen_reply_and_what_was_typed(app_ctx, owner):
    lead = make_lead(stage="broker_requested", broker_id=owner.id)  # never wrote: no 24-hour window
    visit = CannedReply(title="Site visit", kind="site_visit", body="Visit {project}?")
    db.session.add(visit)
    db.session.commit()
    portal = Portal(app_ctx, owner.email)
    form = {
        "text": "Visit on Sunday?",
        "slot": ["2030-01-04T11:00", "2030-01-05T11:00"],
        "reply": str(visit.id),
    }
    response = portal.post(f"/broker/leads/{lead.id}/visit", form, htmx=True)
    page = text(response)
    assert response.status_code == 422 and "within 24 hours" in page
    assert f'<option value="{visit.id}" selected>Site visit</option>' in page
    assert textarea(page) == "Visit on Sunday?" and 'value="2030-01-04T11:00"' in page


def test_a_lead_whose_project_has_no_pdf_gets_no_other_projects_brochure_by_default(app_ctx, owner, runner):
    from app.cli import main

    runner.invoke(main, ["demo", "load"])  # a project with a brochure PDF
    other = Project(name="Teak Court", slug="teak-court")
    db.session.add(other)
    db.session.flush()
    lead = make_lead(stage="broker_requested", broker_id=owner.id, project_id=other.id)
    brochure = CannedReply(title="Brochure", kind="brochure", body="The brochure, {name}.")
    db.session.add(brochure)
    db.session.commit()
    page = text(
        Portal(app_ctx, owner.email).get(f"/broker/leads/{lead.id}/compose?reply={brochure.id}", htmx=True)
    )
    assert '<option value="">Choose the project…</option>' in page
    assert "selected" not in page.split('id="brochure-project"', 1)[1].split("</select>", 1)[0]
