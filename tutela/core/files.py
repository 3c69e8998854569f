"""Files under TUTELA_HOME are private to the account that runs Tutela: files 0600, directories 0700.

The database holds session keys and personal data, the mail directory holds verification codes and
private links, the exports hold access packages: none of it may be readable by another local user,
whatever umask the shell, the service manager or the WSGI server started Tutela with. Two measures:

- the entry points (``tutela``, ``manage.py``, the WSGI application) set the process umask to 077
  before anything is created, so every file Tutela or SQLite creates is private from the start;
- :func:`secure_home` tightens what already exists (a database created by an older version, or by a
  process started some other way) and runs at start and after each command.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from collections.abc import Iterable
from pathlib import Path

#: the umask of every Tutela process: nothing for the group, nothing for others
PRIVATE_UMASK = 0o077
FILE_MODE = 0o600
DIR_MODE = 0o700
LOG_DIR_NAME = "log"
#: directories under TUTELA_HOME that hold nothing private (collected static assets) or that the operator
#: fills and owns (the files the retention sweep manages): left as they are
_NOT_OURS = ("static", "files")


def set_private_umask() -> None:
    os.umask(PRIVATE_UMASK)


def _tighten(path: Path, mode: int) -> None:
    try:
        current = path.lstat()
    except OSError:
        return
    if stat.S_ISLNK(current.st_mode):
        return  # never follow a link out of the tree
    if stat.S_IMODE(current.st_mode) != mode:
        with contextlib.suppress(OSError):  # not ours to change (another owner): nothing better to do
            path.chmod(mode)


def make_private_tree(root: Path) -> None:
    """``root`` and everything below it: directories 0700, files 0600 (links are not followed)."""
    if not root.is_dir() or root.is_symlink():
        if root.is_file():
            _tighten(root, FILE_MODE)
        return
    _tighten(root, DIR_MODE)
    for folder, dirs, files in os.walk(root):
        base = Path(folder)
        for name in dirs:
            _tighten(base / name, DIR_MODE)
        for name in files:
            _tighten(base / name, FILE_MODE)


def secure_home(home: Path, *, also: Iterable[Path] = (), databases: Iterable[Path] = ()) -> None:
    """Make TUTELA_HOME private: the directory itself, each entry in it (recursively, except the
    operator's files and the static assets), the SQLite database with its -wal/-shm/-journal, and
    ``also`` (the mail and export directories when configured outside TUTELA_HOME)."""
    if not home.is_dir():
        return
    _tighten(home, DIR_MODE)
    for entry in home.iterdir():
        if entry.name in _NOT_OURS:
            continue
        make_private_tree(entry)
    for database in databases:
        for suffix in ("", "-wal", "-shm", "-journal"):
            candidate = Path(f"{database}{suffix}")
            if candidate.exists():
                _tighten(candidate, FILE_MODE)
    for extra in also:
        if extra.exists():
            make_private_tree(extra)


def secure_configured_home() -> None:
    """:func:`secure_home` for the running settings (the embedded database, mail and export directories)."""
    from django.conf import settings

    databases = [
        Path(str(db["NAME"]))
        for db in settings.DATABASES.values()
        if db.get("ENGINE") == "django.db.backends.sqlite3"
        and str(db.get("NAME", ":memory:")) != ":memory:"
        and "mode=memory" not in str(db.get("NAME", ""))
    ]
    also = [Path(settings.TUTELA_EXPORT_DIR), Path(settings.LOG_DIR)]
    mail_dir = getattr(settings, "EMAIL_FILE_PATH", None)
    if mail_dir:
        also.append(Path(mail_dir))
    secure_home(Path(settings.TUTELA_HOME), also=also, databases=databases)


def _private_directory(path: Path) -> None:
    if not path.exists():
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    _tighten(path, DIR_MODE)


def private_append(path: Path, text: str) -> None:
    """Append ``text`` to ``path``, creating it 0600 (and its directory 0700) whatever the umask."""
    _private_directory(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        os.write(fd, text.encode("utf-8", "replace"))
    finally:
        os.close(fd)


class PrivateFileHandler(logging.FileHandler):
    """A log file created 0600 in a 0700 directory, whatever the umask (delay=True: created on first use)."""

    def __init__(
        self, filename: str, mode: str = "a", encoding: str | None = "utf-8", delay: bool = True
    ) -> None:
        super().__init__(filename, mode=mode, encoding=encoding, delay=delay)

    def _open(self):  # type: ignore[no-untyped-def]
        path = Path(self.baseFilename)
        _private_directory(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
        os.fchmod(fd, FILE_MODE)
        return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)
