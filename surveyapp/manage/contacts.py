"""Views: contacts — list and filter, edit, deactivate or reactivate, erase on request."""

from __future__ import annotations

import json

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length

from ..auth.forms import EmailAddressField
from ..db import get_session
from ..labels import ROLES
from ..models import Contact
from ..services import access
from ..services import contacts as contact_service
from . import bp

LANGUAGE_NAMES = {"zh": "中文", "en": "English"}
STATUS_LABELS = {
    "current": _l("Active and inactive"),
    "active": _l("Active"),
    "inactive": _l("Inactive"),
    "erased": _l("Erased"),
    "all": _l("All"),
}


class ContactForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=200)])
    email = EmailAddressField(_l("Email"), required=False)
    role = SelectField(_l("Buying role"), validate_choice=True)
    lang = SelectField(_l("Survey language"), validate_choice=True)


class ActiveForm(FlaskForm):
    pass


class EraseForm(FlaskForm):
    confirm = BooleanField(_l("I confirm that this person asked to be erased."),
                           validators=[InputRequired(_l("Tick the box to confirm."))])


def _languages() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def _contact(contact_id: int) -> Contact:
    """The contact, if the user may see its account (another manager's is not found)."""
    contact = contact_service.get(get_session(), contact_id)
    if contact is None or not access.can_see_account(current_user, contact.account):
        abort(404)
    return contact


@bp.route("/contacts")
@login_required
def contacts_list():
    session = get_session()
    visible = access.account_filter(current_user)
    code = request.args.get("account") or None
    account = contact_service.find_account(session, code, visible)
    status = request.args.get("status", "current")
    if status not in contact_service.STATUSES:
        status = "current"
    search = (request.args.get("q") or "").strip()[:100] or None
    page_number = request.args.get("page", 1, type=int)
    page = contact_service.list_contacts(session, account, status, search,
                                         page_number if page_number and page_number < 10**6
                                         else 1, visible=visible)
    return render_template("manage/contacts/list.html", page=page, account=account,
                           accounts=contact_service.accounts_for_filter(session, visible),
                           status=status, statuses=STATUS_LABELS, search=search or "",
                           unknown_account=code is not None and account is None,
                           language_names=LANGUAGE_NAMES)


@bp.route("/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
@login_required
def contact_edit(contact_id: int):
    contact = _contact(contact_id)
    if contact.erased_at is not None:
        flash(_("This contact was erased on request; there is nothing left to edit."), "error")
        return redirect(url_for("manage.contacts_list", status="erased"))
    form = ContactForm(obj=contact if request.method == "GET" else None)
    form.role.choices = [SelectChoice("", _("No role"))] + [
        SelectChoice(k, str(v)) for k, v in ROLES.items() if k != "unknown"]
    form.lang.choices = [SelectChoice(code, LANGUAGE_NAMES.get(code, code))
                         for code in _languages()]
    if request.method == "GET":
        form.role.data = contact.role or ""
    status = 200
    if form.validate_on_submit():
        try:
            contact_service.update_contact(
                get_session(), contact, name=form.name.data or "", email=form.email.data,
                role=form.role.data, lang=form.lang.data or "", languages=_languages())
        except contact_service.ContactError as exc:
            field = getattr(form, exc.field, None) if exc.field else None
            if field is not None:
                field.errors = [*field.errors, _("Not an email address.")
                                if exc.field == "email" else str(exc)]
            else:
                flash(str(exc), "error")
            status = 400
        else:
            flash(_("Saved %(name)s.", name=contact.name), "success")
            return redirect(url_for("manage.contacts_list", account=contact.account.code))
    elif request.method == "POST":
        status = 400
    return render_template("manage/contacts/edit.html", form=form, contact=contact,
                           active_form=ActiveForm(formdata=None)), status


@bp.route("/contacts/<int:contact_id>/active", methods=["POST"])
@login_required
def contact_active(contact_id: int):
    contact = _contact(contact_id)
    form = ActiveForm()
    wanted = request.form.get("active")
    if not form.validate_on_submit() or wanted not in ("0", "1"):
        abort(400)
    try:
        contact_service.set_active(get_session(), contact, wanted == "1")
    except contact_service.ContactError:
        flash(_("This contact was erased on request and cannot be reactivated."), "error")
    else:
        flash(_("%(name)s is active again: they can be invited and their link works.",
                name=contact.name) if wanted == "1" else
              _("%(name)s is deactivated: they are not invited and their link stores "
                "nothing.", name=contact.name), "success")
    return redirect(url_for("manage.contact_edit", contact_id=contact.id))


@bp.route("/contacts/<int:contact_id>/erase", methods=["GET", "POST"])
@login_required
def contact_erase(contact_id: int):
    contact = _contact(contact_id)
    if contact.erased_at is not None:
        flash(_("This contact was already erased."), "success")
        return redirect(url_for("manage.contacts_list", status="erased"))
    form = EraseForm()
    if form.validate_on_submit():
        code, account_code = contact.code, contact.account.code
        kept = contact_service.erase(get_session(), contact)
        flash(_("Contact %(code)s was erased: name and email are gone; %(n)d answer(s) stay "
                "in the figures without who gave them.", code=code, n=kept), "success")
        return redirect(url_for("manage.contacts_list", account=account_code))
    return render_template("manage/contacts/erase.html", form=form, contact=contact), \
        400 if request.method == "POST" else 200


@bp.route("/contacts/<int:contact_id>/data.json")
@login_required
def contact_data(contact_id: int):
    """Everything stored about the contact, as a file to give them on request."""
    contact = _contact(contact_id)
    data = contact_service.personal_data(get_session(), contact)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f"attachment; filename=contact-{contact.id}.json",
        "Cache-Control": "no-store"})
