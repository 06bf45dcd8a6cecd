"""``ddkb release`` writes only into a new folder, an empty one, or one holding a
previous ddkb release (recognised by its manifest.json), and never replaces a file
that is not the unchanged output of that release or that the KB was read from."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ddkb import release
from ddkb.errors import InputError

IMPORTS = Path(__file__).parent / "fixtures" / "link" / "imports"
FOREIGN_MANIFEST = '{"name": "my-site", "files": ["index.html"]}\n'


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes)."""
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def ddkb_command() -> str:
    found = shutil.which("ddkb", path=os.path.dirname(sys.executable)) or shutil.which("ddkb")
    assert found, "the ddkb console script is not installed"
    return found


@pytest.fixture(scope="module")
def previous(tmp_path_factory) -> Path:
    """A release written into a folder that did not exist (nor did its parent)."""
    out = tmp_path_factory.mktemp("rel") / "new" / "dist"
    release.release(out)
    return out


@pytest.fixture()
def protege_folder(tmp_path) -> Path:
    """A user's folder: an ontology, the Protégé catalog its imports need, and a
    manifest.json of some other tool."""
    folder = tmp_path / "d"
    shutil.copytree(IMPORTS, folder)
    (folder / "manifest.json").write_text(FOREIGN_MANIFEST)
    return folder


def test_release_into_a_new_folder_writes_a_verified_release(previous):
    assert release.verify(previous) == []
    assert json.loads((previous / "manifest.json").read_text())["name"] == "ddkb"


def test_release_into_a_foreign_folder_is_refused_and_changes_nothing(protege_folder):
    before = snapshot(protege_folder)
    for data in ((), (protege_folder / "user.ttl",)):
        with pytest.raises(InputError) as err:
            release.release(protege_folder, data=data)
        assert str(err.value) == (
            f"{protege_folder}: folder is not empty and holds no ddkb release "
            "(no ddkb manifest.json); give a new or empty folder")
    assert snapshot(protege_folder) == before


def test_a_folder_with_only_a_catalog_is_refused(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    catalog = folder / "catalog-v001.xml"
    catalog.write_bytes((IMPORTS / "catalog-v001.xml").read_bytes())
    with pytest.raises(InputError, match="holds no ddkb release"):
        release.release(folder)
    assert snapshot(folder) == {"catalog-v001.xml": (IMPORTS / "catalog-v001.xml").read_bytes()}


def test_release_again_into_the_previous_release(previous, tmp_path):
    out = tmp_path / "dist"
    shutil.copytree(previous, out)
    (out / "NOTES.txt").write_text("my notes")  # someone else's file, left alone
    manifest = release.release(out)
    assert release.verify(out) == []
    assert json.loads((out / "manifest.json").read_text()) == manifest
    assert (out / "NOTES.txt").read_text() == "my notes"
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_release_into_an_empty_folder(tmp_path):
    release.release(tmp_path)
    assert release.verify(tmp_path) == []


def test_a_release_file_changed_since_is_not_overwritten(previous, tmp_path):
    out = tmp_path / "dist"
    shutil.copytree(previous, out)
    catalog = out / "catalog-v001.xml"
    catalog.write_bytes((IMPORTS / "catalog-v001.xml").read_bytes())  # edited by hand
    before = snapshot(out)
    with pytest.raises(InputError) as err:
        release.release(out)
    assert str(err.value) == (f"{catalog}: changed since the previous release (sha256 "
                              "differs from manifest.json); refusing to overwrite it")
    assert snapshot(out) == before


def test_a_file_the_previous_manifest_does_not_list_is_not_overwritten(previous, tmp_path):
    out = tmp_path / "dist"
    shutil.copytree(previous, out)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["files"] = [e for e in manifest["files"] if e["path"] != "catalog-v001.xml"]
    (out / "manifest.json").write_text(json.dumps(manifest))
    before = snapshot(out)
    with pytest.raises(InputError, match=r"catalog-v001.xml: not listed in .*manifest.json"):
        release.release(out)
    assert snapshot(out) == before


def test_the_catalog_of_a_data_file_is_an_input(previous, tmp_path):
    """A --data file kept in the release folder reads that folder's catalog-v001.xml."""
    out = tmp_path / "dist"
    shutil.copytree(previous, out)
    shutil.copy(IMPORTS.parent / "userdata.ttl", out / "mine.ttl")  # no imports
    before = snapshot(out)
    with pytest.raises(InputError) as err:
        release.release(out, data=[out / "mine.ttl"])
    assert str(err.value).startswith(
        f"{out / 'catalog-v001.xml'}: refusing to overwrite an input file")
    assert snapshot(out) == before


def test_cli_release_into_a_foreign_folder(cli, runner, protege_folder):
    before = snapshot(protege_folder)
    result = runner.invoke(cli, ["release", "--out", str(protege_folder)])
    assert result.exit_code == 2
    assert result.stderr == (f"Error: {protege_folder}: folder is not empty and holds no "
                             "ddkb release (no ddkb manifest.json); give a new or empty "
                             "folder\n")
    assert snapshot(protege_folder) == before


def test_cli_release_into_a_read_only_folder(cli, runner, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)  # refused even for root: judged from the mode bits
    try:
        for out, shown in ((locked, "the folder"), (locked / "dist", f"folder {locked}")):
            result = runner.invoke(cli, ["release", "--out", str(out)])
            assert result.exit_code == 2, result.stderr
            assert result.stderr == (f"Error: {out}: cannot write in {shown} (read-only or "
                                     "permission denied)\n")
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o755)


def test_real_ddkb_release_refuses_a_foreign_folder(protege_folder):
    before = snapshot(protege_folder)
    proc = subprocess.run([ddkb_command(), "release", "--out", "d", "--data", "d/user.ttl"],
                          cwd=protege_folder.parent, capture_output=True, text=True,
                          timeout=180)
    assert proc.returncode == 2
    assert proc.stderr == ("Error: d: folder is not empty and holds no ddkb release (no ddkb "
                           "manifest.json); give a new or empty folder\n")
    assert proc.stdout == ""
    assert snapshot(protege_folder) == before
