"""Logging in and out of the portal."""

from flask import Blueprint

bp = Blueprint("auth", __name__)
