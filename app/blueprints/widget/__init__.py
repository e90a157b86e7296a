"""The chat widget: pages and fragments served inside an iframe on developers' websites."""

from flask import Blueprint

bp = Blueprint("widget", __name__)
