"""The broker's inbox: the leads they hold, newest conversation first, with the investor's
messages the broker has not opened counted; opening the lead (or its polled conversation)
reads them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from app.extensions import db
from app.models import Lead
from tests.portal_helpers import investor_wrote, make_user
from tests.test_broker_portal import Portal, make_lead, text


def held_by(broker, name: str, claimed_minutes_ago: int = 60) -> Lead:
    """A lead ``broker`` claimed a while ago."""
    claimed_at = datetime.now(UTC) - timedelta(minutes=claimed_minutes_ago)
    return make_lead(name=name, stage="broker_requested", broker_id=broker.id, claimed_at=claimed_at)


def wrote(lead: Lead, body: str, minutes_ago: float = 0) -> None:
    message = investor_wrote(lead.id, lead.phone, body)
    message.created_at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    db.session.commit()


def rows(page: str) -> list[tuple[str, str]]:
    """(lead name, unread badge or "") per inbox row, in order."""
    found = re.findall(r'<li id="inbox-lead-\d+"[^>]*>.*?<strong>([^<]+)</strong>(.*?)</li>', page, re.S)
    return [(name, (re.search(r"(\d+) new", rest) or [None, ""])[1]) for name, rest in found]


def test_the_inbox_lists_the_brokers_conversations_newest_first_with_unread_counts(app_ctx):
    ravi = make_user("ravi@agency.example", name="Ravi Anand")
    other = make_user("meera@agency.example", name="Meera Das")
    kavya, rohan = held_by(ravi, "Kavya Rao"), held_by(ravi, "Rohan Gill")
    someone_elses = held_by(other, "Tara Sen")
    wrote(kavya, "Is the 4 BHK east facing?", minutes_ago=30)
    wrote(kavya, "And the maintenance charge?", minutes_ago=20)
    wrote(rohan, "Can we visit on Sunday?", minutes_ago=10)
    wrote(someone_elses, "Hello?", minutes_ago=5)
    # Before the claim the bot had the conversation: not the broker's unread.
    wrote(rohan, "What is the price?", minutes_ago=90)

    portal = Portal(app_ctx, ravi.email)
    page = text(portal.get("/broker/inbox"))
    assert rows(page) == [("Rohan Gill", "1"), ("Kavya Rao", "2")]
    assert "Tara Sen" not in page and "Can we visit on Sunday?" in page

    wrote(kavya, "Please call after 6 pm.")
    fragment = text(portal.get("/broker/inbox", htmx=True))
    assert fragment.lstrip().startswith('<div id="inbox"') and "<html" not in fragment
    assert rows(fragment) == [("Kavya Rao", "3"), ("Rohan Gill", "1")]


def test_opening_the_lead_or_its_polled_conversation_reads_its_messages(app_ctx):
    ravi = make_user("ravi@agency.example", name="Ravi Anand")
    kavya = held_by(ravi, "Kavya Rao")
    wrote(kavya, "Is the 4 BHK east facing?", minutes_ago=2)
    stamped = datetime(2026, 1, 1, tzinfo=UTC)
    db.session.execute(update(Lead).where(Lead.id == kavya.id).values(updated_at=stamped))
    db.session.commit()
    portal = Portal(app_ctx, ravi.email)
    badge = text(portal.get("/broker/badge"))
    assert re.search(r'id="inbox-badge" hx-swap-oob="true" class="badge"[^>]*>1<', badge)

    assert portal.get(f"/broker/leads/{kavya.id}").status_code == 200
    assert rows(text(portal.get("/broker/inbox"))) == [("Kavya Rao", "")]
    assert re.search(r'id="inbox-badge" hx-swap-oob="true">\s*<', text(portal.get("/broker/badge")))
    db.session.refresh(kavya)
    assert kavya.updated_at == stamped  # reading is not an edit Airtable should see as newer

    wrote(kavya, "Also the parking?")
    assert rows(text(portal.get("/broker/inbox"))) == [("Kavya Rao", "1")]
    # A poll from a page in a background tab (no seen=1) reads nothing; one in front does.
    assert portal.get(f"/broker/leads/{kavya.id}/conversation", htmx=True).status_code == 200
    assert rows(text(portal.get("/broker/inbox"))) == [("Kavya Rao", "1")]
    assert portal.get(f"/broker/leads/{kavya.id}/conversation?seen=1", htmx=True).status_code == 200
    assert rows(text(portal.get("/broker/inbox"))) == [("Kavya Rao", "")]


def test_a_broker_with_no_leads_is_pointed_at_the_pool(app_ctx):
    ravi = make_user("ravi@agency.example", name="Ravi Anand")
    page = text(Portal(app_ctx, ravi.email).get("/broker/inbox"))
    assert "No conversations yet" in page and 'href="/broker/"' in page


def test_the_inbox_pages_through_many_leads_and_a_page_past_the_end_is_the_last(app_ctx):
    ravi = make_user("ravi@agency.example", name="Ravi Anand")
    for n in range(27):
        held_by(ravi, f"Investor {n:02d}", claimed_minutes_ago=n + 1)
    portal = Portal(app_ctx, ravi.email)
    first = text(portal.get("/broker/inbox"))
    assert len(rows(first)) == 25 and "Page 1 of 2" in first
    assert rows(first)[0][0] == "Investor 00"  # no messages: the latest claim first
    last = text(portal.get("/broker/inbox?page=9"))
    assert [name for name, _ in rows(last)] == ["Investor 25", "Investor 26"] and "Page 2 of 2" in last
