"""A lead asking for a broker reaches the matching brokers: in the portal and on WhatsApp."""

from sqlalchemy import select

from app.extensions import db
from app.models import Lead, Message, Notification
from tests.portal_helpers import make_user
from tests.test_broker_portal import make_lead
from workers.tasks import notify_brokers


def test_matching_brokers_are_notified_once_in_the_portal_and_on_whatsapp(app_ctx):
    golf = make_user("golf@example.com", areas=["Golf Course Road"], phone="+919811100001")
    make_user("noida@example.com", areas=["Noida Sector 150"], phone="+919811100002")
    lead = make_lead(
        stage="broker_requested", phone="+919822200001", reference="IC-777777", unit_kinds=["4BHK"]
    )

    assert notify_brokers(lead.id) == 1
    notes = db.session.scalars(select(Notification).where(Notification.lead_id == lead.id)).all()
    assert [n.user_id for n in notes] == [golf.id]
    assert "IC-777777" in notes[0].body and "₹3 Cr – ₹5 Cr" in notes[0].body
    message = db.session.scalars(select(Message).where(Message.phone == "+919811100001")).one()
    assert message.status == "recorded"  # no WhatsApp credentials in tests: recorded, not sent
    assert "Golf Course Road" in message.body

    assert notify_brokers(lead.id) == 0  # a retried job notifies nobody twice


def test_a_claimed_lead_notifies_nobody(app_ctx):
    make_user("any@example.com", areas=[])
    broker = make_user("owner@example.com")
    lead = Lead(phone="+919822200002", stage="broker_requested", areas=["Any"], broker_id=broker.id)
    db.session.add(lead)
    db.session.flush()
    assert notify_brokers(lead.id) == 0
    assert db.session.scalars(select(Notification).where(Notification.lead_id == lead.id)).all() == []
