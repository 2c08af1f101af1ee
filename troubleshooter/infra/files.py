"""The one writer: every file the tool writes goes through `write_file`.

- Whole or not at all: the text goes to a temporary file beside the target, then is renamed
  over it. The temporary name is unique to this writer (process id and random letters), so two
  runs writing the same file at once never share one, and it is created with `O_EXCL` and
  `O_NOFOLLOW`, so a link planted under that name is never followed. An interrupted or failed
  write removes its temporary file.
- `private` files (tokens, cached lists) are readable by their owner only (0600), in a folder
  only the owner can enter (0700). A `mode` given (bundles: 0600) is the file's, exactly.
- Otherwise a file that is replaced keeps its permissions (a 0600 file stays 0600, never
  widened to the umask's 0644); a new one gets the umask's.
- A target that is a pipe or a device (`/dev/stdout`, a FIFO) is written directly: renaming a
  file over it would replace the device. A folder is refused. A target that is a symbolic link
  is written where the link points (as a shell's `>` would), unless `follow_links` is False,
  in which case it is refused.

The result says whether an existing file was replaced, so that the caller can say so.

And the one reader for files a person names: `read_text` reads at most `MAX_READ` bytes (a
file, a pipe or `/dev/zero` alike) and says on which line a byte is not UTF-8.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from troubleshooter.errors import ConfigError

PRIVATE_FILE = stat.S_IRUSR | stat.S_IWUSR  # 0600
PRIVATE_FOLDER = stat.S_IRWXU  # 0700
MAX_READ = 256 * 1024 * 1024  # a bundle of a 50,000-contact organisation is about 60 MB


class UnreadableFile(OSError):
    """A file too large to read, or not UTF-8 text; `str()` says which, and where."""


def read_text(path: Path, limit: int = MAX_READ) -> str:
    """The file's text, read whole but never more than `limit` bytes. OSError (an
    `UnreadableFile` for the limit and for text that is not UTF-8) when it cannot be had."""
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise UnreadableFile(f"larger than {_size(limit)}, the most this tool reads")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise UnreadableFile(
            f"not UTF-8 text (line {line}: byte 0x{data[exc.start]:02x})"
        ) from None


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit:,} bytes"


@dataclass(frozen=True)
class Written:
    path: Path  # where the text went (a link's target, for a link)
    replaced: bool  # an existing file was replaced
    direct: bool = False  # a pipe or device, written in place


def private_folder(folder: Path) -> Path:
    """Makes `folder` and its missing parents, each only its owner can enter (0700), and keeps
    `folder` itself so. (`mkdir(parents=True, mode=…)` would give the parents the default mode:
    a data folder others can list.) Folders that were already there above it are left alone."""
    missing = []
    current = folder
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another run made it meanwhile
            path.mkdir(mode=PRIVATE_FOLDER)
        with contextlib.suppress(OSError):
            path.chmod(PRIVATE_FOLDER)  # the umask may have taken bits; make it exact
    if not folder.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(folder))
    with contextlib.suppress(OSError):  # not ours to change (a shared parent): leave it
        if stat.S_IMODE(folder.stat().st_mode) != PRIVATE_FOLDER:
            folder.chmod(PRIVATE_FOLDER)
    return folder


def write_file(
    path: Path,
    data: str | bytes | Sequence[bytes],
    *,
    private: bool = False,
    follow_links: bool = True,
    mode: int | None = None,
) -> Written:
    """Writes `data` (text as UTF-8, bytes, or bytes in parts, so that a large result is not
    copied to be joined) to `path`, whole or not at all. Problems become a ConfigError naming
    the path (never a traceback)."""
    payload: Sequence[bytes]
    if isinstance(data, str):
        payload = (data.encode("utf-8"),)
    elif isinstance(data, bytes):
        payload = (data,)
    else:
        payload = data
    try:
        if follow_links and path.exists() and not path.is_file() and not path.is_dir():
            # A pipe or a device, perhaps through a link (/dev/stdout → /proc/self/fd/1 →
            # "pipe:[…]", which resolves to no path at all): written where it leads.
            return _write_direct(path, payload)
        target = _target(path, follow_links)
        if target.exists() and not target.is_file():
            return _write_direct(target, payload)
        if private:
            private_folder(target.parent)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
        replaced = target.exists()
        if private:
            mode = PRIVATE_FILE
        elif mode is None and replaced:
            mode = stat.S_IMODE(target.stat().st_mode) & 0o777  # the permissions it had
        _write_atomic(target, payload, mode)
    except ConfigError:
        raise
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None
    return Written(target, replaced)


def _target(path: Path, follow_links: bool) -> Path:
    if path.is_symlink():
        if not follow_links:
            raise ConfigError(f"{path} is a symbolic link; refusing to write through it")
        path = path.resolve()
    if path.is_dir():
        raise ConfigError(f"{path} is a folder; name a file to write")
    return path


def _write_direct(target: Path, payload: Sequence[bytes]) -> Written:
    mode = target.stat().st_mode
    if not (stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISSOCK(mode)):
        raise ConfigError(f"{target} is not a file, a pipe or a device; refusing to write it")
    with open(target, "wb") as handle:
        for part in payload:
            handle.write(part)
    return Written(target, replaced=False, direct=True)


def _write_atomic(target: Path, payload: Sequence[bytes], mode: int | None) -> None:
    """`mode` None: a new file's, as the umask makes it; else exactly `mode`."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.partial")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    # With a mode to set, it is the owner's only while it is written, then given the mode.
    fd = os.open(temporary, flags, 0o666 if mode is None else PRIVATE_FILE)
    try:
        with os.fdopen(fd, "wb") as handle:
            for part in payload:
                handle.write(part)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temporary, mode)  # the umask may have taken bits; make it exact
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
