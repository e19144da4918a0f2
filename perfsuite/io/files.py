"""Files the suite owns: written whole or not at all, read without blocking,
one suite per folder at a time.

Writing: a temporary file in the target's own folder, flushed and synced,
then renamed over the target. A rename replaces the name itself, so a link
planted where a report goes is replaced, never written through, and a write
that fails half-way (a full disk, a file-size limit) leaves the last good
file as it was. What stands at the target and is neither a regular file nor
a link (a folder, a FIFO, a device, a socket) is refused, named.

Reading: anything but a regular file is refused before a byte is read, and
the file is opened with O_NONBLOCK: a FIFO planted where results.json was
can never block the suite (a plain open() waits for a writer, and Python
retries it after every signal).

Locking: `FolderLock` holds an exclusive flock on DIR/.perfsuite.lock for as
long as a suite, a resume or a report rebuild uses DIR; a second is refused,
naming the first's pid. The kernel drops the lock when its holder ends,
however it ends (SIGKILL included).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from perfsuite.io.signals import held

LOCK_FILE = ".perfsuite.lock"
READ_LIMIT = 256 * 1024 * 1024  # results.json of thousands of runs stays far below this


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


FILE_MODE = 0o666 & ~_umask()  # what open() would have made; mkstemp makes 0600


class FileRefused(OSError):
    """A file the suite will not, or could not, read or write; str() names it and says why."""

    def __init__(self, path: Path | str, reason: str, code: int = errno.EINVAL) -> None:
        super().__init__(code, reason, str(path))
        self.path = Path(path)
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class WriteFailed(FileRefused):
    """A write that did not happen; the file that stood there (if any) is as it was."""

    def __str__(self) -> str:
        return f"cannot write {self.path}: {self.reason}"


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


def kind_of(mode: int) -> str | None:
    """What a file that is not a regular file is ('a FIFO', 'a folder', ...); None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    for test, name in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISLNK, "a symbolic link"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def not_regular(path: Path, follow: bool = True) -> str | None:
    """Why `path` cannot be read or written as a regular file ('is a FIFO, not a regular file'),
    or None: it is one, or nothing is there. With follow=False a link is taken as itself
    (a write replaces it)."""
    try:
        mode = (os.stat(path) if follow else os.lstat(path)).st_mode
    except FileNotFoundError:
        return None
    except OSError as error:
        return f"cannot be looked at ({_reason(error)})"
    if not follow and stat.S_ISLNK(mode):
        return None
    kind = kind_of(mode)
    return None if kind is None else f"is {kind}, not a regular file"


def _stage(path: Path, data: bytes | str) -> str:
    """The whole content in a temporary file beside `path`, synced; its name."""
    if (problem := not_regular(path, follow=False)) is not None:
        raise WriteFailed(path, problem)
    blob = data.encode("utf-8") if isinstance(data, str) else data
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{path.name[:80]}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise WriteFailed(path, _reason(error)) from None
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(blob)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temp, FILE_MODE)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        if isinstance(error, OSError):
            raise WriteFailed(path, _reason(error)) from None
        raise
    return temp


def write_files(contents: Mapping[Path, bytes | str]) -> None:
    """Write each file whole, or none of them: every temporary file is written
    before the first rename. WriteFailed names the file that failed."""
    staged: list[tuple[str, Path]] = []
    try:
        for path, data in contents.items():
            staged.append((_stage(path, data), path))
        with held():  # a signal does not land between two renames: the files stay a pair
            for temp, path in staged:
                try:
                    os.replace(temp, path)
                except OSError as error:
                    raise WriteFailed(path, _reason(error)) from None
    finally:
        for temp, _ in staged:
            with contextlib.suppress(OSError):  # renamed already, or nothing to take back
                os.unlink(temp)


def write_file(path: Path, data: bytes | str) -> Path:
    """Write `path` whole (see the module's docstring); WriteFailed if it could not be."""
    write_files({path: data})
    return path


