"""The loaded-KB cache: hits, invalidation on edits, corruption, unwritable folders."""

from __future__ import annotations

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
