"""The translation catalogs: complete, well-formed, and in step with the source.

Every language in ``LANGUAGES`` other than English has ``translations/XX/LC_MESSAGES/messages.po``
with every message translated, nothing fuzzy, the right number of plural forms and exactly the
placeholders of its msgid. ``translations/messages.pot`` must hold exactly the messages that the
source marks today: this test re-extracts them the way ``make extract-translations`` does.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from app.config import BASE_DIR, LANGUAGES

TRANSLATIONS = BASE_DIR / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
TRANSLATED = sorted(code for code in LANGUAGES if code != "en")
FIX = "Run `make extract-translations`, then translate the new messages in translations/*/LC_MESSAGES/messages.po."

# %(name)s, %(num)d, %s, %% ... as Python's %-formatting reads them.
PLACEHOLDER = re.compile(r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<type>[diouxXeEfFgGcrsa%])")


def placeholders(text: str) -> list[str]:
    """The distinct placeholders of ``text`` (``%%`` left out), sorted."""
    return sorted({
        f"%({m['name']}){m['type']}" if m["name"] is not None else f"%{m['type']}"
        for m in PLACEHOLDER.finditer(text) if m["type"] != "%"
    })


def read_catalog(path: Path, locale: str | None = None):
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def msgids(catalog) -> set:
    return {m.id for m in catalog if m.id}


def describe(ids) -> str:
    return "\n".join(f"  - {i!r}" for i in sorted(ids, key=str))


def extract_command() -> list[str]:
    """The pybabel arguments of the Makefile's extract-translations target (after ``pybabel``)."""
    for line in (BASE_DIR / "Makefile").read_text(encoding="utf-8").splitlines():
        words = shlex.split(line.strip())
        if words and words[0].endswith("pybabel") and "extract" in words:
            return words[1:]
    return ["-q", "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-o", "translations/messages.pot", "."]


def test_the_template_is_up_to_date_with_the_source(tmp_path, monkeypatch):
    assert TEMPLATE.exists(), f"{TEMPLATE.relative_to(BASE_DIR)} is missing. {FIX}"
    args = extract_command()
    fresh = tmp_path / "fresh.pot"
    args[args.index("-o") + 1] = str(fresh)
    monkeypatch.chdir(BASE_DIR)
    CommandLineInterface().run(["pybabel", *args])

    in_source, in_template = msgids(read_catalog(fresh)), msgids(read_catalog(TEMPLATE))
    missing, stale = in_source - in_template, in_template - in_source
    problems = []
    if missing:
        problems.append(f"{len(missing)} message(s) in the source but not in translations/messages.pot:\n{describe(missing)}")
    if stale:
        problems.append(f"{len(stale)} message(s) in translations/messages.pot no longer in the source:\n{describe(stale)}")
    assert not problems, "translations/messages.pot is out of date.\n" + "\n".join(problems) + f"\n{FIX}"


def test_every_language_has_a_catalog():
    for code in TRANSLATED:
        path = TRANSLATIONS / code / "LC_MESSAGES" / "messages.po"
        assert path.exists(), f"{path.relative_to(BASE_DIR)} is missing: run `pybabel init -i translations/messages.pot -d translations -l {code}`"


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_catalog_is_complete_and_well_formed(code):
    path = TRANSLATIONS / code / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        pytest.fail(f"{path.relative_to(BASE_DIR)} is missing")
    catalog = read_catalog(path, locale=code)
    template = read_catalog(TEMPLATE)

    lacking, extra = msgids(template) - msgids(catalog), msgids(catalog) - msgids(template)
    assert not (lacking or extra), (
        f"{path.relative_to(BASE_DIR)} is not in step with translations/messages.pot:\n"
        + (f"{len(lacking)} message(s) missing:\n{describe(lacking)}\n" if lacking else "")
        + (f"{len(extra)} message(s) no longer in the template:\n{describe(extra)}\n" if extra else "")
        + FIX
    )
    assert not catalog.fuzzy, f"{path.relative_to(BASE_DIR)}: the header is marked fuzzy"

    untranslated, fuzzy, bad_plurals, bad_placeholders = [], [], [], []
    for message in catalog:
        if not message.id:
            continue
        if message.fuzzy:
            fuzzy.append(message.id)
        if message.pluralizable:
            strings = list(message.string) if isinstance(message.string, (tuple, list)) else [message.string]
            if len(strings) != catalog.num_plurals:
                bad_plurals.append(f"{message.id!r}: {len(strings)} form(s), {code} needs {catalog.num_plurals}")
            expected = placeholders(" ".join(message.id))
        else:
            strings = [message.string]
            expected = placeholders(message.id)
        if not all(s and s.strip() for s in strings):
            untranslated.append(message.id)
            continue
        for string in strings:
            found = placeholders(string)
            if found != expected:
                bad_placeholders.append(f"{message.id!r} -> {string!r}: has {found}, needs {expected}")

    errors = [f"{m.id!r}: {e}" for m, found in catalog.check() for e in found]
    problems = [
        (f"{len(untranslated)} untranslated message(s)", [repr(i) for i in untranslated]),
        (f"{len(fuzzy)} fuzzy message(s): check them and remove the fuzzy flag", [repr(i) for i in fuzzy]),
        ("wrong number of plural forms", bad_plurals),
        ("placeholders differ from the msgid", bad_placeholders),
        ("Babel's checks failed", errors),
    ]
    report = [f"{title}:\n" + "\n".join(f"  - {line}" for line in lines) for title, lines in problems if lines]
    assert not report, f"{path.relative_to(BASE_DIR)}:\n" + "\n".join(report)
