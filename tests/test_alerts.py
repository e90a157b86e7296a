"""New-lead alerts to brokers that arrive: a WhatsApp utility template through a fake Graph API
and email through a real SMTP server on loopback, each alert's fate stored, failures retried
when that can help and shown to the partner when it cannot."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Alert, Lead, Notification
from app.portal.alerts import deliver_alerts, leads_with_waiting_alerts, undelivered_alerts
from tests.fakes.graph_server import FakeGraph
from tests.fakes.smtp_server import FakeSMTP
from tests.portal_helpers import make_user
from tests.test_broker_portal import Portal, make_lead, text
from tests.whatsapp_helpers import APP_SECRET, body_of, meta_envelope, post_signed
from workers.tasks import notify_brokers

TEMPLATE = "new_lead_alert"
PORTAL = "https://portal.investochat.example"
BROKER_PHONE = "+919811100001"


@pytest.fixture
def graph(app_ctx):
    """WhatsApp pointed at a fake Graph API that knows the approved alert template."""
    keys = ("WHATSAPP_BROKER_ALERT_TEMPLATE", "PORTAL_URL", "WHATSAPP_APP_SECRET", "SMTP_URL", "MAIL_FROM")
    with FakeGraph() as fake:
        saved = {key: app_ctx.config.get(key) for key in (*fake.config(), *keys)}
        fake.approved_templates = {TEMPLATE: 5}
        app_ctx.config.update(
            fake.config(),
            WHATSAPP_BROKER_ALERT_TEMPLATE=TEMPLATE,
            PORTAL_URL=PORTAL,
            WHATSAPP_APP_SECRET=APP_SECRET,
        )
        yield fake
        app_ctx.config.update(saved)


@pytest.fixture
def smtp(app_ctx, graph):
    with FakeSMTP(starttls=True, login=("alerts", "mail-pass")) as fake:
        app_ctx.config.update(fake.config())
        yield fake


def broker(email="ravi@agency.example", phone=BROKER_PHONE, areas=("Golf Course Road",)):
    user = make_user(email, name="Ravi Anand", phone=phone, areas=list(areas))
    db.session.commit()
    return user


def asked_for_broker(**fields) -> Lead:
    return make_lead(stage="broker_requested", reference="IC-424242", **fields)


def alerts_of(lead: Lead) -> dict[str, Alert]:
    db.session.expire_all()
    return {a.channel: a for a in db.session.scalars(select(Alert).where(Alert.lead_id == lead.id))}


def test_a_broker_gets_the_alert_template_with_its_parameters(app_ctx, graph):
    ravi = broker()
    lead = asked_for_broker()

    assert notify_brokers(lead.id) == 1

    [sent] = graph.sent
    assert sent.to == "919811100001"
    template = sent.payload["template"]
    assert template["name"] == TEMPLATE and template["language"] == {"code": "en"}
    [body] = template["components"]
    values = [p["text"] for p in body["parameters"]]
    assert values == [
        "IC-424242",
        "₹3 Cr – ₹5 Cr",
        "Golf Course Road",
        "1-3 months",
        f"{PORTAL}/broker/leads/{lead.id}",
    ]
    assert lead.phone not in str(sent.payload) and lead.name not in str(sent.payload)
    alert = alerts_of(lead)["whatsapp"]
    assert (alert.user_id, alert.state, alert.address) == (ravi.id, "sent", BROKER_PHONE)
    assert db.session.scalar(select(Notification.body).where(Notification.lead_id == lead.id)).startswith(
        "New lead IC-424242"
    )


def test_whatsapps_delivery_status_reaches_the_alert(app_ctx, client, graph):
    broker()
    lead = asked_for_broker()
    notify_brokers(lead.id)
    [sent] = graph.sent
    status = {
        "id": sent.message_id,
        "status": "delivered",
        "timestamp": "1764064920",
        "recipient_id": "919811100001",
    }
    assert post_signed(client, body_of(meta_envelope(statuses=[status]))).status_code == 200
    assert alerts_of(lead)["whatsapp"].state == "delivered"


def test_an_unknown_template_is_a_failure_the_partner_sees(app_ctx, graph):
    graph.approved_templates = {"another_template": 5}
    broker()
    lead = asked_for_broker()
    notify_brokers(lead.id)
    alert = alerts_of(lead)["whatsapp"]
    assert alert.state == "failed" and "132001" in alert.reason
    assert [a.id for a in undelivered_alerts(db.session)] == [alert.id]

    make_user("partner@investochat.example", role="partner")
    db.session.commit()
    partner = Portal(app_ctx, "partner@investochat.example")
    dashboard = text(partner.get("/partner/"))
    assert "Broker alerts that did not arrive" in dashboard and "132001" in dashboard
    page = text(partner.get(f"/partner/leads/{lead.id}"))
    assert "Alerts to brokers" in page and "Ravi Anand" in page and "132001" in page


def test_a_template_with_the_wrong_number_of_parameters_fails_visibly(app_ctx, graph):
    graph.approved_templates = {TEMPLATE: 4}
    broker()
    lead = asked_for_broker()
    notify_brokers(lead.id)
    alert = alerts_of(lead)["whatsapp"]
    assert alert.state == "failed" and "132000" in alert.reason


def test_a_5xx_from_whatsapp_is_tried_again_and_other_brokers_are_not_held_back(app_ctx, graph):
    broker()
    broker("sunil@agency.example", phone="+919811100002")
    lead = asked_for_broker()
    graph.fail_next(500)

    notify_brokers(lead.id)  # the job's first round: one alert refused with a 5xx, the other sent

    states = sorted(a.state for a in db.session.scalars(select(Alert).where(Alert.lead_id == lead.id)))
    assert states == ["retrying", "sent"] and len(graph.sent) == 1
    assert leads_with_waiting_alerts(db.session) == [lead.id]

    deliver_alerts(db.session, lead.id, app_ctx.config)  # the retry the job scheduled

    assert sorted(m.to for m in graph.sent) == ["919811100001", "919811100002"]
    assert {a.state for a in db.session.scalars(select(Alert))} == {"sent"}


def test_a_text_alert_outside_the_brokers_window_says_to_configure_the_template(app_ctx, graph):
    app_ctx.config["WHATSAPP_BROKER_ALERT_TEMPLATE"] = ""
    broker()
    lead = asked_for_broker()
    graph.fail_next(400, code=131047, message="Re-engagement message")
    notify_brokers(lead.id)
    alert = alerts_of(lead)["whatsapp"]
    assert alert.state == "failed" and "WHATSAPP_BROKER_ALERT_TEMPLATE" in alert.reason


def test_an_email_goes_to_the_broker_through_starttls_with_the_lead_and_its_link(app_ctx, smtp):
    broker()
    lead = asked_for_broker()
    assert notify_brokers(lead.id) == 2

    [mail] = smtp.wait_for(1)
    assert mail.recipients == ["ravi@agency.example"] and mail.secure and mail.login == "alerts"
    assert mail.message["Subject"] == "New lead IC-424242: ₹3 Cr – ₹5 Cr, Golf Course Road"
    content = mail.message.get_content()
    assert f"{PORTAL}/broker/leads/{lead.id}" in content and "1-3 months" in content
    assert lead.phone not in content and lead.name not in content
    alert = alerts_of(lead)["email"]
    assert (alert.state, alert.attempts) == ("sent", 1) and alert.sent_at is not None


def test_a_mail_server_saying_try_later_is_tried_again(app_ctx, smtp):
    broker(phone=None)
    lead = asked_for_broker()
    smtp.fail_next(451)

    notify_brokers(lead.id)

    alert = alerts_of(lead)["email"]
    assert alert.state == "retrying" and "451" in alert.error and alert.next_attempt_at is not None
    assert leads_with_waiting_alerts(db.session) == [lead.id]
    assert deliver_alerts(db.session, lead.id, app_ctx.config) > 0  # not due yet: nothing sent
    assert smtp.received == []

    later = alert.next_attempt_at + timedelta(seconds=1)
    assert deliver_alerts(db.session, lead.id, app_ctx.config, now=later) is None
    assert len(smtp.wait_for(1)) == 1
    alert = alerts_of(lead)["email"]
    assert (alert.state, alert.attempts) == ("sent", 2)
    assert leads_with_waiting_alerts(db.session) == []


def test_a_mail_server_refusing_the_address_is_a_failure_the_partner_sees(app_ctx, smtp):
    broker(phone=None)
    lead = asked_for_broker()
    smtp.fail_next(550)
    notify_brokers(lead.id)
    alert = alerts_of(lead)["email"]
    assert alert.state == "failed" and "550" in alert.reason
    assert [a.id for a in undelivered_alerts(db.session)] == [alert.id]


def test_running_the_job_again_alerts_nobody_twice(app_ctx, graph, smtp):
    broker()
    lead = asked_for_broker()
    assert notify_brokers(lead.id) == 2
    assert notify_brokers(lead.id) == 0
    deliver_alerts(db.session, lead.id, app_ctx.config)
    assert len(smtp.wait_for(1)) == 1 and len(graph.sent) == 1
