"""Named stores: `ddkb load --store DIR FILE...` once, then `ddkb --store DIR ...` to read."""

from __future__ import annotations

import gc
import json
import os
import shutil
import subprocess
import sys

import pytest

import ddkb
from ddkb import paths
from ddkb.errors import InputError
from ddkb.store import LockFile, StoreError
from ddkb.userstore import load_files

EX = "http://example.org/x/"
TTL = """@prefix ex: <http://example.org/x/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
ex:a a skos:Concept ; skos:prefLabel "{label}"@en .
"""


@pytest.fixture()
def user_file(tmp_path):
    path = tmp_path / "mine.ttl"
    path.write_text(TTL.format(label="alpha thing"), encoding="utf-8")
    return path


def _ddkb(*args, **kwargs):
    exe = shutil.which("ddkb", path=os.path.dirname(sys.executable)) or shutil.which("ddkb")
    assert exe, "the ddkb console script is not installed beside this Python"
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=300, **kwargs)


def _labels(kb, iri):
    rows = kb.query(f"SELECT ?l WHERE {{ <{iri}> skos:prefLabel ?l }}").rows
    return [row[0].value for row in rows]


def test_load_then_read_with_store(tmp_path, user_file):
    folder = tmp_path / "st"
    report = load_files(folder, [user_file])
    assert report["loaded"] == [str(user_file)]
    assert report["bundled_loaded"] > 10
    graph = user_file.resolve().as_uri()
    assert report["graphs"][graph] == 2
    kb = ddkb.load(store=folder)
    assert kb.lookup("alpha thing") == EX + "a"
    assert kb.lookup("CBM") == "https://w3id.org/ddkb/confidence-building-measures"
    assert graph in kb.graphs()
    assert {f.graph for f in kb.files if not f.bundled} == {graph}
    kb.close()


def test_a_second_load_skips_unchanged_files_and_replaces_changed_ones(tmp_path, user_file):
    folder = tmp_path / "st"
    load_files(folder, [user_file])
    again = load_files(folder, [user_file])
    assert again["loaded"] == [] and again["skipped"] == [str(user_file)]
    assert again["bundled_loaded"] == 0
    user_file.write_text(TTL.format(label="beta thing"), encoding="utf-8")
    third = load_files(folder, [user_file])
    assert third["loaded"] == [str(user_file)]
    kb = ddkb.load(store=folder)
    assert _labels(kb, EX + "a") == ["beta thing"]  # replaced, not added
    kb.close()


def test_the_cli_loads_once_and_every_command_reads_the_store(tmp_path, user_file):
    folder = tmp_path / "st"
    first = _ddkb("load", "--store", str(folder), str(user_file))
    assert first.returncode == 0, first.stderr
    assert f"loaded   {user_file}" in first.stdout
    # one graph per bundled file (ontology, KB, shapes...) and one for the user's file
    assert f"{len(paths.bundled_rdf_files()) + 1} graphs" in first.stdout
    shown = _ddkb("--store", str(folder), "show", "alpha thing")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("alpha thing")
    env = {**os.environ, "DDKB_STORE": str(folder)}
    listed = _ddkb("query", "-n", "instruments", "--format", "csv", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "joint military exercise" in listed.stdout


def test_a_folder_that_is_not_a_store_is_refused(tmp_path, user_file):
    with pytest.raises(StoreError, match="no such store folder"):
        ddkb.load(store=tmp_path / "missing")
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(StoreError, match="not a ddkb store"):
        ddkb.load(store=other)
    with pytest.raises(StoreError, match="not empty and not a ddkb store"):
        load_files(other, [user_file])
    assert (other / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"]
    proc = _ddkb("--store", str(other), "stats")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"Error: {other}: not a ddkb store (no ddkb-store.json); create one with "
        "'ddkb load --store DIR FILE...'"]


def test_a_store_from_another_format_is_refused(tmp_path, user_file):
    folder = tmp_path / "st"
    load_files(folder, [user_file])
    manifest = folder / "ddkb-store.json"
    data = json.loads(manifest.read_text())
    data["format"], data["version"] = 0, "0.0.1"
    manifest.write_text(json.dumps(data))
    with pytest.raises(StoreError, match=r"made by ddkb 0\.0\.1 \(store format 0\)"):
        ddkb.load(store=folder)


def test_data_and_store_together_are_refused(tmp_path, user_file):
    folder = tmp_path / "st"
    load_files(folder, [user_file])
    with pytest.raises(InputError, match="--data cannot be combined with --store"):
        ddkb.load(data=[user_file], store=folder)


def test_a_store_being_loaded_is_not_read_and_a_store_in_use_is_not_loaded(tmp_path, user_file):
    folder = tmp_path / "st"
    load_files(folder, [user_file])
    writer = LockFile(folder / ".lock")
    assert writer.exclusive(wait=False)
    proc = _ddkb("--store", str(folder), "stats")
    assert proc.returncode == 2
    assert "another ddkb process is loading into this store" in proc.stderr
    writer.release()
    reader = ddkb.load(store=folder)
    with pytest.raises(StoreError, match="another ddkb process is using this store"):
        load_files(folder, [user_file])
    reader.close()
    assert load_files(folder, [user_file])["skipped"] == [str(user_file)]


def test_an_interrupted_load_is_refused_then_repaired(tmp_path, user_file):
    folder = tmp_path / "st"
    load_files(folder, [user_file])
    manifest = folder / "ddkb-store.json"
    data = json.loads(manifest.read_text())
    graph = user_file.resolve().as_uri()
    data["loading"] = graph
    manifest.write_text(json.dumps(data))
    with pytest.raises(StoreError, match="was interrupted"):
        ddkb.load(store=folder)
    report = load_files(folder, [user_file])
    assert report["loaded"] == [str(user_file)]  # reloaded although its hash is unchanged
    kb = ddkb.load(store=folder)
    assert _labels(kb, EX + "a") == ["alpha thing"]
    kb.close()


def test_inference_is_kept_in_the_store(tmp_path, user_file):
    folder = tmp_path / "st"
    load_files(folder, [user_file], infer="rdfs")
    kb = ddkb.load(store=folder)
    assert kb.infer == "rdfs"
    assert any(g.endswith("/inferred/rdfs") for g in kb.graphs())
    kb.close()
    with pytest.raises(InputError, match="was loaded with --infer rdfs"):
        ddkb.load(store=folder, infer="owlrl")


def test_a_read_only_store_is_readable(tmp_path, user_file):
    """A store on a read-only mount (or shared read-only) opens; loading into it is refused."""
    folder = tmp_path / "st"
    load_files(folder, [user_file])
    mount = tmp_path / "ro"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "--bind", str(folder), str(mount)],
                                           capture_output=True).returncode != 0:
        if os.environ.get("DDKB_REQUIRE_EXTERNAL") == "1":
            pytest.fail("a read-only bind mount is needed (root) under DDKB_REQUIRE_EXTERNAL=1")
        pytest.skip("needs root for a read-only bind mount")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(mount)], check=True)
        kb = ddkb.load(store=mount)
        assert kb.lookup("alpha thing") == EX + "a"
        kb.close()
        with pytest.raises(StoreError, match="not writable"):
            load_files(mount, [user_file])
    finally:  # a store still open keeps the mount busy: detach it lazily then
        gc.collect()
        if subprocess.run(["umount", str(mount)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mount)], check=True)
