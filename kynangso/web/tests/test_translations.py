"""Vietnamese is the default language: every user-facing string must have a Vietnamese translation,
and the committed .mo must be the compiled form of the .po (users have no gettext to compile it)."""

import re
from pathlib import Path

import polib
from django.conf import settings

PO = Path(settings.BASE_DIR) / "locale" / "vi" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\{ ?\w+ ?\}\}|%[sd]")


def test_every_vietnamese_entry_is_translated():
    po = polib.pofile(str(PO))
    missing = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not missing, f"untranslated: {missing[:10]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:10]}"


def test_placeholders_survive_translation():
    for entry in polib.pofile(str(PO)).translated_entries():
        translations = [entry.msgstr] if not entry.msgid_plural else list(entry.msgstr_plural.values())
        for text in translations:
            assert sorted(PLACEHOLDER.findall(entry.msgid)) == sorted(PLACEHOLDER.findall(text)), entry.msgid


def test_compiled_catalogue_matches_the_po():
    po = polib.pofile(str(PO))
    mo = polib.mofile(str(PO.with_suffix(".mo")))
    compiled = {(e.msgctxt, e.msgid): e.msgstr or dict(e.msgstr_plural) for e in mo}
    for entry in po.translated_entries():
        expected = entry.msgstr or {int(k): v for k, v in entry.msgstr_plural.items()}
        got = compiled.get((entry.msgctxt, entry.msgid))
        if isinstance(got, dict):
            got = {int(k): v for k, v in got.items()}
        assert got == expected, f"{entry.msgid!r}: run `make messages` to recompile"


GETTEXT_CALLS = {"_", "gettext", "gettext_lazy", "pgettext", "pgettext_lazy", "ngettext", "ngettext_lazy"}
TEMPLATE_TRANSLATE = re.compile(r"""\{%\s*(?:translate|trans)\s+(["'])(.+?)\1(?:\s+context\s+(["'])(.+?)\3)?""")


def _source_msgids():
    """(context, msgid) of every literal passed to gettext in our Python code and {% translate %} tag."""
    import ast

    root = Path(settings.BASE_DIR)
    for path in [*root.glob("kynangso/**/*.py"), *root.glob("config/*.py")]:
        if "migrations" in path.parts or "tests" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) in GETTEXT_CALLS):
                continue
            contextual = node.func.id.startswith("pgettext")
            texts = node.args[: 2 if contextual else 1]  # (context, msgid) or (msgid,); a plural's msgid is its first
            if texts and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in texts):
                yield (texts[0].value if contextual else None), texts[-1].value, path
    for path in root.glob("kynangso/**/templates/**/*.html"):
        for match in TEMPLATE_TRANSLATE.finditer(path.read_text()):
            yield match.group(4), match.group(2), path


def test_every_string_in_the_code_is_in_the_catalogue():
    """Catches a string added without `make messages` (the .po would lack it, so the test above passes)."""
    catalogue = {(e.msgctxt, e.msgid) for e in polib.pofile(str(PO)).translated_entries()}
    sources = list(_source_msgids())
    assert len(sources) > 100  # the scan finds the code's strings at all
    missing = sorted({f"{msgid!r} ({path.name})" for ctx, msgid, path in sources if (ctx, msgid) not in catalogue})
    assert not missing, f"not in locale/vi (run `make messages`, then translate): {missing[:10]}"


def test_djangos_own_messages_that_its_catalogue_lacks_are_in_vietnamese(client, db):
    """A null character in the login form (pasted, or sent by a script) is refused in Vietnamese, not with
    Django's English message (kynangso/core/django_strings.py)."""
    page = client.post("/login/", {"username": "ai\x00do", "password": "x"}).content.decode()
    assert "Không được có ký tự rỗng (NUL)" in page and "Null characters" not in page
