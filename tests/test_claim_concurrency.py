"""Twenty brokers claim one lead at the same moment over real HTTP: exactly one wins."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx2 as httpx
import pytest
from sqlalchemy import delete, func, select
from werkzeug.serving import make_server

from app.extensions import db
from app.models import Activity, Lead, OutboxEvent, User
from app.portal.accounts import create_user
from tests.portal_helpers import PASSWORD

BROKERS = 20
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def live_server(app):
    """The app served by a threaded HTTP server on 127.0.0.1 (requests run concurrently)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def committed_lead_and_brokers(app):
    """A pool lead and twenty brokers, committed (each HTTP request has its own transaction)."""
    with app.app_context():
        brokers = [
            create_user(db.session, f"race{n}@example.com", "broker", f"Racer {n}", PASSWORD)
            for n in range(BROKERS)
        ]
        lead = Lead(
            phone="+919899900001",
            name="Contested Lead",
            stage="broker_requested",
            areas=["Any"],
            timeline="immediate",
            unit_kinds=["4BHK"],
            budget_min_inr=50_000_000,
        )
        db.session.add(lead)
        db.session.commit()
        ids = (lead.id, [b.email for b in brokers])
    yield ids
    with app.app_context():
        db.session.execute(delete(OutboxEvent).where(OutboxEvent.aggregate_id == ids[0]))
        db.session.execute(delete(Lead).where(Lead.id == ids[0]))
        db.session.execute(delete(User).where(User.email.in_(ids[1])))
        db.session.commit()


def _logged_in(base: str, email: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base, timeout=30)
    token = CSRF_RE.search(client.get("/login").text).group(1)
    response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.text
    return client, CSRF_RE.search(client.get("/broker/").text).group(1)


def test_twenty_parallel_claims_have_exactly_one_winner(app, live_server, committed_lead_and_brokers):
    lead_id, emails = committed_lead_and_brokers
    sessions = [_logged_in(live_server, email) for email in emails]
    start = threading.Barrier(BROKERS)

    def claim(session: tuple[httpx.Client, str]) -> int:
        client, token = session
        start.wait()
        response = client.post(
            f"/broker/leads/{lead_id}/claim", headers={"X-CSRFToken": token, "HX-Request": "true"}
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=BROKERS) as pool:
        statuses = list(pool.map(claim, sessions))
    for client, _ in sessions:
        client.close()

    assert sorted(statuses) == [200] + [409] * (BROKERS - 1), statuses
    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        assert lead.broker_id is not None and lead.claimed_at is not None
        claims = db.session.scalar(
            select(func.count())
            .select_from(Activity)
            .where(Activity.lead_id == lead_id, Activity.kind == "claimed")
        )
        assert claims == 1
