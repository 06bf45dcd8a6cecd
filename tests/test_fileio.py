"""Atomic writes: whole file or nothing, ordinary permissions, inputs protected."""

from __future__ import annotations

import os
import stat

import pytest

from ddkb.errors import InputError
from ddkb.fileio import write_atomic


def test_new_file_gets_umask_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        path = write_atomic(tmp_path / "out.html", "<p>x</p>")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert path.read_text() == "<p>x</p>"


def test_existing_file_keeps_its_mode_and_no_temp_file_is_left(tmp_path):
    path = tmp_path / "out.ttl"
    path.write_text("old")
    path.chmod(0o640)
    write_atomic(path, b"new")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert path.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.ttl"]


def test_refuses_to_overwrite_an_input_and_a_missing_folder(tmp_path):
    source = tmp_path / "mine.ttl"
    source.write_text("keep")
    with pytest.raises(InputError, match="refusing to overwrite an input file"):
        write_atomic(source, "x", protect=[source])
    assert source.read_text() == "keep"
    with pytest.raises(InputError, match="does not exist"):
        write_atomic(tmp_path / "nope" / "out.txt", "x")
