"""Liveness and readiness probes."""

from flask import Blueprint

bp = Blueprint("health", __name__)
