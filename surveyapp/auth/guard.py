"""The access check before every view, and the pages that say no."""

from __future__ import annotations

from typing import Any

from flask import abort, has_request_context, render_template, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from ..extensions import login_manager
from ..ids import check_path_ids
from ..services import access


def enforce_access() -> Any:
    """Refuse what the endpoint's rule does not allow: no rule → 403 (fail closed); not
    logged in → the login page; a role without the right → 403. Ids in the path that no
    row can have → 404 before the view (or the database) sees them."""
    endpoint = request.endpoint
    if endpoint is None:  # routing failed: the 404 or 405 follows
        return None
    rule = access.rule_for(endpoint)
    if rule is None:
        abort(403)
    check_path_ids(request.view_args)
    if rule.public:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role not in rule.roles_for(request.method):
        abort(403)
    return None


def forbidden(_error: HTTPException) -> Any:
    return render_template("auth/forbidden.html"), 403


def too_many_attempts(error: HTTPException) -> Any:
    response = error.get_response()
    page = render_template("auth/too_many.html")
    headers = {k: v for k, v in response.headers.items() if k.lower() == "retry-after"}
    return page, 429, headers or {"Retry-After": "60"}


def template_globals() -> dict[str, Any]:
    # templates also render outside requests (mail from the CLI and the worker): nobody is
    # logged in there
    user = current_user if has_request_context() and current_user.is_authenticated else None
    return {"can_change_data": access.can_change_data(user),
            "can_manage_users": access.can_manage_users(user)}
