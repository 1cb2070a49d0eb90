"""Files named by an input or a prop, confined to the directory they belong to.

A cloud assembly's manifest names its templates, metadata files and nested assemblies by relative path; a
template names its nested templates by ``TemplateURL``. Those names come from the input, so they are not
trusted: a path is followed only when, after every symbolic link is resolved, it stays inside the directory
it belongs to; only regular files are read (never a device, a FIFO or a directory), and only up to a size
limit. A path that breaks one of these rules is refused with an :class:`InputFileError` that names the path
as written and what is wrong, and nothing of the file reaches an output.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_INPUT_BYTES = 512 * 1024 * 1024
"""The largest file an input may name: 512 MiB. CloudFormation accepts templates of 1 MB (through S3), so
anything near this is not a template; the limit keeps a hostile manifest from exhausting memory."""


class InputFileError(ValueError):
    """A file an input names cannot be read safely; the message names it and says why."""


def confined(root: Path, relative: str | os.PathLike[str], *, what: str) -> Path:
    """``root / relative`` with every symbolic link resolved, when it stays inside ``root``.

    Raises :class:`InputFileError` for an absolute path, a path that leaves ``root`` (``..``, a symbolic link
    to elsewhere) or one that does not exist.
    """
    written = os.fspath(relative)
    if not written or "\x00" in written:
        raise InputFileError(f"{what} {written!r} is not a file name")
    if Path(written).is_absolute():
        raise InputFileError(f"{what} {written!r} is an absolute path; an input names its files relative to "
                             f"its own directory {root}")
    base = root.resolve()
    try:
        target = (base / written).resolve(strict=True)
    except FileNotFoundError as error:
        raise InputFileError(f"{what} {written!r} does not exist in {root}") from error
    except (OSError, RuntimeError) as error:  # a symbolic-link loop, a permission problem
        raise InputFileError(f"{what} {written!r} cannot be resolved in {root}: {error}") from error
    if not target.is_relative_to(base):
        raise InputFileError(f"{what} {written!r} resolves outside {root}; refusing to read it (an input may "
                             "name only files inside its own directory)")
    return target


def read_confined(root: Path, relative: str | os.PathLike[str], *, what: str,
                  limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of the regular file ``relative`` inside ``root`` (see :func:`confined`), at most ``limit``."""
    return read_regular_file(confined(root, relative, what=what), what=f"{what} {os.fspath(relative)!r}",
                             limit=limit)


def read_regular_file(path: Path, *, what: str, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of ``path`` when it is a regular file of at most ``limit`` bytes; :class:`InputFileError`
    otherwise. The file is opened without blocking (a FIFO would wait forever for a writer) and without
    following a final symbolic link, and checked on the open descriptor, so that what is read is what was
    checked."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError as error:
        raise InputFileError(f"{what} does not exist") from error
    except OSError as error:
        raise InputFileError(f"{what} cannot be opened: {error.strerror or error}") from error
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise InputFileError(f"{what} is not a regular file ({_kind(status.st_mode)}); refusing to read it")
        if status.st_size > limit:
            raise InputFileError(f"{what} is {status.st_size:,} bytes, over the {limit:,}-byte limit for an "
                                 "input file; a CloudFormation template is at most 1 MB")
        chunks = []
        remaining = limit + 1
        while remaining > 0:
            chunk = os.read(descriptor, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
        if len(data) > limit:  # grew while being read
            raise InputFileError(f"{what} is over the {limit:,}-byte limit for an input file")
        return data
    finally:
        os.close(descriptor)


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def escaping_entry(directory: Path) -> str | None:
    """Why the tree under ``directory`` cannot be bundled as it is, or None: the first entry (relative path)
    that is a symbolic link resolving outside ``directory``, or that is not a regular file or a directory (a
    FIFO, a device, a socket). Bundling follows links, so a link out of the tree would carry what it names."""
    base = directory.resolve()
    for root, directories, files in os.walk(base, followlinks=False):
        for name in [*directories, *files]:
            entry = Path(root) / name
            shown = entry.relative_to(base).as_posix()
            if entry.is_symlink():
                try:
                    target = entry.resolve(strict=True)
                except (OSError, RuntimeError):
                    return f"{shown} is a broken or looping symbolic link"
                if not target.is_relative_to(base):
                    return f"{shown} is a symbolic link to {target}, outside the directory"
                continue
            mode = entry.lstat().st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                return f"{shown} is {_kind(mode)}"
    return None
