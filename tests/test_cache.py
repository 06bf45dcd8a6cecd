"""The loaded-KB cache: hits, invalidation on edits, corruption, unwritable folders."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat

import pytest

import ddkb
from ddkb import cache

T = "http://example.org/t/"


@pytest.fixture()
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("DDKB_CACHE_DIR", str(folder))
    return folder


@pytest.fixture()
def user_file(tmp_path, fixtures_dir):
    path = tmp_path / "mine.ttl"
    shutil.copy(fixtures_dir / "core" / "concepts.ttl", path)
    return path


def _entries(folder):
    return sorted(p.name for p in folder.glob("*.nq"))


def test_second_load_hits_the_cache(cache_dir, user_file):
    first = ddkb.load(data=[user_file])
    assert not first.from_cache
    assert len(_entries(cache_dir)) == 1
    second = ddkb.load(data=[user_file])
    assert second.from_cache
    assert len(second.store) == len(first.store)
    assert second.lookup("port call") == T + "harbour-visit"
    assert [f.graph for f in second.files] == [f.graph for f in first.files]


def test_no_cache_neither_reads_nor_writes(cache_dir, user_file):
    kb = ddkb.load(data=[user_file], use_cache=False)
    assert not kb.from_cache
    assert not cache_dir.exists() or _entries(cache_dir) == []


def test_editing_an_input_file_invalidates_the_cache(cache_dir, user_file):
    ddkb.load(data=[user_file])
    text = user_file.read_text(encoding="utf-8")
    text = text.replace('"zeta goodwill"@en', '"omega goodwill"@en')
    user_file.write_text(text, encoding="utf-8")
    kb = ddkb.load(data=[user_file])
    assert not kb.from_cache
    assert kb.label(T + "goodwill-zeta") == "omega goodwill"
    assert len(_entries(cache_dir)) == 2


def test_infer_mode_and_format_are_part_of_the_key(user_file):
    content = user_file.read_bytes()
    base = cache.cache_key([("g", content, "TURTLE")], None)
    assert base != cache.cache_key([("g", content, "TURTLE")], "rdfs")
    assert base != cache.cache_key([("g", content, "N_TRIPLES")], None)
    assert base != cache.cache_key([("g2", content, "TURTLE")], None)
    assert base == cache.cache_key([("g", content, "TURTLE")], None)


@pytest.mark.parametrize("damage", ["payload", "manifest", "truncate"])
def test_a_corrupted_cache_is_detected_and_rebuilt(cache_dir, user_file, damage):
    reference = ddkb.load(data=[user_file])
    payload = next(cache_dir.glob("*.nq"))
    manifest = payload.with_suffix(".json")
    if damage == "payload":  # same size, different bytes: only the checksum can tell
        data = bytearray(payload.read_bytes())
        data[10] = ord("X") if data[10] != ord("X") else ord("Y")
        payload.write_bytes(bytes(data))
    elif damage == "manifest":
        manifest.write_text("{not json", encoding="utf-8")
    else:
        payload.write_bytes(payload.read_bytes()[:100])
    kb = ddkb.load(data=[user_file])
    assert not kb.from_cache
    assert len(kb.store) == len(reference.store)
    meta = json.loads(manifest.read_text(encoding="utf-8"))
    assert meta["size"] == payload.stat().st_size
    assert ddkb.load(data=[user_file]).from_cache


def test_unwritable_cache_dir_still_works(tmp_path, monkeypatch, user_file):
    if os.geteuid() == 0:
        # root ignores permissions: use a path under a regular file instead
        blocker = tmp_path / "blocker"
        blocker.write_text("x")
        monkeypatch.setenv("DDKB_CACHE_DIR", str(blocker / "cache"))
    else:
        folder = tmp_path / "ro"
        folder.mkdir()
        folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
        monkeypatch.setenv("DDKB_CACHE_DIR", str(folder))
    kb = ddkb.load(data=[user_file])
    assert kb.lookup("port call") == T + "harbour-visit"
    assert not ddkb.load(data=[user_file]).from_cache


def test_clear_removes_entries(cache_dir, user_file):
    ddkb.load(data=[user_file])
    assert cache.clear() == 2
    assert _entries(cache_dir) == []


# -- a cache folder shared with other users ------------------------------------------------

POISON = b'<http://example.org/t/poison> <http://www.w3.org/2004/02/skos/core#prefLabel> ' \
         b'"planted by someone else" .\n'
POISONED = 'ASK { ?s skos:prefLabel "planted by someone else" }'
OTHER_UID = 54321


def _forge(folder):
    """Add a triple to the cached payload and make its manifest agree: a consistent forgery."""
    payload = next(folder.glob("*.nq"))
    manifest = payload.with_suffix(".json")
    data = payload.read_bytes() + POISON
    payload.write_bytes(data)
    meta = json.loads(manifest.read_text(encoding="utf-8"))
    meta.update(size=len(data), sha256=hashlib.sha256(data).hexdigest())
    manifest.write_text(json.dumps(meta), encoding="utf-8")
    return payload, manifest


def _not_ours(path, how):
    if how == "other-owner":
        if os.geteuid() != 0:
            pytest.skip("only root can give a file to another user")
        os.chown(path, OTHER_UID, OTHER_UID)
    else:
        path.chmod(path.stat().st_mode | (stat.S_IWGRP if how == "group-writable"
                                          else stat.S_IWOTH))


def test_the_cache_folder_is_created_private(tmp_path, monkeypatch, user_file):
    folder = tmp_path / "new" / "cache"
    monkeypatch.setenv("DDKB_CACHE_DIR", str(folder))
    ddkb.load(data=[user_file])
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert len(_entries(folder)) == 1


@pytest.mark.parametrize("which", ["payload", "manifest"])
@pytest.mark.parametrize("how", ["other-owner", "group-writable", "world-writable"])
def test_entries_that_are_not_ours_are_ignored_and_left_alone(cache_dir, user_file, how, which):
    ddkb.load(data=[user_file])
    payload, manifest = _forge(cache_dir)
    control = ddkb.load(data=[user_file])  # our own entry is trusted: the forgery shows
    assert control.from_cache and control.query(POISONED).boolean
    target = payload if which == "payload" else manifest
    _not_ours(target, how)
    before = target.stat()
    kb = ddkb.load(data=[user_file])
    assert not kb.from_cache
    assert kb.query(POISONED).boolean is False  # rebuilt from the real sources
    assert kb.lookup("port call") == T + "harbour-visit"
    after = target.stat()  # neither deleted nor overwritten: it is not ours
    assert (after.st_ino, after.st_uid, after.st_mode, after.st_size) == \
        (before.st_ino, before.st_uid, before.st_mode, before.st_size)
    assert payload.read_bytes().endswith(POISON)
    assert cache.clear() == 1 and target.exists()  # clear removes only our own file


@pytest.mark.parametrize("how", ["other-owner", "world-writable"])
def test_a_cache_folder_others_control_is_not_used(cache_dir, user_file, how, runner, cli):
    ddkb.load(data=[user_file])
    _forge(cache_dir)
    _not_ours(cache_dir, how)
    kb = ddkb.load(data=[user_file])
    assert not kb.from_cache and kb.query(POISONED).boolean is False
    why = (f"is owned by another user (uid {OTHER_UID})" if how == "other-owner"
           else "is writable by other users")
    assert kb.warnings == [f"the cache folder {cache_dir} {why}; running without the cache "
                           "(use a private folder: chmod 700, or set DDKB_CACHE_DIR)"]
    second = user_file.with_name("second.ttl")
    second.write_bytes(user_file.read_bytes())
    ddkb.load(data=[second])
    assert len(_entries(cache_dir)) == 1  # nothing written there either
    res = runner.invoke(cli, ["--data", str(user_file), "query", POISONED])
    assert res.exit_code == 0 and res.stdout == "false\n"
    assert f"Warning: {kb.warnings[0]}" in res.stderr
