"""Every interface text has its Chinese translation (a missing one shows English to a
Chinese respondent), and the catalogue matches the texts in the code."""

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from tests.conftest import REPO

PO = REPO / "surveyapp" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2")]


def test_every_text_in_the_code_is_translated():
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    translated = {(m.id[0] if isinstance(m.id, tuple) else m.id)
                  for m in catalog if m.id and not m.fuzzy
                  and all(m.string if isinstance(m.string, tuple) else (m.string,))}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            REPO / "surveyapp", METHODS, keywords={"_": None, "gettext": None, "_l": None,
                                                   "lazy_gettext": None, "ngettext": (1, 2)}):
        found.add(message if isinstance(message, str) else message[0])
    missing = sorted(found - translated)
    assert not missing, f"untranslated texts: {missing}"


def test_pages_follow_the_chosen_language(logged_in):
    chinese = logged_in.get("/accounts?lang=zh").get_data(as_text=True)
    assert "还没有调查活动。" in chinese and "退出" in chinese
    # the choice is remembered for the next page
    assert "还没有调查活动。" in logged_in.get("/accounts").get_data(as_text=True)
    english = logged_in.get("/accounts?lang=en").get_data(as_text=True)
    assert "There is no survey campaign yet." in english


def test_the_compiled_catalogue_matches_the_translations():
    # the .mo file ships in the package; it must say what the .po file says
    from babel.messages.mofile import read_mo

    def plain(value):
        return tuple(value) if isinstance(value, list | tuple) else value

    with PO.open("rb") as fh:
        po = {plain(m.id): plain(m.string) for m in read_po(fh) if m.id and not m.fuzzy}
    with PO.with_suffix(".mo").open("rb") as fh:
        mo = {plain(m.id): plain(m.string) for m in read_mo(fh) if m.id}
    assert mo == po, "run: pybabel compile -d surveyapp/translations"
