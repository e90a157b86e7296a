"""Brochures uploaded in the browser: kept for a worker, read with the CLI's rules (the whole file
or nothing, a broken PDF refused with the reason), the progress on the page, and the bot answering
from it once it is read."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fpdf import FPDF
from sqlalchemy import func, select

from app.extensions import db
from app.models import Document, IngestJob, Project
from app.rag.answer import answer_question
from app.rag.uploads import MAX_UPLOAD, UploadRefused, queue_upload
from tests.portal_helpers import make_user
from tests.test_broker_portal import Portal, text
from workers.tasks import ingest_upload


def pdf_bytes(tmp_path: Path) -> bytes:
    pdf = FPDF()
    for line in (
        "MAPLE GROVE\nSector 977, Gurugram",
        "CLUBHOUSE\nA 38,000 sq ft clubhouse with a squash court.",
    ):
        pdf.add_page()
        pdf.set_font("Helvetica", size=14)
        pdf.multi_cell(0, 8, line)
    path = tmp_path / "maple.pdf"
    pdf.output(str(path))
    return path.read_bytes()


@pytest.fixture
def partner(app_ctx) -> Portal:
    make_user("priya@partner.example", role="partner")
    db.session.commit()
    return Portal(app_ctx, "priya@partner.example")


def upload(partner: Portal, data: bytes, filename: str = "Maple_Grove.pdf", project: str = "Maple Grove"):
    partner.client.application  # noqa: B018  (the same app)
    form = {"new_project": project, "csrf_token": partner.token, "brochure": (io.BytesIO(data), filename)}
    return partner.client.post("/partner/projects/upload", data=form, content_type="multipart/form-data")


def test_an_uploaded_brochure_is_read_by_a_worker_and_then_answered_from(partner, tmp_path):
    response = upload(partner, pdf_bytes(tmp_path))
    assert response.status_code == 303
    job = db.session.scalar(select(IngestJob))
    waiting = text(partner.get(f"/partner/uploads/{job.id}", htmx=True))
    assert "waiting for a worker" in waiting and 'hx-trigger="every 1s"' in waiting

    assert ingest_upload(job.id) == "done"  # the worker's job
    db.session.refresh(job)
    assert (job.status, job.pages, job.result, job.content) == ("done", 2, "added", None)
    assert job.chunks > 0 and job.finished_at is not None
    done = text(partner.get(f"/partner/uploads/{job.id}", htmx=True))
    assert "the bot answers from it now" in done and "hx-trigger" not in done  # it stops polling
    answer = answer_question("Is there a squash court?", project="Maple Grove")
    assert answer.answered and "squash court" in answer.answer and "Maple_Grove.pdf p.2" in answer.answer
    assert ingest_upload(job.id) == "done"  # run twice: nothing more happens
    assert db.session.scalar(select(func.count()).select_from(Document)) == 1


def test_a_broken_pdf_fails_with_the_reason_and_nothing_is_written(partner):
    assert upload(partner, b"%PDF-1.7\nthis is not really a PDF at all").status_code == 303
    job = db.session.scalar(select(IngestJob))
    assert ingest_upload(job.id) == "failed"
    db.session.refresh(job)
    assert job.status == "failed" and "Maple_Grove.pdf" in job.error and job.content is None
    assert "Nothing was saved." in text(partner.get(f"/partner/uploads/{job.id}"))
    assert db.session.scalar(select(func.count()).select_from(Project)) == 0


def test_what_is_not_a_pdf_brochure_is_refused_at_once(partner, app_ctx):
    not_pdf = upload(partner, b"PK\x03\x04 a zip file", filename="brochure.pdf")
    assert not_pdf.status_code == 422 and "is not a PDF" in text(not_pdf)
    wrong_kind = upload(partner, b"%PDF-1.7", filename="brochure.docx")
    assert wrong_kind.status_code == 422 and "as a PDF file" in text(wrong_kind)
    nameless = upload(partner, b"%PDF-1.7", project="")
    assert nameless.status_code == 422 and "Choose the project" in text(nameless)
    with pytest.raises(UploadRefused, match="larger than 50 MB"):
        queue_upload(db.session, "Maple Grove", "big.pdf", b"%PDF-" + b"0" * MAX_UPLOAD)
    assert db.session.scalar(select(func.count()).select_from(IngestJob)) == 0
