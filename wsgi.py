"""WSGI entry point for gunicorn: ``gunicorn wsgi:app``."""

from app import create_app, embedded

embedded.ensure_services()
app = create_app()
