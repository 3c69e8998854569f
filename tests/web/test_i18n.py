"""The compiled catalogues that ship with Tutela: complete, and in step with their sources."""

from __future__ import annotations

import gettext
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[2] / "tutela" / "locale"


def _unquote(line: str) -> str:
    body = line[line.index('"') + 1 : line.rindex('"')]
    return body.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def _entries(po: Path) -> list[tuple[str | None, str, str]]:
    """(msgctxt, msgid, msgstr) of each entry of a .po file; the first plural form stands for a plural entry."""
    out = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        current = ""
        for line in block.splitlines():
            if line.startswith("#"):
                continue
            if line.startswith('"'):
                fields[current] += _unquote(line)
                continue
            current = line.split(" ", 1)[0]
            fields[current] = _unquote(line)
        if fields.get("msgid"):
            out.append(
                (fields.get("msgctxt"), fields["msgid"], fields.get("msgstr", fields.get("msgstr[0]", "")))
            )
    return out


@pytest.mark.parametrize("language", ["fr", "nl"])
def test_catalogue_is_complete_and_compiled(language: str) -> None:
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    mo = LOCALE / language / "LC_MESSAGES" / "django.mo"
    assert '#, fuzzy\nmsgid "' not in po.read_text(encoding="utf-8").split("\n\n", 1)[1]
    entries = _entries(po)
    assert len(entries) > 200
    untranslated = [msgid for _, msgid, msgstr in entries if not msgstr]
    assert not untranslated, untranslated[:5]
    with mo.open("rb") as fh:
        catalogue = gettext.GNUTranslations(fh)
    for context, msgid, msgstr in entries:
        # a word with a context (``pgettext``: "Closed" of a breach, of a request) is looked up with it
        found = catalogue.pgettext(context, msgid) if context else catalogue.gettext(msgid)
        assert found in (msgstr, msgid), f"{language}: run `make messages` ({msgid!r})"
        assert found == msgstr or "%(" in msgid, f"{language}: stale .mo ({msgid!r})"
