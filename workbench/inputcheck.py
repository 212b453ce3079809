"""Checks on files a user hands us to read, made before anything opens them.

Only regular files are read: opening a FIFO blocks until a writer appears, a device can
stream for ever, and a folder is not a file. Every refusal is one line naming the file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from workbench.errors import WorkbenchError


def file_kind(mode: int) -> str:
    """A short name for what a stat mode says the path is."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISREG(mode):
        return "a regular file"
    return "not a regular file"


def require_regular_file(path: str | os.PathLike[str], what: str = "file") -> int:
    """Refuse a missing path or anything but a regular file (symlinks are followed).

    Returns the file's size in bytes. `what` names the file in the message ("codebook").
    """
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise WorkbenchError(f"{p}: cannot read the {what} (no such file)") from None
    except OSError as exc:
        raise WorkbenchError(f"{p}: cannot read the {what} ({exc.strerror or exc})") from None
    if not stat.S_ISREG(st.st_mode):
        raise WorkbenchError(
            f"{p}: is {file_kind(st.st_mode)}, not a file (only regular files are read)"
        )
    return st.st_size
