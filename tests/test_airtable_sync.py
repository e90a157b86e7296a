"""The Airtable sync end to end: the real pyairtable client against a fake Airtable on loopback.

Every test builds the partner's base with ``investochat airtable setup``, then drives the app the
way production does (a WhatsApp conversation through ``investochat chat``, portal actions) and
the base the way the partner does (``FakeAirtable.edit_record``/``add_record``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from app.airtable.client import make_api
from app.airtable.pull import pull
from app.airtable.push import push, retry_failed
from app.airtable.schema import ACTIVITY, BROKERS, DEALS, LEADS, TABLES
from app.airtable.setup import check_base, setup_base
from app.cli import main
from app.extensions import db
from app.models import Activity, Deal, Lead, OutboxEvent
from tests.fakes.airtable_server import MERGE_FIELD_TYPES, FakeAirtable
from tests.portal_helpers import CSRF_RE, login, make_user
from tests.whatsapp_helpers import QUALIFYING_REPLIES

SCRIPT = ["Hi", "What is the payment plan of Aravali Crest?", *QUALIFYING_REPLIES]


@pytest.fixture
def airtable(app_ctx, monkeypatch):
    """A fake Airtable (5 requests/s enforced) the app is configured to sync with."""
    with FakeAirtable() as fake:
        for key, value in fake.config().items():
            monkeypatch.setitem(app_ctx.config, key, value)
        monkeypatch.setitem(app_ctx.config, "AIRTABLE_RETRY_BASE_SECONDS", 0)
        yield fake


@pytest.fixture
def base(airtable, app_ctx):
    """The partner's base as ``investochat airtable setup`` leaves it (built without the rate
    limit, which the tests of the sync itself keep on)."""
    airtable.rate_limit = None
    setup_base(make_api({**app_ctx.config, "AIRTABLE_RATE_LIMIT": 0}), airtable.base_id)
    airtable.rate_limit = 5
    return airtable


def converse(runner, phone: str, script: list[str] = SCRIPT) -> Lead:
    """A whole conversation through the terminal chat; returns the lead."""
    assert runner.invoke(main, ["demo", "load"]).exit_code == 0
    result = runner.invoke(main, ["chat", "--phone", phone], input="\n".join(script) + "\n")
    assert result.exit_code == 0, result.output
    return db.session.scalars(select(Lead).where(Lead.phone == phone.replace(" ", ""))).one()


def airtable_row(base: FakeAirtable, lead: Lead) -> dict | None:
    """The lead's row in the partner's Leads table (found by its Lead ID), or None."""
    return base.find(base.base_id, LEADS, "Lead ID", f"IC-{lead.id:06d}")


def pushed_lead(base: FakeAirtable, runner, app, phone: str, **changes) -> tuple[Lead, dict]:
    """A lead from a whole conversation, with ``changes`` made in the app (``broker_id``,
    ``pipeline``, ...), pushed to the base; returns the lead and its row in the base."""
    lead = converse(runner, phone)
    for name, value in changes.items():
        setattr(lead, name, value)
    run_push(app)
    return lead, airtable_row(base, lead)


def add_deal(base: FakeAirtable, lead_row: dict, unit_type: str, value: int | None = None) -> str:
    """The partner logs a deal on the lead's row, in the Deals table; returns its record id."""
    fields = {"Lead": [lead_row["id"]], "Project": "Aravali Crest", "Unit Type": unit_type}
    return base.add_record(base.base_id, DEALS, fields if value is None else {**fields, "Deal Value": value})


def activities(lead: Lead, kind: str) -> list[Activity]:
    """The lead's activities of ``kind``, oldest first."""
    return list(
        db.session.scalars(
            select(Activity).where(Activity.lead_id == lead.id, Activity.kind == kind).order_by(Activity.id)
        )
    )


def run_push(app):
    return push(db.session, make_api(app.config), app.config)


def run_pull(app):
    return pull(db.session, make_api(app.config), app.config)


def pending_events() -> list[OutboxEvent]:
    return list(db.session.scalars(select(OutboxEvent).where(OutboxEvent.status == "pending")))


def due_now() -> None:
    """Make backed-off events due (instead of waiting out the back-off)."""
    db.session.execute(update(OutboxEvent).values(next_attempt_at=None))


# -- setup and check -------------------------------------------------------------------------


