"""Docs are tested: every `tutela` command, sub-command and setting is documented."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class

from tutela.cli import ALIASES

ROOT = Path(__file__).resolve().parent.parent
DOCS = "\n".join(
    p.read_text(encoding="utf-8")
    for p in [ROOT / "README.md", ROOT / "bench" / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
)
WORDS = {v: k for k, v in ALIASES.items()}


def tutela_commands() -> list[tuple[str, str, list[str]]]:
    found = []
    for name, app in sorted(get_commands().items()):
        if not isinstance(app, str) or not app.startswith("tutela."):
            continue
        command = load_command_class(app, name)
        parser = command.create_parser("tutela", name)
        actions = [
            choice
            for action in parser._actions
            if isinstance(action, argparse._SubParsersAction)
            for choice in action.choices
        ]
        found.append((WORDS.get(name, name), app, actions))
    return found


@pytest.mark.parametrize(
    ("word", "app", "actions"), tutela_commands(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_command_and_action_is_documented(word: str, app: str, actions: list[str]) -> None:
    assert f"tutela {word}" in DOCS, f"`tutela {word}` ({app}) is not in README.md or docs/"
    missing = [a for a in actions if not re.search(rf"tutela {re.escape(word)} {re.escape(a)}\b", DOCS)]
    assert not missing, f"undocumented: {', '.join(f'tutela {word} {a}' for a in missing)}"


def test_every_environment_setting_is_documented() -> None:
    settings_doc = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    names: set[str] = set()
    for path in (ROOT / "tutela").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        names.update(re.findall(r"""env_(?:str|bool|int|list)\(\s*["']([A-Z0-9_]+)["']""", text))
        names.update(re.findall(r"""secret_from_env_or_file\(\s*["']([A-Z0-9_]+)["']""", text))
        names.update(re.findall(r"""os\.environ(?:\.get)?[\(\[]\s*["'](TUTELA_[A-Z0-9_]+)["']""", text))
    assert names, "found no settings at all: the scan is broken"
    missing = sorted(n for n in names if f"`{n}`" not in settings_doc)
    assert not missing, f"settings missing from docs/settings.md: {missing}"
