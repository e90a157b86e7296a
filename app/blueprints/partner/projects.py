"""``/partner/projects``: the catalogue (names, location, archived or not, brochures) and each
project's facts to correct, confirm or remove (app.portal.catalog)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from redis.exceptions import RedisError
from sqlalchemy import select

from app.blueprints.auth.access import role_required
from app.blueprints.fragments import page_or_fragment
from app.blueprints.partner import bp
from app.extensions import db
from app.models import Fact, IngestJob, Project
from app.portal import catalog
from app.portal.pipeline import PortalError
from app.rag.uploads import MAX_UPLOAD, UploadRefused, queue_upload
from workers.queues import get_queue
from workers.tasks import ingest_upload


def _project_or_404(project_id: int) -> Project:
    project = db.session.get(Project, project_id)
    if project is None:
        abort(404)
    return project


@bp.get("/projects")
@role_required("partner")
def projects():
    """Every project with its brochures and facts; archived ones last."""
    return render_template("partner/projects.html", rows=catalog.project_rows(db.session))


@bp.post("/projects/<int:project_id>")
@role_required("partner")
def edit_project(project_id: int):
    """Other names investors use for the project, and where it is."""
    project = _project_or_404(project_id)
    form = request.form
    try:
        catalog.update_project(
            db.session,
            project,
            aliases=form.get("aliases", ""),
            city=form.get("city", ""),
            locality=form.get("locality", ""),
            developer=form.get("developer", ""),
        )
    except PortalError as error:
        db.session.rollback()
        page = render_template(
            "partner/projects.html",
            rows=catalog.project_rows(db.session),
            error=str(error),
            error_id=project.id,
        )
        return page, 422
    db.session.commit()
    flash(f"{project.name} is saved.")
    return redirect(url_for("partner.projects"), 303)


@bp.post("/projects/<int:project_id>/archive")
@role_required("partner")
def archive_project(project_id: int):
    """Archive the project (no longer answered or offered) or, with ``archived=0``, bring it back."""
    project = _project_or_404(project_id)
    archived = request.form.get("archived", "1") == "1"
    catalog.set_archived(project, archived)
    db.session.commit()
    flash(
        f"{project.name} is archived: the bot no longer answers about it or offers it."
        if archived
        else f"{project.name} is back: the bot answers about it again."
    )
    return redirect(url_for("partner.projects"), 303)


@bp.get("/projects/<int:project_id>/facts")
@role_required("partner")
def project_facts(project_id: int):
    """The project's facts with their pages: correct, confirm or delete each."""
    project = _project_or_404(project_id)
    facts = catalog.project_facts(db.session, project)
    return render_template(
        "partner/facts.html", project=project, facts=facts, kept=catalog.kept_pdfs(db.session)
    )


@bp.get("/projects/<int:project_id>/pages/<int:document_id>/<int:page>.png")
@role_required("partner")
def page_preview(project_id: int, document_id: int, page: int):
    """A picture of a brochure page, to check a fact against it."""
    image = catalog.page_preview(db.session, _project_or_404(project_id), document_id, page)
    if image is None:
        abort(404)
    return image, 200, {"Content-Type": "image/png", "Cache-Control": "private, max-age=3600"}


@bp.post("/projects/<int:project_id>/facts/<int:fact_id>")
@role_required("partner")
def review_fact(project_id: int, fact_id: int):
    """``action``: confirm (keep as curated, with the value as typed) or delete."""
    project = _project_or_404(project_id)
    fact = db.session.get(Fact, fact_id)
    if fact is None or fact.project_id != project.id:
        abort(404)
    try:
        if request.form.get("action") == "delete":
            catalog.delete_fact(db.session, fact)
            message = f"Deleted: {fact.key}."
        else:
            kept = catalog.confirm_fact(db.session, fact, request.form.get("value"))
            message = f"Kept as confirmed: {kept.key} = {kept.value}."
    except PortalError as error:
        db.session.rollback()
        flash(str(error))
        return redirect(url_for("partner.project_facts", project_id=project.id), 303)
    db.session.commit()
    flash(message)
    return redirect(url_for("partner.project_facts", project_id=project.id), 303)


def _upload_page(status: int = 200, error: str | None = None):
    projects = list(db.session.scalars(select(Project).order_by(Project.name)))
    page = render_template(
        "partner/upload.html", projects=projects, error=error, chosen=request.values.get("project", "")
    )
    return page, status


@bp.get("/projects/upload")
@role_required("partner")
def upload_brochure():
    """The form to add a brochure PDF to a project (or a new project)."""
    return _upload_page()


@bp.post("/projects/upload")
@role_required("partner")
def upload_brochure_post():
    """Keep the PDF for a worker to read and show its progress; a wrong file is refused here."""
    request.max_content_length = MAX_UPLOAD + 1024 * 1024  # the form's fields beside the file
    upload = request.files.get("brochure")
    project = request.form.get("new_project", "").strip() or request.form.get("project", "")
    try:
        job = queue_upload(
            db.session, project, upload.filename if upload else "", upload.read() if upload else b""
        )
    except UploadRefused as refused:
        db.session.rollback()
        return _upload_page(422, str(refused))
    db.session.commit()
    try:
        get_queue(current_app.config).enqueue(ingest_upload, job.id, job_timeout=1800)
    except RedisError:
        current_app.logger.warning("queue unavailable: upload %s waits", job.id)
    return redirect(url_for("partner.upload_progress", job_id=job.id), 303)


@bp.get("/uploads/<int:job_id>")
@role_required("partner")
def upload_progress(job_id: int):
    """How far reading an uploaded brochure got; the fragment polls itself until it ends."""
    job = db.session.get(IngestJob, job_id)
    if job is None:
        abort(404)
    project = db.session.scalar(select(Project).where(Project.name == job.project_name))
    return page_or_fragment(
        "partner/upload_progress.html", "partner/_upload_status.html", job=job, project=project
    )