def test_setup_creates_every_table_and_field_and_check_then_passes(airtable, runner, app_ctx):
    result = runner.invoke(main, ["airtable", "setup"])
    assert result.exit_code == 0, result.output
    assert f"created table '{LEADS}'" in result.output
    base = airtable
    schema = base.schema(base.base_id)
    for table in TABLES:
        names = {f["name"] for f in next(t for t in schema["tables"] if t["name"] == table.name)["fields"]}
        assert {f.name for f in table.fields} <= names
    result = runner.invoke(main, ["airtable", "check"])
    assert result.exit_code == 0, result.output
    assert "has every table and field" in result.output
    again = runner.invoke(main, ["airtable", "setup"])
    assert "Nothing to create" in again.output


def test_check_names_each_missing_or_mistyped_field_in_one_line(airtable, runner, app_ctx):
    airtable.create_table(airtable.base_id, LEADS, [{"name": "Lead ID", "type": "singleLineText"}])
    airtable.add_field(airtable.base_id, LEADS, "Score", "singleLineText")
    result = runner.invoke(main, ["airtable", "check"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "WRONG TYPE Qualified Leads: field 'Score' is singleLineText, expected number" in lines
    assert "MISSING Qualified Leads: field 'Phone' (phoneNumber) is missing" in lines
    assert f"MISSING table '{DEALS}' is missing" in lines
    problems = check_base(make_api(app_ctx.config), airtable.base_id)
    assert sum(1 for p in problems if p.table == LEADS) == len(TABLES[1].fields) - 1


def test_commands_say_clearly_when_sync_is_off(runner, app_ctx, monkeypatch):
    monkeypatch.setitem(app_ctx.config, "AIRTABLE_API_KEY", "")
    result = runner.invoke(main, ["airtable", "check"])
    assert result.exit_code != 0
    assert "Airtable sync is off" in result.output


# -- push ------------------------------------------------------------------------------------


def test_a_lead_qualified_in_a_conversation_appears_in_qualified_leads(base, runner, app_ctx):
    lead = converse(runner, "+91 98111 40001")
    result = run_push(app_ctx)
    assert result.error is None
    row = airtable_row(base, lead)
    assert row is not None
    fields = row["fields"]
    assert fields["Phone"] == "+919811140001"
    assert (fields["Budget Min"], fields["Budget Max"]) == (30_000_000, 50_000_000)
    assert fields["Areas"] == "Gurugram Sector 65"
    assert fields["Timeline"] == "1-3 months"
    assert fields["Score"] == 4 and fields["Status"] == "New"
    assert fields["Project"] == "Aravali Crest"
    kinds = [
        r["fields"]["Kind"]
        for r in base.records(base.base_id, ACTIVITY)
        if r["fields"]["Lead ID"] == fields["Lead ID"]
    ]
    assert "qualified" in kinds and "broker requested" in kinds
    assert not pending_events()


def test_unqualified_leads_stay_out_of_airtable(base, runner, app_ctx):
    lead = converse(runner, "+91 98111 40002", ["Hi", "What is the payment plan of Aravali Crest?"])
    run_push(app_ctx)
    assert airtable_row(base, lead) is None
    statuses = {
        e.status for e in db.session.scalars(select(OutboxEvent).where(OutboxEvent.aggregate_id == lead.id))
    }
    assert statuses == {"skipped"}


def test_replaying_the_outbox_changes_nothing_in_airtable(base, runner, app_ctx):
    converse(runner, "+91 98111 40003")
    run_push(app_ctx)
    before = {t.name: base.records(base.base_id, t.name) for t in TABLES}
    requests_before = base.requests_made
    db.session.execute(update(OutboxEvent).values(status="pending", processed_at=None))
    replay = run_push(app_ctx)
    assert replay.requests == 0  # nothing differs from what Airtable holds
    assert base.requests_made == requests_before
    assert {t.name: base.records(base.base_id, t.name) for t in TABLES} == before


def test_a_record_the_partner_deleted_comes_back_whole_when_the_lead_changes(base, runner, app_ctx):
    from app.portal.pipeline import record

    lead = converse(runner, "+91 98111 40004")
    run_push(app_ctx)
    key = f"IC-{lead.id:06d}"
    base.delete_record(base.base_id, LEADS, base.find(base.base_id, LEADS, "Lead ID", key)["id"])
    lead.partner_notes = "Prefers a call after 6 pm"
    record(db.session, lead, "partner_notes", None, note=lead.partner_notes)
    run_push(app_ctx)
    rows = [r for r in base.records(base.base_id, LEADS) if r["fields"].get("Lead ID") == key]
    assert len(rows) == 1
    assert rows[0]["fields"]["Partner Notes"] == "Prefers a call after 6 pm"
    assert rows[0]["fields"]["Phone"] == lead.phone and rows[0]["fields"]["Score"] == 4  # not only the change


# -- brokers ---------------------------------------------------------------------------------


def broker_row(base: FakeAirtable, broker) -> dict | None:
    """The broker's record in Brokers (found by its Broker ID), or None."""
    return base.find(base.base_id, BROKERS, "Broker ID", f"B-{broker.id:06d}")


def merge_fields_sent(base: FakeAirtable) -> set[tuple[str, ...]]:
    """Every ``fieldsToMergeOn`` the app has sent so far."""
    bodies = [r.body for r in base.requests if r.method in ("PATCH", "PUT") and isinstance(r.body, dict)]
    return {tuple(b["performUpsert"]["fieldsToMergeOn"]) for b in bodies if b.get("performUpsert")}


def test_every_table_is_upserted_on_a_field_type_airtable_merges_on():
    for table in TABLES:
        key = table.field(table.key)
        assert key.type in MERGE_FIELD_TYPES, f"{table.name} is keyed on {key.name} ({key.type})"


def test_brokers_reach_airtable_keyed_on_their_broker_id(base, app_ctx):
    asha = make_user(
        "asha.kapoor@brokers.test", name="Asha Kapoor", phone="+919811160001", areas=["Golf Course Road"]
    )
    make_user("dev.malhotra@brokers.test", name="Dev Malhotra")

    result = run_push(app_ctx)

    assert result.error is None and result.records[BROKERS] == 2
    fields = broker_row(base, asha)["fields"]
    assert fields["Email"] == "asha.kapoor@brokers.test" and fields["Name"] == "Asha Kapoor"
    assert fields["Phone"] == "+919811160001" and fields["Areas"] == "Golf Course Road"
    assert fields["Max Active Leads"] == 10 and fields["Active"] is True
    assert ("Broker ID",) in merge_fields_sent(base) and ("Email",) not in merge_fields_sent(base)

    asha.email = "asha@brokers.test"  # a new login: still the same broker, the same record
    assert run_push(app_ctx).error is None
    assert len(base.records(base.base_id, BROKERS)) == 2
    assert broker_row(base, asha)["fields"]["Email"] == "asha@brokers.test"


def test_a_deal_typed_in_airtable_keeps_the_broker_picked_there(base, runner, app_ctx):
    owner = make_user("neel.shah@brokers.test", name="Neel Shah")
    closer = make_user("ritu.verma@brokers.test", name="Ritu Verma")
    lead, lead_row = pushed_lead(base, runner, app_ctx, "+91 98111 42005", broker_id=owner.id)
    assert lead_row["fields"]["Assigned Broker"] == [broker_row(base, owner)["id"]]
    fields = {
        "Lead": [lead_row["id"]],
        "Broker": [broker_row(base, closer)["id"]],
        "Project": "Aravali Crest",
        "Unit Type": "3 BHK",
        "Deal Value": 42_000_000,
    }
    record_id = base.add_record(base.base_id, DEALS, fields)

    result = run_pull(app_ctx)

    assert result.error is None and result.deals_created == 1
    deal = db.session.scalars(select(Deal).where(Deal.lead_id == lead.id)).one()
    assert deal.broker_id == closer.id
    assert base.record(base.base_id, DEALS, record_id)["fields"]["Broker"] == [broker_row(base, closer)["id"]]

    base.edit_record(base.base_id, DEALS, record_id, {"Broker": [broker_row(base, owner)["id"]]})
    run_pull(app_ctx)
    db.session.refresh(deal)
    assert deal.broker_id == owner.id


def build_base_without_broker_ids(airtable: FakeAirtable) -> None:
    """The partner's base as the first setup made it: Brokers without the Broker ID field."""
    table_ids: dict[str, str] = {}
    for table in TABLES:
        fields = [spec.definition(table_ids) for spec in table.fields if spec.name != "Broker ID"]
        table_ids[table.name] = airtable.create_table(airtable.base_id, table.name, fields)


def test_an_older_base_gets_the_broker_id_from_setup_and_keeps_the_brokers_typed_there(
    airtable, runner, app_ctx
):
    build_base_without_broker_ids(airtable)
    meera = make_user("meera.iyer@brokers.test", name="Meera Iyer")
    typed = airtable.add_record(
        airtable.base_id, BROKERS, {"Email": "Meera.Iyer@brokers.test", "Name": "Meera"}
    )
    lead = converse(runner, "+91 98111 42006")

    before_setup = run_push(app_ctx)
    assert "Broker ID" in before_setup.error and "investochat airtable setup" in before_setup.error
    row = airtable_row(airtable, lead)  # the leads went through all the same
    airtable.edit_record(airtable.base_id, LEADS, row["id"], {"Assigned Broker": [typed]})

    db.session.commit()  # the command runs in an app context of its own
    setup = runner.invoke(main, ["airtable", "setup"])
    assert setup.exit_code == 0, setup.output
    assert "created field 'Brokers.Broker ID' (singleLineText)" in setup.output
    assert (
        f"Brokers: filled in Broker ID B-{meera.id:06d} of the record of Meera.Iyer@brokers.test"
        in setup.output
    )

    assert run_push(app_ctx).error is None
    brokers = airtable.records(airtable.base_id, BROKERS)
    assert [b["id"] for b in brokers] == [typed]  # updated in place, not copied
    assert brokers[0]["fields"]["Name"] == "Meera Iyer"
    assert run_pull(app_ctx).error is None
    db.session.refresh(lead)
    assert lead.broker_id == meera.id


# -- faults ----------------------------------------------------------------------------------


def test_airtable_down_then_back_delivers_every_event_once(base, runner, app_ctx):
    leads = [converse(runner, f"+91 98111 4101{n}") for n in range(3)]
    base.down()
    failed = run_push(app_ctx)
    assert failed.error and "503" in failed.error
    waiting = pending_events()
    assert waiting and all(e.attempts == 1 and e.next_attempt_at is not None for e in waiting)
    assert "503" in waiting[0].last_error
    base.up()
    due_now()
    delivered = run_push(app_ctx)
    assert delivered.error is None and not pending_events()
    keys = [r["fields"].get("Lead ID") for r in base.records(base.base_id, LEADS)]
    assert sorted(keys) == sorted(f"IC-{lead.id:06d}" for lead in leads)  # once each


def test_events_are_parked_after_max_attempts_and_a_retry_delivers_them(base, runner, app_ctx, monkeypatch):
    monkeypatch.setitem(app_ctx.config, "AIRTABLE_MAX_ATTEMPTS", 2)
    make_user("ravi@brokers.test", name="Ravi Iyer")  # so the brokers' upsert is what fails first
    lead = converse(runner, "+91 98111 41020")
    base.down()
    run_push(app_ctx)
    due_now()
    run_push(app_ctx)
    parked = list(db.session.scalars(select(OutboxEvent).where(OutboxEvent.aggregate_id == lead.id)))
    assert parked and {e.status for e in parked} == {"failed"}
    base.up()
    assert retry_failed(db.session) == len(parked)
    run_push(app_ctx)
    assert airtable_row(base, lead) is not None


def test_a_429_pauses_the_sync_for_thirty_seconds_without_counting_a_failure(base, runner, app_ctx):
    converse(runner, "+91 98111 41030")
    base.fail_next(429, times=1)
    first = run_push(app_ctx)
    assert first.paused_until is not None
    assert timedelta(seconds=25) < first.paused_until - datetime.now(UTC) <= timedelta(seconds=30)
    assert all(e.attempts == 0 for e in pending_events())
    requests = base.requests_made
    second = run_push(app_ctx)  # still paused: no request at all
    assert second.paused_until == first.paused_until and base.requests_made == requests


def test_sync_off_keeps_the_outbox_and_errors_nowhere(app_ctx, runner, monkeypatch):
    from workers.airtable_sync import run_push as job

    monkeypatch.setitem(app_ctx.config, "AIRTABLE_API_KEY", "")
    lead = converse(runner, "+91 98111 41040")
    assert job() == {"sync": "off"}
    events = db.session.scalars(select(OutboxEvent).where(OutboxEvent.aggregate_id == lead.id)).all()
    assert events and {e.status for e in events} == {"pending"}


# -- pull ------------------------------------------------------------------------------------


def test_the_partner_assigning_a_broker_in_airtable_shows_up_in_the_portal(base, runner, app_ctx, client):
    broker = make_user("asha@brokers.test", name="Asha Kapoor", areas=["Gurugram Sector 65"])
    lead, lead_row = pushed_lead(base, runner, app_ctx, "+91 98111 42001")
    broker_row = base.find(base.base_id, BROKERS, "Email", "asha@brokers.test")
    base.edit_record(
        base.base_id, LEADS, lead_row["id"], {"Assigned Broker": [broker_row["id"]], "Status": "Contacted"}
    )

    result = run_pull(app_ctx)
    assert result.error is None and result.applied == 2
    db.session.refresh(lead)
    assert lead.broker_id == broker.id and lead.pipeline == "contacted" and lead.contacted_at is not None
    kinds = db.session.scalars(select(Activity.kind).where(Activity.lead_id == lead.id)).all()
    assert "assigned" in kinds and "stage_changed" in kinds

    login(client, "asha@brokers.test")
    page = client.get(f"/broker/leads/{lead.id}").get_data(as_text=True)
    assert lead.phone in page  # the broker now holds the lead: the number is no longer masked
    # the pull's own changes are not sent back as if they were new
    assert run_push(app_ctx).records.get(LEADS, 0) == 0


def test_a_deal_created_in_airtable_gets_its_commissions_computed_and_written_back(base, runner, app_ctx):
    broker = make_user("vikram@brokers.test", name="Vikram Rao")
    lead, lead_row = pushed_lead(base, runner, app_ctx, "+91 98111 42002", broker_id=broker.id)
    record_id = add_deal(base, lead_row, "4 BHK", 50_000_000)

    result = run_pull(app_ctx)
    assert result.deals_created == 1, result
    deal = db.session.scalars(select(Deal).where(Deal.lead_id == lead.id)).one()
    assert deal.deal_value == Decimal("50000000.00") and deal.broker_id == broker.id
    assert (deal.broker_commission, deal.platform_commission) == (Decimal("1000000.00"), Decimal("250000.00"))
    written = base.record(base.base_id, DEALS, record_id)["fields"]
    assert written["Deal ID"] == f"D-{deal.id:06d}"
    assert (written["Broker Commission"], written["Platform Commission"]) == (1_000_000, 250_000)
    assert len(base.records(base.base_id, DEALS)) == 1  # updated in place, not added

    base.edit_record(base.base_id, DEALS, record_id, {"Deal Value": 60_000_000})
    run_pull(app_ctx)
    db.session.refresh(deal)
    assert deal.broker_commission == Decimal("1200000.00")
    assert base.record(base.base_id, DEALS, record_id)["fields"]["Platform Commission"] == 300_000


def test_a_malformed_record_is_skipped_with_an_activity_and_the_pull_goes_on(base, runner, app_ctx):
    broker = make_user("neha@brokers.test", name="Neha Singh")
    lead, lead_row = pushed_lead(base, runner, app_ctx, "+91 98111 42003", broker_id=broker.id)
    bad = add_deal(base, lead_row, "3 BHK")
    good = add_deal(base, lead_row, "4 BHK", 40_000_000)
    base.edit_record(base.base_id, LEADS, lead_row["id"], {"Status": "Signed the MoU"})

    result = run_pull(app_ctx)
    assert result.skipped == 2 and result.deals_created == 1
    notes = activities(lead, "airtable_skipped")
    reasons = sorted(n.detail["reason"] for n in notes)
    assert reasons == [
        "Deal Value is missing",
        "Status 'Signed the MoU' is not one of New, Contacted, Site visit scheduled, Negotiating, Won, Lost",
    ]
    assert base.record(base.base_id, DEALS, bad)["fields"]["Sync Status"] == "Skipped: Deal Value is missing"
    assert base.record(base.base_id, DEALS, good)["fields"]["Deal ID"].startswith("D-")
    # seen again unchanged, the same record is not noted twice
    run_pull(app_ctx)
    again = activities(lead, "airtable_skipped")
    assert len(again) == 2


def test_a_later_portal_change_wins_over_an_older_airtable_edit(base, runner, app_ctx):
    broker = make_user("kabir@brokers.test", name="Kabir Das")
    lead, lead_row = pushed_lead(base, runner, app_ctx, "+91 98111 42004")
    base.add_field(base.base_id, LEADS, "Last Modified", "lastModifiedTime")
    base.set_time(datetime.now(UTC) - timedelta(minutes=10))
    base.edit_record(base.base_id, LEADS, lead_row["id"], {"Status": "Lost"})
    base.use_real_time()
    lead.broker_id, lead.pipeline = broker.id, "negotiating"  # the broker moved it just now
    lead.updated_at = datetime.now(UTC)  # (the test's one transaction would stamp its start time)
    db.session.flush()

    run_pull(app_ctx)
    db.session.refresh(lead)
    assert lead.pipeline == "negotiating"
    run_push(app_ctx)  # and the app's value replaces the older edit in Airtable
    assert base.record(base.base_id, LEADS, lead_row["id"])["fields"]["Status"] == "Negotiating"


# -- the partner's pages ---------------------------------------------------------------------


@pytest.fixture
def partner(client):
    make_user("partner@investochat.test", role="partner", name="Partner")
    login(client, "partner@investochat.test")
    return client


def test_the_sync_page_says_when_sync_is_off(partner, app_ctx, monkeypatch):
    monkeypatch.setitem(app_ctx.config, "AIRTABLE_API_KEY", "")
    page = partner.get("/partner/sync").get_data(as_text=True)
    assert "Sync is <strong>off</strong>" in page


def test_a_parked_event_shows_on_the_sync_page_and_its_retry_button_queues_it(base, partner, runner, app_ctx):
    lead = converse(runner, "+91 98111 43001")
    event = db.session.scalars(select(OutboxEvent).where(OutboxEvent.aggregate_id == lead.id)).first()
    event.status, event.attempts, event.last_error = "failed", 8, "Airtable answered 503"
    db.session.flush()
    page = partner.get("/partner/sync").get_data(as_text=True)
    assert f"#{event.id}" in page and "Airtable answered 503" in page
    token = CSRF_RE.search(page).group(1)
    answer = partner.post("/partner/sync/retry", data={"event_id": str(event.id), "csrf_token": token})
    assert answer.status_code == 302
    db.session.refresh(event)
    assert (event.status, event.attempts) == ("pending", 0)
    run_push(app_ctx)
    assert airtable_row(base, lead) is not None


def test_the_retry_button_needs_the_csrf_token_and_the_partner_role(client, app_ctx):
    make_user("broker9@brokers.test")
    login(client, "broker9@brokers.test")
    assert client.get("/partner/sync").status_code == 403
    assert client.post("/partner/sync/retry", data={}).status_code == 400  # no CSRF token


def test_the_guide_lists_every_field_with_its_owner(partner):
    page = partner.get("/partner/airtable").get_data(as_text=True)
    for table in TABLES:
        assert table.name in page
        for spec in table.fields:
            assert spec.name in page
    assert "Broker ID (key)" in page and "Email (key)" not in page
    assert "Shared" in page and "App" in page


# -- scheduling ------------------------------------------------------------------------------


def test_the_cron_enqueues_push_and_pull_on_their_intervals(app_ctx):
    from rq import Queue
    from rq.cron import CronScheduler

    from workers.airtable_sync import schedule
    from workers.queues import redis_connection

    connection = redis_connection(app_ctx.config)
    config = {**app_ctx.config, "RQ_QUEUE": "airtable-cron-test"}
    scheduler = CronScheduler(connection=connection, name="cron-test")
    schedule(config, scheduler)
    assert {job.name: job.interval for job in scheduler.get_jobs()} == {
        "airtable-push": 10,
        "airtable-pull": 60,
    }
    queue = Queue("airtable-cron-test", connection=connection)
    queue.empty()
    scheduler.enqueue_jobs()
    assert sorted(job.func_name for job in queue.jobs) == [
        "workers.airtable_sync.run_pull",
        "workers.airtable_sync.run_push",
    ]
    queue.empty()


def test_a_run_that_finds_another_sync_running_returns_at_once(base, runner, app_ctx):
    from workers.airtable_sync import LOCK
    from workers.airtable_sync import run_push as job
    from workers.queues import redis_connection

    converse(runner, "+91 98111 44001")
    lock = redis_connection(app_ctx.config).lock(LOCK, timeout=30)
    assert lock.acquire(blocking=False)
    try:
        assert job() == {"sync": "busy"}
        assert pending_events()
    finally:
        lock.release()


def test_push_pull_and_status_commands(base, runner, app_ctx):
    key = f"IC-{converse(runner, '+91 98111 45001').id:06d}"
    pushed = runner.invoke(main, ["airtable", "push"])
    assert pushed.exit_code == 0, pushed.output
    assert '"Qualified Leads": 1' in pushed.output
    pulled = runner.invoke(main, ["airtable", "pull"])
    assert pulled.exit_code == 0 and '"applied": 0' in pulled.output
    status = runner.invoke(main, ["airtable", "status"])
    assert "sync: on" in status.output and "synced" in status.output and "last_push" in status.output
    assert base.find(base.base_id, LEADS, "Lead ID", key) is not None


# -- what the partner may get wrong ----------------------------------------------------------


def test_a_duplicated_lead_row_holds_back_only_that_lead(base, runner, app_ctx):
    first = converse(runner, "+91 98111 46001")
    run_push(app_ctx)
    row = base.find(base.base_id, LEADS, "Lead ID", f"IC-{first.id:06d}")
    base.add_record(base.base_id, LEADS, {"Lead ID": row["fields"]["Lead ID"]})  # the partner's copy
    first.partner_notes = "Call after 6 pm"
    from app.portal.pipeline import record

    record(db.session, first, "partner_notes", None, note=first.partner_notes)
    second = converse(runner, "+91 98111 46002")

    result = run_push(app_ctx)
    assert "MULTIPLE_MATCHES_FOR_UPSERT" in result.error
    assert base.find(base.base_id, LEADS, "Lead ID", f"IC-{second.id:06d}") is not None  # got through
    held = db.session.scalars(
        select(OutboxEvent).where(OutboxEvent.aggregate_id == first.id, OutboxEvent.status == "pending")
    ).all()
    assert held and all(e.attempts == 1 and "MULTIPLE_MATCHES" in e.last_error for e in held)
    assert not db.session.scalars(
        select(OutboxEvent).where(OutboxEvent.aggregate_id == second.id, OutboxEvent.status == "pending")
    ).all()


def test_an_app_change_not_yet_pushed_survives_a_pull_and_reaches_airtable(base, runner, app_ctx):
    broker = make_user("tara@brokers.test", name="Tara Sen")
    lead, row = pushed_lead(base, runner, app_ctx, "+91 98111 46003", broker_id=broker.id)
    lead.pipeline = "negotiating"  # moved in the portal; its event not pushed yet
    base.edit_record(base.base_id, LEADS, row["id"], {"Partner Notes": "Wants a corner unit\n"})

    run_pull(app_ctx)
    db.session.refresh(lead)
    assert lead.pipeline == "negotiating" and lead.partner_notes == "Wants a corner unit"
    fields = base.record(base.base_id, LEADS, row["id"])["fields"]
    assert fields["Status"] == "Negotiating"  # written back by the pull itself
    for _ in range(2):  # read again and again: the note is not applied a second time
        base.edit_record(base.base_id, LEADS, row["id"], {"Name": "touched"})
        run_pull(app_ctx)
    notes = activities(lead, "partner_notes")
    assert len(notes) == 1


def test_values_the_database_refuses_and_closed_leads_are_skipped_not_fatal(base, runner, app_ctx):
    broker = make_user("dev@brokers.test", name="Dev Anand")
    lead, lead_row = pushed_lead(
        base, runner, app_ctx, "+91 98111 46004", broker_id=broker.id, pipeline="won"
    )
    add_deal(base, lead_row, "4 BHK", 10**15)
    base.edit_record(base.base_id, LEADS, lead_row["id"], {"Status": "Contacted"})

    result = run_pull(app_ctx)
    assert result.error is None and result.skipped == 2
    reasons = [note.detail["reason"] for note in activities(lead, "airtable_skipped")]
    assert any("cannot move to Contacted" in r for r in reasons)
    assert any("Deal Value" in r or "deal value" in r.lower() for r in reasons), reasons
    db.session.refresh(lead)
    assert lead.pipeline == "won"


def test_only_the_partner_may_retry_sync_events(client, app_ctx):
    make_user("broker10@brokers.test")
    login(client, "broker10@brokers.test")
    token = CSRF_RE.search(client.get("/broker/").get_data(as_text=True)).group(1)
    assert client.post("/partner/sync/retry", data={"csrf_token": token}).status_code == 403
