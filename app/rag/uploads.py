"""Brochures the partner uploads in the browser, read by a worker with the CLI's rules: the
whole file or nothing, a corrupt or encrypted PDF refused with the reason.

The file travels in the job's row (so the worker need not share a disk with the web process)
and is dropped once read. Progress is written on its own connection as the reading goes
(reading → storing → done / failed), so the page can show it while the document itself is
written in one transaction.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.models import IngestJob
from app.rag.embed import embedder_from_config
from app.rag.ingest import get_or_create_project, index_embedder, parse_file, reembed_all, store_document
from app.rag.readers import IngestError

MAX_UPLOAD = 50 * 1024 * 1024
PDF_MAGIC = b"%PDF-"


class UploadRefused(ValueError):
    """An upload that is not a PDF brochure that can be read, with the reason."""


def queue_upload(session: Session, project_name: str, filename: str, data: bytes) -> IngestJob:
    """Check and keep an uploaded brochure for a worker to read (caller commits and enqueues)."""
    name = " ".join(project_name.split())
    if not name:
        raise UploadRefused("Choose the project, or type the name of a new one.")
    filename = Path(filename or "").name
    if not filename.lower().endswith(".pdf"):
        raise UploadRefused("Upload the brochure as a PDF file (.pdf).")
    if not data:
        raise UploadRefused(f"{filename} is empty.")
    if len(data) > MAX_UPLOAD:
        raise UploadRefused(f"{filename} is larger than {MAX_UPLOAD // (1024 * 1024)} MB.")
    if not data.startswith(PDF_MAGIC):
        raise UploadRefused(f"{filename} is not a PDF (it does not start as one).")
    job = IngestJob(project_name=name[:200], filename=filename[:300], size_bytes=len(data), content=data)
    session.add(job)
    session.flush()
    return job


def _progress(session: Session, job_id: int, **values: Any) -> None:
    """Write progress on a connection of its own, committed at once (the page polls it)."""
    with session.get_bind().connect() as connection:
        connection.execute(update(IngestJob).where(IngestJob.id == job_id).values(**values))
        connection.commit()


def read_upload(session: Session, job_id: int, config: Mapping[str, Any]) -> str:
    """Read an uploaded brochure into its project; returns the job's final status. Safe to run
    twice: a job already done or failed is left as it is."""
    job = session.get(IngestJob, job_id)
    if job is None or job.status in ("done", "failed") or job.content is None:
        return job.status if job else "missing"
    content, filename, project_name = job.content, job.filename, job.project_name
    session.rollback()  # the job row is written by _progress alone from here on
    _progress(session, job_id, status="reading")
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / filename
            path.write_bytes(content)
            parsed = parse_file(path)
            ocr = sum(1 for page in parsed.document.pages if page.ocr)
            _progress(session, job_id, status="storing", pages=len(parsed.document.pages), ocr_pages=ocr)
            embedder = embedder_from_config(config)
            project = get_or_create_project(session, project_name)
            if index_embedder(session) not in (None, embedder.name):
                reembed_all(session, embedder)
            result = store_document(session, project, parsed, embedder)
            session.commit()
    except (IngestError, ValueError) as error:
        session.rollback()
        _progress(
            session, job_id, status="failed", error=str(error), content=None, finished_at=datetime.now(UTC)
        )
        return "failed"
    except Exception as error:
        session.rollback()
        reason = f"The brochure could not be read ({type(error).__name__}); nothing was saved."
        _progress(session, job_id, status="failed", error=reason, content=None, finished_at=datetime.now(UTC))
        raise
    _progress(
        session,
        job_id,
        status="done",
        result=result.status,
        chunks=result.chunks,
        facts=result.facts,
        content=None,
        finished_at=datetime.now(UTC),
    )
    return "done"
