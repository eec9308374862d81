"""Manager pages that change data: imports of accounts and contacts, contacts, survey waves.

One view module per area; each adds its routes to this blueprint.
"""

from flask import Blueprint

bp = Blueprint("manage", __name__)

from . import assessment, contacts, imports, preview, tasks, waves  # noqa: E402,F401  (the view modules add routes to bp)
