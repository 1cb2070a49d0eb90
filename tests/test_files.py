"""Files an input names are read only inside its directory, only when regular, and only up to a limit."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from omics_secure._internal.files import InputFileError, confined, read_confined, read_regular_file


def test_a_file_inside_the_directory_is_read(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "t.json").write_text("{}")
    assert read_confined(tmp_path, "sub/t.json", what="the template") == b"{}"
    assert confined(tmp_path, "sub/../sub/t.json", what="x") == (tmp_path / "sub" / "t.json").resolve()


@pytest.mark.parametrize(("name", "message"), [
    ("../outside.json", "resolves outside"),
    ("/etc/passwd", "is an absolute path"),
    ("missing.json", "does not exist"),
    ("", "is not a file name"),
    ("a\x00b", "is not a file name"),
])
def test_a_name_that_leaves_the_directory_or_names_nothing_is_refused(tmp_path, name, message):
    (tmp_path / "outside.json").write_text("{}")
    inside = tmp_path / "assembly"
    inside.mkdir()
    with pytest.raises(InputFileError, match=message):
        read_confined(inside, name, what="the template")


def test_a_symbolic_link_out_of_the_directory_is_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read")
    assembly = tmp_path / "assembly"
    assembly.mkdir()
    (assembly / "link.json").symlink_to(secret)
    (assembly / "proc.json").symlink_to("/proc/self/environ")
    for name in ("link.json", "proc.json"):
        with pytest.raises(InputFileError, match="resolves outside") as raised:
            read_confined(assembly, name, what="the template")
        assert "do not read" not in str(raised.value)


def test_a_link_that_stays_inside_is_followed(tmp_path):
    (tmp_path / "real.json").write_text('{"a": 1}')
    (tmp_path / "alias.json").symlink_to(tmp_path / "real.json")
    assert read_confined(tmp_path, "alias.json", what="the template") == b'{"a": 1}'


def test_devices_fifos_and_directories_are_never_read(tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(InputFileError, match="not a regular file \\(a FIFO\\)"):
        read_confined(tmp_path, "pipe.json", what="the template")
    assert time.monotonic() - started < 5  # opened without waiting for a writer
    with pytest.raises(InputFileError, match="not a regular file \\(a character device\\)"):
        read_regular_file(Path("/dev/zero"), what="the template")
    (tmp_path / "dir.json").mkdir()
    with pytest.raises(InputFileError, match="not a regular file \\(a directory\\)"):
        read_confined(tmp_path, "dir.json", what="the template")


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path):
    (tmp_path / "big.json").write_bytes(b" " * 2048)
    with pytest.raises(InputFileError, match="is 2,048 bytes, over the 1,024-byte limit"):
        read_confined(tmp_path, "big.json", what="the template", limit=1024)
    assert read_confined(tmp_path, "big.json", what="the template", limit=2048) == b" " * 2048
