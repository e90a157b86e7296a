"""Sending a project's brochure: the PDF kept at ingest (``DocumentFile``), reached through a
signed link that expires.

WhatsApp (Meta) fetches a document from a link, so the link must be public: it is built on
``PORTAL_URL`` and signed with the app's secret, naming only the document, and stops working
after ``BROCHURE_LINK_HOURS``. Wati takes the bytes as an upload instead. The website chat shows
the same kind of link, made fresh each time the thread is drawn.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Document, DocumentFile, Project

SALT = "brochure-link"
DEFAULT_LINK_HOURS = 72
# What a brochure message carries in Message.interactive.
KEY = "document"


class LinkExpired(Exception):
    """A brochure link that was real but is too old; the investor can ask again."""


@dataclass(frozen=True)
class Brochure:
    """A project's brochure file, without its bytes."""

    document_id: int
    filename: str
    project: str

    def stored(self) -> dict[str, Any]:
        """The message's ``interactive`` value that makes it a brochure (``from_message`` reads it)."""
        return {KEY: {"document_id": self.document_id, "filename": self.filename, "project": self.project}}


def from_message(interactive: Mapping[str, Any] | None) -> Brochure | None:
    """The brochure a stored message sends, if it is one."""
    spec = (interactive or {}).get(KEY)
    if not isinstance(spec, Mapping):
        return None
    return Brochure(int(spec["document_id"]), str(spec["filename"]), str(spec.get("project") or ""))


def brochure_for(session: Session, project_id: int | None) -> Brochure | None:
    """The project's newest brochure PDF, or None when none was kept (a JSONL-only project)."""
    if project_id is None:
        return None
    row = session.execute(
        select(DocumentFile.document_id, DocumentFile.filename, Project.name)
        .join(Document, Document.id == DocumentFile.document_id)
        .join(Project, Project.id == Document.project_id)
        .where(Document.project_id == project_id)
        .order_by(Document.ingested_at.desc(), Document.id.desc())
        .limit(1)
    ).one_or_none()
    return Brochure(*row) if row else None


def projects_with_brochures(session: Session) -> list[Project]:
    """The projects that have a brochure to send, by name."""
    with_file = (
        select(Document.project_id)
        .join(DocumentFile, DocumentFile.document_id == Document.id)
        .where(Document.project_id == Project.id)
    )
    query = select(Project).where(with_file.exists(), Project.archived_at.is_(None))
    return list(session.scalars(query.order_by(Project.name)))


def _signer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=SALT)


def link_token(secret: str, document_id: int) -> str:
    """A token naming ``document_id``, signed with ``secret`` and stamped now."""
    return _signer(secret).dumps(document_id)


def document_for_token(secret: str, token: str, max_age_hours: float) -> int | None:
    """The document a token names; None when it is not ours; LinkExpired when it is too old."""
    try:
        value = _signer(secret).loads(token, max_age=int(max_age_hours * 3600))
    except SignatureExpired as error:
        raise LinkExpired from error
    except BadSignature:
        return None
    return value if isinstance(value, int) else None


def link_hours(config: Mapping[str, Any]) -> float:
    """How long a brochure link works (BROCHURE_LINK_HOURS)."""
    return float(config.get("BROCHURE_LINK_HOURS") or DEFAULT_LINK_HOURS)


def public_link(portal_url: str, secret: str, brochure: Brochure) -> str | None:
    """The link WhatsApp fetches the PDF from, or None without a public address (PORTAL_URL)."""
    base = (portal_url or "").rstrip("/")
    return f"{base}{link_path(secret, brochure)}" if base else None


def link_path(secret: str, brochure: Brochure) -> str:
    """The app-relative path of a brochure's signed link (the filename is there for the reader)."""
    return f"/brochures/{link_token(secret, brochure.document_id)}/{quote(brochure.filename)}"


def read_file(session: Session, document_id: int) -> DocumentFile | None:
    """The stored PDF, bytes and all."""
    return session.get(DocumentFile, document_id)


def is_kept(session: Session, document_id: int) -> bool:
    """Whether the PDF is still stored (without reading its bytes)."""
    found = select(DocumentFile.document_id).where(DocumentFile.document_id == document_id)
    return session.scalar(found) is not None
