"""The migrations build exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db


def test_models_and_migrations_agree(app_ctx):
    with db.engine.connect() as connection:
        opts = {"compare_type": True, "compare_server_default": True}
        context = MigrationContext.configure(connection, opts=opts)
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_generated_columns_are_computed_by_the_database(app_ctx):
    from decimal import Decimal

    from app.models import Deal, Lead

    lead = Lead(
        phone="+919800000001",
        stage="qualifying",
        budget_min_inr=Decimal("30000000"),
        areas=["Any"],
        timeline="exploring",
        unit_kinds=[],
    )
    deal = Deal(
        project_name="Aravali Crest",
        unit_type="4 BHK",
        deal_value=Decimal("50000000"),
        broker_rate=Decimal("0.02"),
        platform_rate=Decimal("0.25"),
    )
    db.session.add_all([lead, deal])
    db.session.flush()
    db.session.refresh(lead)
    db.session.refresh(deal)
    assert (lead.score, lead.qualified) == (3, False)
    assert deal.broker_commission == Decimal("1000000.00")  # ₹10 L
    assert deal.platform_commission == Decimal("250000.00")  # ₹2.5 L
    lead.unit_kinds = ["4BHK"]
    db.session.flush()
    db.session.refresh(lead)
    assert (lead.score, lead.qualified) == (4, True)
