"""Views: import accounts and contacts — upload, preview what would change, confirm.

Nothing is written until the manager confirms. The preview page carries the uploaded file
back to the server in a signed, compressed hidden field (the app's secret key, valid for
an hour, bound to the manager who uploaded it), so no upload is kept on one server's disk
or in its memory and any app server can take the confirmation. On confirmation the file is
checked and compared with the database again; if what it would change is no longer what
the preview showed, the new preview is shown instead of writing.
"""

from __future__ import annotations

import base64
import zlib
from pathlib import PurePath

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import HiddenField, RadioField, SelectChoice
from wtforms.validators import InputRequired

from ..db import get_session
from ..security import accepts_upload
from ..services import access, imports
from . import bp
from .import_problems import in_page_language

DEFAULT_MAX_BYTES = 5 * 1024 * 1024  # IMPORT_MAX_BYTES: about 50,000 contacts as CSV
FORM_OVERHEAD = 64 * 1024  # the multipart envelope, the CSRF token and the other fields
PREVIEW_MAX_AGE_S = 3600
PREVIEW_SALT = "surveyapp.import-preview"
SHOWN_ROWS = 300  # rows of changes and problems listed on the page; the counts are whole


class UploadForm(FlaskForm):
    kind = RadioField(_l("What the file holds"), default="accounts",
                      choices=[SelectChoice("accounts", _l("Accounts")),
                               SelectChoice("contacts", _l("Contacts"))],
                      validators=[InputRequired()])
    file = FileField(_l("File (CSV or Excel .xlsx)"),
                     validators=[FileRequired(_l("Choose a file."))])


class ConfirmForm(FlaskForm):
    upload = HiddenField(validators=[InputRequired()])


def _max_bytes() -> int:
    return int(current_app.config.get("IMPORT_MAX_BYTES") or DEFAULT_MAX_BYTES)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=PREVIEW_SALT)


def _seal(kind: str, name: str, data: bytes, digest: str, rows: int) -> str:
    packed = base64.b85encode(zlib.compress(data, 6)).decode("ascii")
    return _serializer().dumps({"k": kind, "n": name, "d": packed, "h": digest, "r": rows,
                                "u": current_user.get_id()})


def _unseal(token: str) -> dict | None:
    try:
        payload = _serializer().loads(token, max_age=PREVIEW_MAX_AGE_S)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(payload, dict) or payload.get("u") != current_user.get_id() \
            or payload.get("k") not in imports.KINDS:
        return None
    try:
        payload["d"] = zlib.decompress(base64.b85decode(payload["d"]),
                                       bufsize=_max_bytes() + 1)
    except (ValueError, TypeError, zlib.error):
        return None
    return payload


def _visible(session: Session) -> frozenset[str] | None:
    """The accounts the manager may change (None: every account, for an administrator)."""
    return access.visible_codes(session, current_user)


def _background_rows() -> int:
    return int(current_app.config.get("IMPORT_BACKGROUND_ROWS") or imports.BACKGROUND_ROWS)


def _settings() -> imports.ImportSettings:
    return imports.ImportSettings.from_config(current_app.config)


def _upload_page(form: UploadForm, status: int = 200):
    return render_template("manage/imports/upload.html", form=form,
                           max_mb=_max_bytes() / 2**20,
                           recent=imports.recent_imports(get_session())), status


def _preview_page(plan: imports.ImportPlan, data: bytes, status: int = 200):
    token = _seal(plan.kind, plan.source, data, plan.digest(), len(plan.rows)) \
        if plan.ok else None
    problems = [(error, in_page_language(error.message)) for error in plan.errors[:SHOWN_ROWS]]
    return render_template("manage/imports/preview.html", plan=plan, token=token,
                           problems=problems, form=ConfirmForm(formdata=None),
                           shown=SHOWN_ROWS), status


def _too_large():
    flash(_("The file is larger than %(mb).0f MB. Split it into smaller files, or ask the "
            "administrator to raise IMPORT_MAX_BYTES.", mb=_max_bytes() / 2**20), "error")
    return _upload_page(UploadForm(formdata=None), 413)


@bp.route("/import", methods=["GET"])
@login_required
def import_start():
    return _upload_page(UploadForm(formdata=None))


@bp.route("/import/preview", methods=["POST"])
@login_required
@accepts_upload
def import_preview():
    limit = _max_bytes()
    if (request.content_length or 0) > limit + FORM_OVERHEAD:
        return _too_large()
    request.max_content_length = limit + FORM_OVERHEAD
    try:
        form = UploadForm()
        valid = form.validate_on_submit()
    except RequestEntityTooLarge:
        return _too_large()
    if not valid:
        return _upload_page(form, 400)
    upload = form.file.data
    data = upload.read(limit + 1)
    if len(data) > limit:
        return _too_large()
    name = PurePath(upload.filename or "upload.csv").name[-120:] or "upload.csv"
    session = get_session()
    plan = imports.plan_import(session, form.kind.data, name, data, _settings(),
                               _visible(session))
    return _preview_page(plan, data, 200 if plan.ok else 422)


@bp.route("/import/confirm", methods=["POST"])
@login_required
@accepts_upload
def import_confirm():
    request.max_content_length = _max_bytes() * 2 + FORM_OVERHEAD
    request.max_form_memory_size = _max_bytes() * 2 + FORM_OVERHEAD
    try:
        form = ConfirmForm()
        valid = form.validate_on_submit()
    except RequestEntityTooLarge:
        return _too_large()
    payload = _unseal(form.upload.data or "") if valid else None
    if payload is None:
        flash(_("This preview has expired or is not yours. Upload the file again."), "error")
        return redirect(url_for("manage.import_start"))
    session = get_session()
    rows = payload.get("r")
    if isinstance(rows, int) and rows > _background_rows():
        # the worker checks the file against the preview again: no second check here
        visible = _visible(session)
        imports.import_job(payload["k"], payload["n"], payload["d"], payload["h"],
                           None if visible is None else sorted(visible), current_user.id)
        flash(_("%(source)s is being imported in the background (%(n)d rows). The result "
                "appears under “Recent imports” in a minute.", source=payload["n"], n=rows),
              "success")
        return redirect(url_for("manage.import_start"))
    plan = imports.plan_import(session, payload["k"], payload["n"], payload["d"], _settings(),
                               _visible(session))
    if plan.digest() != payload["h"]:
        flash(_("The data changed since this preview was made. Check the new preview and "
                "confirm again."), "error")
        return _preview_page(plan, payload["d"], 409)
    try:
        imports.apply_plan(session, plan)
    except imports.ImportRejected as exc:
        flash(str(exc), "error")
        return _preview_page(imports.plan_import(session, payload["k"], payload["n"],
                                                 payload["d"], _settings(), _visible(session)),
                             payload["d"], 409)
    counts = plan.counts
    flash(_("Imported %(source)s: %(new)d new, %(updated)d updated, %(unchanged)d unchanged, "
            "%(skipped)d skipped.", source=plan.source, **counts), "success")
    if plan.new_owners:
        flash(_("New account owners (they can log in once a password is set with "
                "“surveyapp create-user EMAIL”): %(emails)s",
                emails=", ".join(plan.new_owners)), "success")
    return redirect(url_for("manage.contacts_list") if plan.kind == "contacts"
                    else url_for("manage.import_start"))
