"""Opening a `.qdpx` (a zip) without trusting it.

Every member name is checked before anything is read (no absolute paths, drive letters, `..`
parts or NUL bytes), as are the member count, the total uncompressed size and each member's
compression ratio (zip bombs). Members are read into memory with a size cap, never extracted
to disk. Any problem is one WorkbenchError line.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from workbench.errors import WorkbenchError

MAX_MEMBERS = 10_000
MAX_TOTAL_BYTES = 1024 * 1024 * 1024  # 1 GiB uncompressed, all members together
MAX_RATIO = 200  # uncompressed / compressed, for members over RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")


def _bad_name(name: str) -> str | None:
    if "\x00" in name:
        return "a NUL byte in a member name"
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return f"an absolute member path '{name}'"
    if ".." in re.split(r"[/\\]", name):
        return f"a member path that leaves the archive '{name}'"
    return None


@dataclass
class SafeZip:
    """A checked archive: look members up by name (case-insensitively) and read them capped."""

    path: Path
    zf: zipfile.ZipFile

    def names(self) -> list[str]:
        return [i.filename for i in self.zf.infolist() if not i.is_dir()]

    def find(self, name: str) -> str | None:
        """The member called `name` (exact, else ignoring case and a leading `./`)."""
        wanted = name.removeprefix("./").replace("\\", "/")
        names = self.names()
        if wanted in names:
            return wanted
        folded = wanted.casefold()
        for n in names:
            if n.removeprefix("./").casefold() == folded:
                return n
        return None

    def read(self, name: str, limit: int) -> bytes:
        info = self.zf.getinfo(name)
        if info.file_size > limit:
            raise WorkbenchError(
                f"{self.path}: member '{name}' is {info.file_size:,} bytes, over the limit of "
                f"{limit:,}"
            )
        try:
            with self.zf.open(info) as fh:
                data = fh.read(limit + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise WorkbenchError(f"{self.path}: member '{name}' is damaged ({exc})") from exc
        except (RuntimeError, NotImplementedError) as exc:  # encrypted / unknown compression
            raise WorkbenchError(f"{self.path}: member '{name}' cannot be read ({exc})") from exc
        if len(data) > limit:
            raise WorkbenchError(f"{self.path}: member '{name}' is larger than it claims")
        return data

    def close(self) -> None:
        self.zf.close()


def open_archive(path: Path, kind: str = ".qdpx") -> SafeZip:
    """Open and check a zip (`kind`: a `.qdpx`, an Excel workbook); refuse anything unsafe or
    damaged before reading a member."""
    try:
        zf = zipfile.ZipFile(path)
    except FileNotFoundError as exc:
        raise WorkbenchError(f"{path}: no such file") from exc
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError) as exc:
        raise WorkbenchError(
            f"{path}: not a readable {kind}: the zip archive is damaged or truncated"
        ) from exc
    except OSError as exc:
        raise WorkbenchError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    try:
        _check(path, zf.infolist())
    except WorkbenchError:
        zf.close()
        raise
    return SafeZip(path, zf)


def _check(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_MEMBERS:
        raise WorkbenchError(f"{path}: refused: {len(infos):,} members (limit {MAX_MEMBERS:,})")
    total = 0
    for info in infos:
        problem = _bad_name(info.filename)
        if problem:
            raise WorkbenchError(f"{path}: refused: the archive holds {problem}")
        total += info.file_size
        if info.file_size > RATIO_FLOOR and (
            info.compress_size == 0 or info.file_size / info.compress_size > MAX_RATIO
        ):
            raise WorkbenchError(
                f"{path}: refused: member '{info.filename}' expands {info.compress_size:,} "
                f"bytes to {info.file_size:,} (a zip bomb?)"
            )
    if total > MAX_TOTAL_BYTES:
        raise WorkbenchError(
            f"{path}: refused: {total:,} bytes uncompressed, over the limit of {MAX_TOTAL_BYTES:,}"
        )