def append_text(path: Path, text: str) -> None:
    """Append to a file that is not ours alone (a CI job summary) without ever
    blocking: a link, a FIFO, a device or a socket is refused (WriteFailed)."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, FILE_MODE)
    except OSError as error:
        reason = "is a symbolic link" if error.errno == errno.ELOOP else _reason(error)
        if error.errno == errno.ENXIO:  # a FIFO nobody reads, or a socket
            reason = f"{not_regular(path) or 'cannot be opened'} (no reader)"
        raise WriteFailed(path, reason) from None
    try:
        kind = kind_of(os.fstat(fd).st_mode)
        if kind is not None:
            raise WriteFailed(path, f"is {kind}, not a regular file")
        data = text.encode("utf-8")
        while data:
            data = data[os.write(fd, data) :]
    except WriteFailed:
        raise
    except OSError as error:
        raise WriteFailed(path, _reason(error)) from None
    finally:
        os.close(fd)


def read_bytes(path: Path, limit: int = READ_LIMIT) -> bytes:
    """A regular file's bytes (through a link, which writes nothing). FileRefused
    for anything else or for more than `limit` bytes; OSError as open() raises it
    otherwise (FileNotFoundError stays that)."""
    if (problem := not_regular(path)) is not None:
        raise FileRefused(path, problem)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        status = os.fstat(fd)  # what was opened, whatever the name pointed to a moment before
        kind = kind_of(status.st_mode)
        if kind is not None:
            raise FileRefused(path, f"is {kind}, not a regular file")
        if status.st_size > limit:
            raise FileRefused(path, f"is over {limit // 2**20} MiB")
        chunks, size = [], 0
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise FileRefused(path, f"is over {limit // 2**20} MiB")
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_text(path: Path, limit: int = READ_LIMIT) -> str:
    """read_bytes as UTF-8 (UnicodeDecodeError, a ValueError, if it is not)."""
    return read_bytes(path, limit).decode("utf-8")


class FolderBusy(Exception):
    """Another process holds the folder's lock."""

    def __init__(self, folder: Path, pid: int | None, holder: str = "") -> None:
        self.folder = folder
        self.pid = pid
        self.holder = holder or "another suite"
        which = f"pid {pid}" if pid is not None else "its pid not written yet"
        super().__init__(f"{folder} is in use by {self.holder} ({which}); wait for it to end or choose another folder")


class FolderLock:
    """An exclusive lock on a folder for one suite, resume or report rebuild
    at a time (flock on DIR/.perfsuite.lock, which holds the holder's pid and
    what it is: `holder`, e.g. "a report rebuild")."""

    def __init__(self, folder: Path, holder: str = "another suite") -> None:
        self.folder = folder
        self.path = folder / LOCK_FILE
        self.holder = " ".join(holder.split())[:200]
        self._fd: int | None = None

    def acquire(self) -> FolderLock:
        """FolderBusy if another holds it; FileRefused if the lock file cannot be used.
        A lock held already is kept (`with FolderLock(d).acquire():` holds it once)."""
        if self._fd is not None:
            return self
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        try:
            fd = os.open(self.path, flags, FILE_MODE)
        except OSError as error:
            reason = "is a symbolic link" if error.errno == errno.ELOOP else _reason(error)
            raise FileRefused(self.path, reason) from None
        try:
            kind = kind_of(os.fstat(fd).st_mode)
            if kind is not None:
                raise FileRefused(self.path, f"is {kind}, not a regular file")
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise FolderBusy(self.folder, *_holder_in(fd)) from None
            except OSError as error:
                raise FileRefused(self.path, f"cannot be locked ({_reason(error)})") from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()} {self.holder}\n".encode(), 0)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return self

    def release(self) -> None:
        """The lock file stays: removing it would let a third suite lock a new
        file while a second still holds the old one."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.release()


def _holder_in(fd: int) -> tuple[int | None, str]:
    """The pid and the description the lock file holds (None, "" where it holds none yet)."""
    with contextlib.suppress(OSError, ValueError):
        pid, _, holder = os.pread(fd, 256, 0).decode("utf-8", "replace").strip().partition(" ")
        return int(pid), holder
    return None, ""
