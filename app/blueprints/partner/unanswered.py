"""``/partner/unanswered``: the questions the brochures did not answer, and answering them."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from app.blueprints.auth.access import role_required
from app.blueprints.partner import bp
from app.extensions import db
from app.models import Document, Project
from app.models.columns import parse_id
from app.portal.refusals import refusal_trend, refused_questions
from app.rag.team_answers import add_team_answer


def _page(status: int = 200, **context):
    project_id = parse_id(request.values.get("project"))
    projects = list(db.session.scalars(select(Project).order_by(Project.name)))
    documents = {
        project.id: [
            d.source for d in db.session.scalars(select(Document).where(Document.project_id == project.id))
        ]
        for project in projects
    }
    page = render_template(
        "partner/unanswered.html",
        questions=refused_questions(db.session, project_id),
        trend=refusal_trend(db.session),
        projects=projects,
        project_id=project_id,
        documents=documents,
        **{"error": None, "typed": {}, **context},
    )
    return page, status


@bp.get("/unanswered")
@role_required("partner")
def unanswered():
    """Refused questions by project, most asked first, each with a form to answer it."""
    return _page()


@bp.post("/unanswered")
@role_required("partner")
def answer_unanswered():
    """Answer one: the reply and the brochure page it is on; the next investor asking gets it."""
    form = request.form
    project = (
        db.session.get(Project, parse_id(form.get("project_id")))
        if parse_id(form.get("project_id"))
        else None
    )
    page_text = form.get("page", "").strip()
    try:
        if project is None:
            raise ValueError("Choose the project the question was about.")
        if not form.get("answer", "").strip():
            raise ValueError("Write the answer.")
        if not page_text.isdigit():
            raise ValueError("Give the brochure page the answer is on (a number), so it is cited.")
        add_team_answer(
            db.session,
            project,
            form.get("question", ""),
            form["answer"],
            int(page_text),
            form.get("document") or None,
        )
    except ValueError as error:
        db.session.rollback()
        return _page(422, error=str(error), typed=form)
    db.session.commit()
    flash(f"Answered: the next investor asking “{form.get('question', '').strip()}” gets it, cited.")
    return redirect(url_for("partner.unanswered", project=form.get("project_filter") or None), 303)
