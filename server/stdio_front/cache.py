"""The start-up answer cache of the stdio front end: what the MCP SDK answered, earlier, to the same opening lines.

An entry is keyed by everything the answer can depend on, and by nothing the front end has to interpret:

- the *context*: this cache format, the Python interpreter, the size and modification time of every file of the
  pykyverno packages, the installed distributions (names, hence versions, and install times) on ``sys.path``, and the
  ``serve`` settings (every parsed option, ``--allow-writes`` as it takes effect);
- the exact text of every line the client sent, from the first one up to and including the request.

So an answer is given from the cache only when the SDK itself has answered this very request, after these very
lines, with this very code and these settings; and only the requests of :data:`ANSWERABLE` (whose answers do not
depend on a cluster, the clock or anything else) are cached. The entry holds the SDK's response line verbatim.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import secrets
import stat
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger("pykyverno.mcp.front")

#: Bumped whenever what an entry holds or how keys are made changes.
FORMAT = 1
#: Requests whose SDK answer is cached: the handshake, the tool list, discovery and ping.
ANSWERABLE = frozenset({"initialize", "tools/list", "server/discover", "ping"})
#: Notifications that may come between them without ending the cacheable opening.
PASSIVE = frozenset({"notifications/initialized"})
#: Entries kept; the oldest beyond this are removed when a new one is written.
MAX_ENTRIES = 200
#: Environment variable naming the cache folder (else ``$XDG_CACHE_HOME/pykyverno``, else ``~/.cache/pykyverno``).
CACHE_DIR_ENV = "PYKYVERNO_CACHE_DIR"


def cache_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """The folder of the start-up answers (None when there is no home folder to put it in)."""
    env = os.environ if environ is None else environ
    explicit = env.get(CACHE_DIR_ENV, "").strip()
    if explicit:
        return Path(explicit).expanduser() / "mcp-start"
    base = env.get("XDG_CACHE_HOME", "").strip()
    if not base:
        home = os.path.expanduser("~")
        if home == "~" or not os.path.isabs(home):
            return None
        base = os.path.join(home, ".cache")
    return Path(base) / "pykyverno" / "mcp-start"


def context_digest(code_dirs: Iterable[Path], settings: Mapping[str, Any],
                   path_entries: Iterable[str] | None = None) -> bytes:
    """The digest of everything an answer may depend on besides the client's lines (see the module docstring)."""
    digest = hashlib.sha256(f"pykyverno-mcp-start {FORMAT}\0{sys.version}\0{sys.executable}\0".encode())
    for root in code_dirs:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                with contextlib.suppress(OSError):
                    stat = os.stat(path)
                    digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    for entry in sys.path if path_entries is None else path_entries:
        try:
            names = sorted(n for n in os.listdir(entry or ".") if n.endswith((".dist-info", ".egg-info", ".pth")))
        except OSError:
            continue
        for name in names:
            with contextlib.suppress(OSError):
                digest.update(f"{entry}\0{name}\0{os.stat(os.path.join(entry, name)).st_mtime_ns}\n".encode())
    digest.update(json.dumps(settings, sort_keys=True, default=repr).encode())
    return digest.digest()


class AnswerCache:
    """The SDK's response lines, stored one per file (named by its key) in ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def private(self) -> bool:
        """Whether the folder is one only this user can write to (a real folder, not a link, owned by this user,
        writable by nobody else): answers others could plant are never served, and never written there."""
        try:
            info = os.lstat(self.directory)
        except OSError:
            return False
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022:
            log.warning("the start-up cache folder %s is not private to this user: not used", self.directory)
            return False
        return True

    def load(self, key: str, request_id: int | str) -> str | None:
        """The response line stored under ``key``, when there is one, well-formed, answering ``request_id``, in a
        private folder and written by this user (never through a link)."""
        if not self.private():
            return None
        try:
            fd = os.open(self.directory / key, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            return None
        try:
            with os.fdopen(fd, "rb") as entry:
                info = os.fstat(entry.fileno())
                if info.st_uid != os.getuid() or info.st_mode & 0o022 or not stat.S_ISREG(info.st_mode):
                    return None
                text = entry.read().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        if not valid_answer(text, request_id):
            log.warning("ignoring a malformed start-up cache entry %s", key)
            return None
        return text

    def store(self, key: str, answer: str) -> None:
        """Keep ``answer`` under ``key`` (written whole or not at all, into a private folder only; failures are
        logged, never raised)."""
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not self.private():
                return
            temporary = self.directory / f".{key}.{os.getpid()}.{secrets.token_hex(8)}.tmp"
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(answer)
            os.replace(temporary, self.directory / key)
            self._prune()
        except OSError as exc:
            log.debug("cannot write the start-up cache in %s: %s", self.directory, exc)

    def forget(self, key: str) -> None:
        """Remove the entry ``key`` (if any)."""
        with contextlib.suppress(OSError):
            (self.directory / key).unlink()

    def _prune(self) -> None:
        entries = [e for e in os.scandir(self.directory) if not e.name.startswith(".")]
        if len(entries) <= MAX_ENTRIES:
            return
        entries.sort(key=lambda e: e.stat().st_mtime)
        for entry in entries[: len(entries) - MAX_ENTRIES]:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
        stale = time.time() - 3600
        for entry in os.scandir(self.directory):  # temporary files of writers that died
            if entry.name.startswith(".") and entry.stat().st_mtime < stale:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def valid_answer(text: str, request_id: int | str) -> bool:
    """Whether ``text`` is one JSON-RPC success line answering ``request_id`` (same value, same type)."""
    if "\n" in text or "\r" in text:
        return False
    try:
        answer = json.loads(text)
    except ValueError:
        return False
    return (isinstance(answer, dict) and answer.get("jsonrpc") == "2.0" and "result" in answer
            and type(answer.get("id")) is type(request_id) and answer.get("id") == request_id)


__all__ = ["ANSWERABLE", "CACHE_DIR_ENV", "FORMAT", "PASSIVE", "AnswerCache", "cache_dir", "context_digest",
           "valid_answer"]
