"""Every command that reads a file gets hostile input: a clear message, exit 2, no traceback, nothing written.

The commands run in process (through the real `tutela` entry point) on the test database, so that the
whole matrix stays quick; `tests/core/test_cli_foundation.py` covers the same entry point in a subprocess."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from tutela.cli import main
from tutela.core.models import AuditEntry


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    # a command run from the command line closes every connection when it ends; in process that would
    # close the test's own (transactional) connection, so leave it open
    with (
        mock.patch("django.core.management.base.connections.close_all"),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        try:
            main(["tutela", *args])
        except SystemExit as exc:
            code = int(exc.code or 0) if not isinstance(exc.code, str) else 2
    return code, out.getvalue(), err.getvalue()


HOSTILE: dict[str, Callable[[Path], Path]] = {
    "missing": lambda d: d / "does-not-exist.csv",
    "empty": lambda d: _write(d / "empty.csv", b""),
    "binary": lambda d: _write(d / "garbage.csv", bytes(range(256)) * 40),
    "latin-1": lambda d: _write(
        d / "latin1.csv", "email;first_name\nzoé@exemple.be;Zoé Müller\n".encode("latin-1")
    ),
    "utf-16": lambda d: _write(d / "utf16.csv", "email,first_name\nann@example.org,Ann\n".encode("utf-16")),
    "bad-json": lambda d: _write(d / "facts.json", b'{"data_categories": [user.name,}'),
    "bad-yaml": lambda d: _write(d / "doc.yaml", b"controllers:\n  - a: [b\n   c: }\n"),
    "deep-json": lambda d: _write(d / "deep.json", b"[" * 100_000 + b"]" * 100_000),
    "deep-yaml": lambda d: _write(d / "deep.yaml", b"a: " + b"[" * 100_000 + b"]" * 100_000 + b"\n"),
    "lone-surrogate": lambda d: _write(
        d / "surrogate.json", b'{"data_categories": ["\\ud800"], "controllers": "\\udfff"}'
    ),
    "huge-field": lambda d: _write(
        d / "huge.csv", b"email,first_name\nann@example.org," + b"x" * 3_000_000 + b"\n"
    ),
}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


COMMANDS: dict[str, Callable[[Path, Path], list[str]]] = {
    "policy check": lambda f, d: ["policy", "check", str(f)],
    "policy load": lambda f, d: ["policy", "load", str(f)],
    "import": lambda f, d: [
        "import",
        str(f),
        "--controller",
        "crm-asbl",
        "--subject-type",
        "prospect",
        "--source",
        "data-provider",
    ],
    "purpose scrub": lambda f, d: [
        "purpose",
        "scrub",
        str(f),
        "--purpose",
        "newsletter",
        "--out",
        str(d / "o.csv"),
    ],
    "breach assess": lambda f, d: ["breach", "assess", str(f)],
    "transfer rules update": lambda f, d: ["transfer", "rules", "update", str(f)],
    "restore": lambda f, d: [
        "restore",
        str(f),
        "--passphrase-file",
        str(_write(d / "pw", b"long enough passphrase")),
    ],
}

# an empty scrub list, or a UTF-16 file that announces itself with a byte-order mark, may be legitimately
# accepted; everything else must be refused
ACCEPTABLE_SUCCESS = {
    ("purpose scrub", "empty"),
    ("purpose scrub", "huge-field"),
    ("import", "utf-16"),
    ("purpose scrub", "utf-16"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", sorted(HOSTILE))
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_hostile_file_input_is_refused_clearly(command: str, kind: str, tmp_path: Path, policy: Any) -> None:
    target = HOSTILE[kind](tmp_path)
    before = AuditEntry.objects.count()
    code, out, err = run(*COMMANDS[command](target, tmp_path))
    assert "Traceback" not in err and "Traceback" not in out
    if (command, kind) in ACCEPTABLE_SUCCESS and code == 0:
        return
    assert code == 2, f"`tutela {command}` on {kind} input exited {code}: {err[-400:]}"
    assert (err + out).strip(), "no message saying what is wrong"
    assert "unexpected" not in err, f"hostile input is foreseeable: {err[-300:]}"
    assert AuditEntry.objects.count() == before, "a refused input changed something"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args",
    [
        ["rights", "deadline", "--received", "2025-02-30"],
        ["rights", "deadline", "--received", "yesterday"],
        ["transfer", "check", "--country", "XX"],
        ["transfer", "check", "--country", "US", "--on", "2025-02-30"],
        ["rights", "open", "teleport", "ann@example.org"],
        ["purpose", "check", "   ", "--purpose", "newsletter"],
        ["subject", "show", "<script>alert(1)</script>"],
        ["consent", "give", "not-an-email", "--purpose", "newsletter"],
    ],
    ids=lambda a: " ".join(a[:3]),
)
def test_bad_values_exit_2_with_a_message(args: list[str], policy: Any) -> None:
    code, _out, err = run(*args)
    assert "Traceback" not in err
    assert code == 2, f"`tutela {' '.join(args)}` exited {code}: {err[-300:]}"
    assert err.strip(), "no message on stderr"


#: whole numbers in other scripts: int() refuses "²" and "①" but reads "٣" (Arabic-Indic) as 3 and the fullwidth one as 1
ODD_NUMBERS = ["²", "①", "\u0663", "\uff11", str(10**20), str(2**63)]


@pytest.mark.django_db
@pytest.mark.parametrize("number", ODD_NUMBERS)
@pytest.mark.parametrize(
    "args",
    [
        ["rights", "fulfil", "{}"],
        ["breach", "show", "{}"],
        ["hold", "release", "{}"],
        ["policy", "diff", "1", "{}"],
        ["consent", "decide", "{}", "--uphold", "--balancing", "b"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_ids_are_ascii_whole_numbers_within_63_bits(args: list[str], number: str, policy: Any) -> None:
    code, out, err = run(*[a.replace("{}", number) for a in args], "--json")
    assert "Traceback" not in err and code == 2, (code, err[-300:])
    assert "not a whole number" in err, err[-300:]
    import json

    assert "not a whole number" in json.loads(out)["error"]


@pytest.mark.django_db
def test_subject_ids_in_other_digits_name_nobody(policy: Any) -> None:
    from tests.factories.subjects import SubjectFactory, email_item

    person = SubjectFactory()
    email_item(person, "digits.cli@example.org")
    other_digits = "".join(chr(0x660 + int(d)) for d in str(person.pk))
    code, out, err = run("subject", "show", other_digits, "--json")
    assert "Traceback" not in err and code == 2, (code, err[-300:])
    assert "digits.cli" not in out + err
    code, out, _err = run("subject", "show", str(person.pk), "--json")
    assert code == 0, _err[-300:]
