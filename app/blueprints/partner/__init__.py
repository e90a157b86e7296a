"""The partner portal: dashboard, leads, deals and brokers (every view needs the partner role)."""

from flask import Blueprint

bp = Blueprint("partner", __name__)
