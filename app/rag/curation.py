"""Curated facts: what the team confirms by hand, preferred over extracted facts."""

from __future__ import annotations

import re

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.models import Document, Fact, Project

KEY_RE = re.compile(r"^[a-z][a-z0-9_]*(:[A-Za-z0-9 ._-]+)?$")


def set_curated_fact(
    session: Session,
    project: Project,
    key: str,
    value: str,
    *,
    page: int | None = None,
    document: str | None = None,
) -> Fact:
    """Replace the curated value of ``key`` for ``project`` (caller commits)."""
    key, value = key.strip(), value.strip()
    if not KEY_RE.match(key):
        raise ValueError(
            f"Invalid fact key {key!r}: use lower-case words like rera_number or carpet_area:3BHK."
        )
    if not value:
        raise ValueError("A fact needs a non-empty value.")
    if page is not None and page < 1:
        raise ValueError("--page must be 1 or more.")
    doc = None
    if page is not None:
        documents = session.scalars(select(Document).where(Document.project_id == project.id)).all()
        if document:
            doc = next((d for d in documents if d.source == document), None)
            if doc is None:
                raise ValueError(f"{project.name} has no document named {document!r}.")
        elif len(documents) == 1:
            doc = documents[0]
        elif documents:
            names = ", ".join(d.source for d in documents)
            raise ValueError(f"{project.name} has several documents ({names}); name one with --document.")
        if doc is not None and page > doc.page_count:
            raise ValueError(f"{doc.source} has {doc.page_count} pages; page {page} does not exist.")
    session.execute(
        delete(Fact).where(Fact.project_id == project.id, Fact.key == key, Fact.origin == "curated")
    )
    fact = Fact(
        project_id=project.id,
        document_id=doc.id if doc else None,
        key=key,
        value=value,
        page=page,
        evidence="",
        origin="curated",
    )
    session.add(fact)
    session.flush()
    return fact
