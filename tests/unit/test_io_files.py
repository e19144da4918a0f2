"""Files the suite owns: whole or not at all, never through a planted link,
never blocking on a FIFO, one holder of a folder at a time."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from perfsuite.io.files import (
    FILE_MODE,
    LOCK_FILE,
    FileRefused,
    FolderBusy,
    FolderLock,
    WriteFailed,
    append_text,
    read_bytes,
    read_text,
    write_file,
    write_files,
)


def test_a_write_replaces_a_planted_link_and_leaves_its_target(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (tmp_path / "report.html").symlink_to(victim)
    write_file(tmp_path / "report.html", "<html>")
    assert victim.read_text() == "precious"
    assert not (tmp_path / "report.html").is_symlink()
    assert (tmp_path / "report.html").read_text() == "<html>"


def test_a_write_has_the_mode_open_would_give_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    write_file(tmp_path / "a.json", b"{}")
    assert stat.S_IMODE((tmp_path / "a.json").stat().st_mode) == FILE_MODE
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


@pytest.mark.parametrize("make", ["fifo", "folder"])
def test_a_write_refuses_what_is_not_a_regular_file(tmp_path: Path, make: str) -> None:
    target = tmp_path / "results.json"
    os.mkfifo(target) if make == "fifo" else target.mkdir()
    with pytest.raises(WriteFailed, match=f"cannot write {target}: is a {'FIFO' if make == 'fifo' else 'folder'}"):
        write_file(target, "{}")
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def test_several_files_are_written_all_or_none(tmp_path: Path) -> None:
    (tmp_path / "report.md").write_text("old md")
    (tmp_path / "report.html").mkdir()  # the second cannot be written
    with pytest.raises(WriteFailed, match="report.html: is a folder"):
        write_files({tmp_path / "report.md": "new md", tmp_path / "report.html": "new html"})
    assert (tmp_path / "report.md").read_text() == "old md"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "report.md"]


def test_a_write_into_a_missing_folder_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(WriteFailed, match=r"cannot write .*/nowhere/a.json: No such file or directory"):
        write_file(tmp_path / "nowhere" / "a.json", "{}")


def test_a_fifo_is_refused_at_once_when_read(tmp_path: Path) -> None:
    fifo = tmp_path / "results.json"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(FileRefused, match="results.json: is a FIFO, not a regular file"):
        read_text(fifo)
    assert time.monotonic() - started < 1.0


def test_a_device_and_a_socket_are_refused_when_read(tmp_path: Path) -> None:
    with pytest.raises(FileRefused, match="is a character device"):
        read_bytes(Path("/dev/zero"))
    import socket

    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(tmp_path / "s"))
        with pytest.raises(FileRefused, match="is a socket"):
            read_bytes(tmp_path / "s")


def test_a_read_is_bounded(tmp_path: Path) -> None:
    (tmp_path / "big").write_bytes(b"x" * 3 * 2**20)
    with pytest.raises(FileRefused, match="is over 2 MiB"):
        read_bytes(tmp_path / "big", limit=2 * 2**20)
    assert read_bytes(tmp_path / "big") == b"x" * 3 * 2**20


def test_a_missing_file_stays_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_text(tmp_path / "none.json")


def test_appending_never_blocks_on_a_fifo_nobody_reads(tmp_path: Path) -> None:
    fifo = tmp_path / "summary"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(WriteFailed, match="is a FIFO, not a regular file"):
        append_text(fifo, "# Suite\n")
    assert time.monotonic() - started < 1.0


def test_appending_adds_to_a_regular_file_and_refuses_a_link(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("before\n")
    append_text(summary, "after\n")
    assert summary.read_text() == "before\nafter\n"
    (tmp_path / "link").symlink_to(summary)
    with pytest.raises(WriteFailed, match="is a symbolic link"):
        append_text(tmp_path / "link", "x")


def test_a_folder_has_one_holder_and_the_second_is_told_the_first_pid(tmp_path: Path) -> None:
    with FolderLock(tmp_path):
        with pytest.raises(FolderBusy) as busy:
            FolderLock(tmp_path).acquire()
        assert busy.value.pid == os.getpid()
        assert f"in use by another suite (pid {os.getpid()})" in str(busy.value)
    with FolderLock(tmp_path, "a report rebuild"), pytest.raises(FolderBusy, match=r"in use by a report rebuild \(pid"):
        FolderLock(tmp_path).acquire()
    with FolderLock(tmp_path):  # released: free again
        pass


def test_a_planted_lock_link_or_fifo_is_refused(tmp_path: Path) -> None:
    (tmp_path / LOCK_FILE).symlink_to(tmp_path / "elsewhere")
    with pytest.raises(FileRefused, match="is a symbolic link"):
        FolderLock(tmp_path).acquire()
    assert not (tmp_path / "elsewhere").exists()
    (tmp_path / LOCK_FILE).unlink()
    os.mkfifo(tmp_path / LOCK_FILE)
    with pytest.raises(FileRefused, match="is a FIFO"):
        FolderLock(tmp_path).acquire()
