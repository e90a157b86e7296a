"""The partner runs the catalogue from the browser: other names investors use, archiving a
project (then neither answered nor offered) and bringing it back, and each fact corrected,
confirmed or deleted (a confirmed fact wins)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Fact, Project
from app.rag.answer import answer_question
from app.rag.project_focus import UnknownProject
from tests.portal_helpers import make_user
from tests.test_broker_portal import Portal, text
from tests.test_retrieval import brochure

PAGES = {
    1: "LOTUS HEIGHTS\nSector 988, Gurugram\nDeveloper: Lotus Test Builders\n"
    "HRERA Registration No. LOT-GGM-2030-0988",
    2: "CLUBHOUSE\nA 40,000 sq ft clubhouse with an indoor pool.",
}


def partner_portal(app_ctx) -> Portal:
    make_user("priya@partner.example", role="partner")
    db.session.commit()
    return Portal(app_ctx, "priya@partner.example")


def test_an_archived_project_is_not_answered_until_it_is_back(app_ctx, tmp_path):
    name = brochure(tmp_path, "Lotus Heights", PAGES)
    project = db.session.scalar(select(Project).where(Project.name == name))
    partner = partner_portal(app_ctx)
    assert "indoor pool" in answer_question("Is there an indoor pool?", project=name).answer

    listed = text(partner.get("/partner/projects"))
    assert "Lotus Heights" in listed and "Review the facts" in listed
    assert partner.post(f"/partner/projects/{project.id}/archive", {"archived": "1"}).status_code == 303
    with pytest.raises(UnknownProject):  # not a project the bot knows any more
        answer_question("Is there an indoor pool?", project=name)
    assert answer_question("Which project has an indoor pool clubhouse?").answered is False
    assert "archived" in text(partner.get("/partner/projects"))

    assert partner.post(f"/partner/projects/{project.id}/archive", {"archived": "0"}).status_code == 303
    assert answer_question("Is there an indoor pool?", project=name).answered is True


def test_other_names_investors_use_find_the_project(app_ctx, tmp_path):
    name = brochure(tmp_path, "Lotus Heights", PAGES)
    other = brochure(tmp_path, "Cedar Court", {1: "CEDAR COURT\nSector 911"})
    project = db.session.scalar(select(Project).where(Project.name == name))
    partner = partner_portal(app_ctx)
    form = {"aliases": "Lotus, LH Gurugram", "city": "Gurugram", "locality": "Sector 988", "developer": ""}
    assert partner.post(f"/partner/projects/{project.id}", form).status_code == 303
    db.session.refresh(project)
    assert project.aliases == ["Lotus", "LH Gurugram"] and project.locality == "Sector 988"
    assert answer_question("What is the RERA number of Lotus?").project == name
    clash = partner.post(f"/partner/projects/{project.id}", {**form, "aliases": other})
    assert clash.status_code == 422 and "is the name of another project" in text(clash)


def test_a_fact_corrected_and_confirmed_wins_and_a_deleted_one_is_gone(app_ctx, tmp_path):
    name = brochure(tmp_path, "Lotus Heights", PAGES)
    project = db.session.scalar(select(Project).where(Project.name == name))
    rera = db.session.scalar(select(Fact).where(Fact.project_id == project.id, Fact.key == "rera_number"))
    assert rera is not None and rera.origin == "extracted"
    partner = partner_portal(app_ctx)
    page = text(partner.get(f"/partner/projects/{project.id}/facts"))
    assert "rera number" in page and "p.1" in page and "read from the brochure" in page

    fixed = {"action": "confirm", "value": "LOT-GGM-2030-0989"}
    assert partner.post(f"/partner/projects/{project.id}/facts/{rera.id}", fixed).status_code == 303
    answer = answer_question("What is the RERA number?", project=name)
    assert "LOT-GGM-2030-0989" in answer.answer and "p.1" in answer.answer, answer.answer
    curated = db.session.scalar(
        select(Fact).where(Fact.project_id == project.id, Fact.key == "rera_number", Fact.origin == "curated")
    )
    curated_id, rera_id, delete = curated.id, rera.id, {"action": "delete"}
    assert partner.post(f"/partner/projects/{project.id}/facts/{curated_id}", delete).status_code == 303
    db.session.expunge_all()
    assert db.session.get(Fact, curated_id) is None
    other = brochure(tmp_path, "Cedar Court", {1: "CEDAR COURT"})
    other_id = db.session.scalar(select(Project.id).where(Project.name == other))
    assert partner.post(f"/partner/projects/{other_id}/facts/{rera_id}", delete).status_code == 404


def test_a_facts_page_shows_the_page_it_was_read_from(app_ctx, runner, tmp_path):
    from tests.test_brochures import ingest, write_pdf

    ingest(runner, "Maple Grove", write_pdf(tmp_path / "Maple_Grove.pdf", "MAPLE GROVE"))
    project = db.session.scalar(select(Project).where(Project.name == "Maple Grove"))
    fact = Fact(project_id=project.id, document_id=project.documents[0].id, key="towers", value="3", page=2,
                origin="curated")  # fmt: skip
    db.session.add(fact)
    db.session.commit()
    partner = partner_portal(app_ctx)
    page = text(partner.get(f"/partner/projects/{project.id}/facts"))
    preview = f"/partner/projects/{project.id}/pages/{fact.document_id}/2.png"
    assert f'src="{preview}"' in page
    image = partner.get(preview)
    assert image.status_code == 200 and image.mimetype == "image/png" and image.data.startswith(b"\x89PNG")
    assert partner.get(f"/partner/projects/{project.id}/pages/{fact.document_id}/9.png").status_code == 404


def test_a_replaced_brochure_is_listed_as_an_earlier_version(app_ctx, runner, tmp_path):
    from tests.test_brochures import ingest, write_pdf

    first = tmp_path / "one"
    second = tmp_path / "two"
    first.mkdir()
    second.mkdir()
    ingest(runner, "Maple Grove", write_pdf(first / "Maple_Grove.pdf", "MAPLE GROVE"))
    ingest(runner, "Maple Grove", write_pdf(second / "Maple_Grove.pdf", "MAPLE GROVE, REVISED PRICES"))
    page = text(partner_portal(app_ctx).get("/partner/projects"))
    assert "Earlier versions (1)" in page and "Maple_Grove.pdf, 2 pages: read" in page


def test_the_sites_that_show_a_projects_chat_are_listed(app_ctx, client, tmp_path):
    name = brochure(tmp_path, "Lotus Heights", PAGES)
    saved = app_ctx.config.get("WIDGET_ALLOWED_ORIGINS", "")
    app_ctx.config["WIDGET_ALLOWED_ORIGINS"] = "https://lotus-developer.example"
    try:
        for referrer in (
            "https://lotus-developer.example/projects/lotus?utm=ad",  # the developer's page
            "https://somewhere-else.example/copy",  # not a site the partner allowed
            "http://localhost/partner/projects",  # our own pages
        ):
            opened = client.get(f"/widget/?project={name}", headers={"Referer": referrer})
            assert opened.status_code == 200
    finally:
        app_ctx.config["WIDGET_ALLOWED_ORIGINS"] = saved
    page = text(partner_portal(app_ctx).get("/partner/projects"))
    assert "Website chat: https://lotus-developer.example" in page
    assert "somewhere-else" not in page and "localhost" not in page.split("Website chat:")[1][:200]


def test_a_corrected_price_is_what_investors_are_told(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Maple Grove",
        {1: "MAPLE GROVE\nSector 977, Gurugram", 2: "PRICE LIST\nBasic Sale Price: Rs. 21,750 per sq. ft"},
    )
    project = db.session.scalar(select(Project).where(Project.name == name))
    price = db.session.scalar(select(Fact).where(Fact.project_id == project.id, Fact.key == "price_psf"))
    assert price is not None and "21,750" in price.value
    assert "21,750" in answer_question("What is the price per sq ft?", project=name).answer

    partner = partner_portal(app_ctx)
    corrected = {"action": "confirm", "value": "Rs. 21,500 per sq. ft"}
    assert partner.post(f"/partner/projects/{project.id}/facts/{price.id}", corrected).status_code == 303
    answer = answer_question("What is the price per sq ft?", project=name)
    assert answer.answered and "21,500" in answer.answer and "21,750" not in answer.answer, answer.answer
    assert "p.2" in answer.answer
    page = text(partner.get(f"/partner/projects/{project.id}/facts"))
    assert "replaced by the confirmed value" in page  # the brochure's reading, kept but not used
