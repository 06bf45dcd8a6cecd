"""The on-disk store cache: hits, invalidation, ownership, corruption, concurrency."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

import ddkb
from ddkb import store

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


def _stores(cache: Path) -> list[str]:
    root = cache / "stores"
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir())


def test_second_load_opens_the_built_store_read_only(cache_dir, user_file):
    first = ddkb.load(data=[user_file])
    assert not first.from_cache
    assert len(_stores(cache_dir)) == 1
    second = ddkb.load(data=[user_file])
    assert second.from_cache
    assert len(second.store) == len(first.store) > 8000
    assert second.lookup("port call") == T + "harbour-visit"
    node = ox.NamedNode(T + "x")
    with pytest.raises(RuntimeError, match="read-write"):
        second.store.add(ox.Quad(node, node, node))


def test_no_cache_neither_reads_nor_writes(cache_dir, user_file):
    kb = ddkb.load(data=[user_file], use_cache=False)
    assert not kb.from_cache
    assert kb.lookup("port call") == T + "harbour-visit"
    assert _stores(cache_dir) == []


def test_editing_an_input_file_gives_a_new_store(cache_dir, user_file):
    ddkb.load(data=[user_file])
    text = user_file.read_text(encoding="utf-8")
    user_file.write_text(text.replace('"zeta goodwill"@en', '"omega goodwill"@en'),
                         encoding="utf-8")
    kb = ddkb.load(data=[user_file])
    assert not kb.from_cache
    assert kb.label(T + "goodwill-zeta") == "omega goodwill"
    assert len(_stores(cache_dir)) == 2


def test_key_depends_on_infer_mode_format_graph_and_code(monkeypatch, tmp_path):
    digest = "0" * 64
    base = store.content_key([("g", "TURTLE", digest)], None)
    assert base != store.content_key([("g", "TURTLE", digest)], "rdfs")
    assert base != store.content_key([("g", "N_TRIPLES", digest)], None)
    assert base != store.content_key([("g2", "TURTLE", digest)], None)
    assert base != store.content_key([("g", "TURTLE", "1" * 64)], None)
    assert base == store.content_key([("g", "TURTLE", digest)], None)
    # the code that builds a store is part of the key: edit reason.py in a copy
    copy = tmp_path / "ddkb"
    shutil.copytree(store.paths.PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("_data"))
    monkeypatch.setattr(store.paths, "PACKAGE_DIR", copy)
    assert store.content_key([("g", "TURTLE", digest)], None) == base
    (copy / "reason.py").write_text((copy / "reason.py").read_text() + "\n# changed\n")
    assert store.content_key([("g", "TURTLE", digest)], None) != base


def test_a_broken_manifest_is_not_trusted(cache_dir, user_file):
    ddkb.load(data=[user_file])
    (name,) = _stores(cache_dir)
    manifest = cache_dir / "stores" / name / "manifest.json"
    data = json.loads(manifest.read_text())
    data["key"] = "0" * 64
    manifest.write_text(json.dumps(data))
    kb = ddkb.load(data=[user_file])
    assert not kb.from_cache
    assert kb.lookup("port call") == T + "harbour-visit"
    assert json.loads(manifest.read_text())["key"] == name


def _poison(folder: Path) -> None:
    """Plant an extra triple in a built store (as another user sharing the cache could)."""
    db = ox.Store(str(folder / "oxigraph"))
    db.add(ox.Quad(ox.NamedNode(T + "planted"), ox.NamedNode(T + "p"), ox.Literal("evil"),
                   ox.NamedNode(T + "g")))
    db.flush()
    del db


@pytest.mark.parametrize("how", ["other-owner", "group-writable"])
def test_a_store_that_is_not_ours_is_ignored(cache_dir, user_file, how):
    ddkb.load(data=[user_file])
    (name,) = _stores(cache_dir)
    folder = cache_dir / "stores" / name
    _poison(folder)
    if how == "other-owner":
        os.chown(folder, 12345, 12345)  # the tests run as root, as CI does
    else:
        folder.chmod(0o770)
    kb = ddkb.load(data=[user_file])
    ask = f"ASK {{ <{T}planted> ?p ?o }}"
    assert not kb.query(ask).boolean
    assert not kb.from_cache
    assert kb.lookup("port call") == T + "harbour-visit"


def test_a_shared_cache_folder_is_not_used(cache_dir, user_file):
    (cache_dir / "stores").mkdir(parents=True)
    (cache_dir / "stores").chmod(0o777)
    kb = ddkb.load(data=[user_file])
    assert kb.lookup("port call") == T + "harbour-visit"
    assert _stores(cache_dir) == []  # built in memory, nothing written there


def test_the_store_folder_is_private(cache_dir, user_file):
    ddkb.load(data=[user_file])
    assert (cache_dir / "stores").stat().st_mode & 0o777 == 0o700


def test_a_killed_build_leaves_nothing_that_is_used(cache_dir, user_file):
    kb = ddkb.load(data=[user_file])
    kb.close()
    (name,) = _stores(cache_dir)
    root = cache_dir / "stores"
    shutil.rmtree(root / name)
    half = root / f".{name}.build-99999"
    (half / "oxigraph").mkdir(parents=True)
    again = ddkb.load(data=[user_file])
    assert not again.from_cache
    assert not half.exists()
    assert again.lookup("port call") == T + "harbour-visit"


def test_clear_removes_stores_that_are_not_open(cache_dir, user_file, tmp_path):
    kb = ddkb.load(data=[user_file])
    other = tmp_path / "other.ttl"
    other.write_text(f"<{T}a> <{T}b> <{T}c> .\n")
    ddkb.load(data=[other]).close()
    assert len(_stores(cache_dir)) == 2
    assert store.clear() == 1  # the open one is kept
    assert kb.lookup("port call") == T + "harbour-visit"
    kb.close()
    assert store.clear() == 1
    assert _stores(cache_dir) == []


def test_parallel_processes_share_one_build(tmp_path, user_file):
    """Four ddkb processes start on an empty cache: one builds, the rest wait and read."""
    cache = tmp_path / "shared-cache"
    env = {**os.environ, "DDKB_CACHE_DIR": str(cache)}
    code = ("import ddkb, sys; kb = ddkb.load(data=[sys.argv[1]]); "
            "print(kb.from_cache, kb.query('SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }')"
            ".rows[0][0].value, kb.lookup('port call'))")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(user_file)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], [err for _, err in outputs]
    lines = [out.split() for out, _ in outputs]
    assert sorted(line[0] for line in lines) == ["False", "True", "True", "True"]
    assert len({line[1] for line in lines}) == 1
    assert {line[2] for line in lines} == {T + "harbour-visit"}
    root = cache / "stores"
    assert len([p for p in root.iterdir() if p.is_dir()]) == 1  # no half-built leftovers


def test_a_query_under_a_time_limit_runs_on_the_read_only_store(cache_dir, user_file):
    ddkb.load(data=[user_file]).close()
    kb = ddkb.load(data=[user_file])
    assert kb.from_cache
    result = kb.query(f"SELECT ?l WHERE {{ <{T}harbour-visit> skos:prefLabel ?l }}", timeout=20)
    assert [row[0].value for row in result.rows] == ["naval harbour visit"]


def test_an_unwritable_cache_folder_still_works(tmp_path, monkeypatch, user_file):
    blocker = tmp_path / "blocker"  # root ignores permissions: a path under a regular file
    blocker.write_text("x")
    monkeypatch.setenv("DDKB_CACHE_DIR", str(blocker / "cache"))
    kb = ddkb.load(data=[user_file])
    assert kb.lookup("port call") == T + "harbour-visit"
    assert not ddkb.load(data=[user_file]).from_cache


@pytest.mark.parametrize("how", ["other-owner", "world-writable"])
def test_a_cache_folder_others_control_is_not_used(cache_dir, user_file, how, runner, cli):
    ddkb.load(data=[user_file]).close()
    (name,) = _stores(cache_dir)
    _poison(cache_dir / "stores" / name)
    if how == "other-owner":
        os.chown(cache_dir, 54321, 54321)
        why = "is owned by another user (uid 54321)"
    else:
        cache_dir.chmod(0o777)
        why = "is writable by other users"
    kb = ddkb.load(data=[user_file])
    poisoned = f"ASK {{ <{T}planted> ?p ?o }}"
    assert not kb.from_cache and kb.query(poisoned).boolean is False
    warning = (f"the cache folder {cache_dir} {why}; running without the cache "
               "(use a private folder: chmod 700, or set DDKB_CACHE_DIR)")
    assert kb.warnings == [warning]
    res = runner.invoke(cli, ["--data", str(user_file), "query", poisoned])
    assert res.exit_code == 0 and res.stdout == "false\n"
    assert f"Warning: {warning}" in res.stderr


def test_show_finds_any_labelled_resource_through_the_label_index(tmp_path, cache_dir, cli,
                                                                   runner):
    """Not only SKOS concepts: a schema.org class (https IRIs, rdfs:label only) is found by
    IRI, CURIE and label, and printed like any concept card."""
    data = tmp_path / "sdo.ttl"
    data.write_text(
        "@prefix schema: <https://schema.org/> .\n"
        "@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        'schema:Organization a rdfs:Class ; rdfs:label "Organization" ;\n'
        '  rdfs:comment "An organized group such as a school, club or company." ;\n'
        "  rdfs:subClassOf schema:Thing .\n"
        'schema:Thing a rdfs:Class ; rdfs:label "Thing" .\n')
    for name in ("https://schema.org/Organization", "schema:Organization", "organization"):
        result = runner.invoke(cli, ["--data", str(data), "show", name])
        assert result.exit_code == 0, result.stderr
        lines = result.stdout.splitlines()
        assert lines[0] == "Organization"
        assert "Type:         rdfs:Class" in lines
        assert "    - Thing (https://schema.org/Thing)" in lines
    (store_dir,) = _stores(cache_dir)
    assert (cache_dir / "stores" / store_dir / "labels.sqlite").is_file()


def test_a_build_reports_bytes_while_a_file_is_parsed(cache_dir, tmp_path):
    """Progress moves inside one large file (not only at its end), then names each stage."""
    big = tmp_path / "big.nt"
    big.write_text("".join(f'<{T}s{i}> <{T}p> "value {i}" .\n' for i in range(40000)))
    seen: list[tuple[int, int | None, str]] = []
    ddkb.load(data=[big], progress=lambda done, total, what: seen.append((done, total, what)))
    loading = [done for done, _, what in seen if what == "loading"]
    total = seen[0][1]
    assert total and total > big.stat().st_size
    start = total - big.stat().st_size  # the big file is read last
    assert len([d for d in loading if start < d < total]) > 10  # reports inside the file
    assert loading == sorted(loading) and loading[-1] == total
    assert [what for _, _, what in seen if what != "loading"] == []  # no label index yet
    again: list = []
    kb = ddkb.load(data=[big], progress=lambda *a: again.append(a))
    assert again == []  # a warm run builds nothing
    kb.label_index()  # the first command that needs labels builds their index, once
    assert [what for _, _, what in again] == ["indexing labels (once for this data) ...",
                                             "indexing labels (once for this data): done"]
    kb.close()
    third: list = []
    assert ddkb.load(data=[big], progress=lambda *a: third.append(a)).label_index() is not None
    assert third == []


def test_the_label_index_is_built_on_first_need_not_by_query(cache_dir, tmp_path, runner, cli):
    """`ddkb query` never pays for the label index; `ddkb show` builds it once and keeps it."""
    data = tmp_path / "d.ttl"
    data.write_text(f'<{T}x> <http://www.w3.org/2004/02/skos/core#prefLabel> "Harbour visit" .\n')
    run = runner.invoke
    result = run(cli, ["--data", str(data), "query", "SELECT (COUNT(*) AS ?n) {?s ?p ?o}"])
    assert result.exit_code == 0, result.output
    (store_dir,) = _stores(cache_dir)
    index = cache_dir / "stores" / store_dir / "labels.sqlite"
    assert not index.exists()
    result = run(cli, ["--data", str(data), "show", "harbor visits"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "Harbour visit"
    assert index.is_file()
    built = index.stat().st_mtime_ns
    index.write_bytes(b"not an index")  # damaged or from another ddkb: rebuilt on next need
    result = run(cli, ["--data", str(data), "search", "harbour"])
    assert result.exit_code == 0 and "Harbour visit" in result.output, result.output
    assert index.read_bytes()[:16] == b"SQLite format 3\x00"
    assert index.stat().st_mtime_ns != built


def test_parallel_first_needs_build_one_usable_label_index(cache_dir, tmp_path, ddkb_exe):
    """Several processes asking for labels of a new store at once all answer, and agree."""
    data = tmp_path / "d.ttl"
    data.write_text("".join(f'<{T}c{i}> <http://www.w3.org/2004/02/skos/core#prefLabel> '
                            f'"concept number {i}" .\n' for i in range(3000)))
    env = {**os.environ, "DDKB_CACHE_DIR": str(cache_dir)}
    cmd = [ddkb_exe, "--data", str(data), "show", "concept number 1234"]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(4)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1] for o in outs]
    assert {o[0].splitlines()[0] for o in outs} == {"concept number 1234"}
    (store_dir,) = _stores(cache_dir)
    assert not [p for p in (cache_dir / "stores" / store_dir).iterdir()
                if p.name.endswith(".tmp")]


def test_the_progress_bar_draws_only_on_a_terminal():
    import io

    from ddkb.cli.common import progress_bar

    assert progress_bar(io.StringIO()) is None

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    draw = progress_bar(screen)
    import time

    time.sleep(0.6)  # it stays quiet for builds that finish within half a second
    draw(50_000_000, 100_000_000, "loading")
    draw(100_000_000, 100_000_000, "loading")
    text = screen.getvalue()
    assert "\rloading  50.0 MB / 100.0 MB" in text and "MB/s  ETA" in text
    assert text.endswith("\n")
