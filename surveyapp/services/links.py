"""A wave's survey links for sending by other means: a CSV or XLSX list, QR codes (PNG and
SVG) and a printable sheet per account, since Chinese customers are mostly reached through
WeChat rather than email.

Links are printed again from each invitation's salt and the app's ``SECRET_KEY`` (see
:mod:`.invitations`); deactivated and erased contacts get none.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

import segno
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis.report import write_text_safe

from ..models import Account, Campaign, Contact, Invitation
from .invitations import recover_token, reissue, token_from_stored

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet would run as a formula
LINK_COLUMNS = ("contact_id", "account_id", "email", "lang", "link", "name")
QR_ERROR_LEVEL = "m"  # 15 % of the code may be damaged or covered and it still reads


def survey_link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/s/{token}"


@dataclass(frozen=True)
class LinkRow:
    invitation_id: int
    contact_code: str
    contact_name: str
    role: str | None
    account_code: str
    account_name: str
    email: str
    lang: str
    link: str | None  # None: made before links could be printed again (reissue it)

    def cells(self) -> tuple[str, ...]:
        return (self.contact_code, self.account_code, self.email, self.lang,
                self.link or "", self.contact_name)


def link_rows(session: Session, campaign: Campaign, secret_key: str, base_url: str,
              account_code: str | None = None,
              visible: frozenset[str] | None = None) -> list[LinkRow]:
    """One row per reachable contact of the wave, by account then contact code; only of
    the accounts ``visible`` names (None = every account)."""
    query = (select(Invitation, Contact, Account)
             .join(Contact, Invitation.contact_id == Contact.id)
             .join(Account, Contact.account_id == Account.id)
             .where(Invitation.campaign_id == campaign.id, Contact.active.is_(True),
                    Contact.erased_at.is_(None))
             .order_by(Account.code, Contact.code))
    if account_code is not None:
        query = query.where(Account.code == account_code)
    if visible is not None:
        query = query.where(Account.code.in_(sorted(visible)))
    rows = []
    for invitation, contact, account in session.execute(query):
        token = recover_token(invitation, secret_key)
        rows.append(LinkRow(invitation.id, contact.code, contact.name, contact.role,
                            account.code, account.name, contact.email or "", contact.lang,
                            survey_link(base_url, token) if token else None))
    return rows


def _unprintable_ids(session: Session, campaign: Campaign, secret_key: str) -> list[int]:
    """Unanswered invitations of reachable contacts whose link cannot be printed again
    (read as plain columns: the wave page asks this of every invitation)."""
    query = (select(Invitation.id, Invitation.token_hash)
             .join(Contact, Invitation.contact_id == Contact.id)
             .where(Invitation.campaign_id == campaign.id, Invitation.responded_at.is_(None),
                    Contact.active.is_(True), Contact.erased_at.is_(None)))
    return [i for i, stored in session.execute(query)
            if token_from_stored(stored, secret_key) is None]


def _unprintable(session: Session, campaign: Campaign, secret_key: str) -> list[Invitation]:
    ids = _unprintable_ids(session, campaign, secret_key)
    return [session.get_one(Invitation, i) for i in ids]


def unprintable_count(session: Session, campaign: Campaign, secret_key: str) -> int:
    return len(_unprintable_ids(session, campaign, secret_key))


def reissue_unprintable(session: Session, campaign: Campaign, secret_key: str) -> int:
    """Give a new, printable link to each unanswered invitation whose link cannot be printed
    again (made before links were derived from the key, or under another ``SECRET_KEY``).
    Their old links stop working. Returns how many were reissued."""
    found = _unprintable(session, campaign, secret_key)
    for invitation in found:
        reissue(invitation, secret_key)
    session.commit()
    return len(found)


def _csv_cell(value: str) -> str:
    """Text a spreadsheet would run as a formula gets a leading apostrophe."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def links_csv(rows: Iterable[LinkRow]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel and WPS show Chinese names correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(LINK_COLUMNS)
    for row in rows:
        writer.writerow([_csv_cell(c) for c in row.cells()])
    return buffer.getvalue().encode("utf-8-sig")


def links_xlsx(rows: Iterable[LinkRow]) -> bytes:
    """The same table as a workbook; every cell is text, never a formula."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Links"
    for c, name in enumerate(LINK_COLUMNS, start=1):
        write_text_safe(sheet.cell(row=1, column=c), name)
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row.cells(), start=1):
            write_text_safe(sheet.cell(row=r, column=c), value)
    for letter, width in zip("ABCDEF", (14, 12, 32, 6, 80, 20), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def qr_code(link: str) -> segno.QRCode:
    return segno.make(link, error=QR_ERROR_LEVEL, micro=False)


def qr_png(link: str, scale: int = 8) -> bytes:
    buffer = io.BytesIO()
    qr_code(link).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def qr_svg(link: str, scale: int = 4) -> bytes:
    buffer = io.BytesIO()
    qr_code(link).save(buffer, kind="svg", scale=scale, border=4, xmldecl=True,
                       title=link)
    return buffer.getvalue()


def qr_data_uri(link: str) -> str:
    """An SVG data URI for the printable sheet: sharp at any print size."""
    return qr_code(link).svg_data_uri(scale=4, border=4)
