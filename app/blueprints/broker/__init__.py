"""The broker portal: the pool of qualified leads, claiming them and working the pipeline."""

from flask import Blueprint

bp = Blueprint("broker", __name__)
