"""User graphs beside the bundled KB: owl:imports through a local catalog, and conflicts."""

from __future__ import annotations

import http.server
import socket
import threading
from pathlib import Path

import pytest

import ddkb
from ddkb import usergraphs
from ddkb.errors import DataFileError, RefusedError

FIXTURES = Path(__file__).parent / "fixtures" / "link"
IMPORTS = FIXTURES / "imports"
USER = IMPORTS / "user.ttl"
CONFLICTS = FIXTURES / "conflicts.ttl"
UNRESOLVED = FIXTURES / "remote" / "unresolved.ttl"


@pytest.fixture()
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test (rather than reaching the network)."""
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_catalog_maps_iris_to_local_files():
    catalog = usergraphs.read_catalog(IMPORTS / "catalog-v001.xml")
    assert catalog == {
        "http://example.org/ext/vocab": (IMPORTS / "ext" / "vocab.ttl").resolve(),
        "http://example.org/ext/base": (IMPORTS / "ext" / "base.ttl").resolve(),
    }


def test_imports_resolve_transitively_through_the_catalog(no_network):
    files = usergraphs.resolve_imports([USER])
    assert [p.resolve() for p in files] == [
        USER.resolve(), (IMPORTS / "ext" / "vocab.ttl").resolve(),
        (IMPORTS / "ext" / "base.ttl").resolve()]  # ddkb's own ontology: bundled, not added


def test_loader_loads_the_imported_files(no_network):
    kb = ddkb.load(data=[USER], use_cache=False)
    rows = kb.select("SELECT ?l WHERE { <http://example.org/user/Drill> rdfs:label ?l }")
    assert [r["l"].value for r in rows] == ["drill"]
    graphs = {f.graph for f in kb.files if not f.bundled}
    assert (IMPORTS / "ext" / "base.ttl").resolve().as_uri() in graphs


def test_unresolvable_import_is_refused_without_touching_the_network(no_network):
    with pytest.raises(RefusedError) as err:
        usergraphs.resolve_imports([UNRESOLVED])
    message = str(err.value)
    assert "<http://127.0.0.1:9/not-in-any-catalog.ttl>" in message
    assert "--allow-network" in message and "unresolved.ttl" in message
    assert "\n" not in message


def test_cli_strict_imports_refuses_the_import_in_one_line(cli, runner, no_network):
    result = runner.invoke(cli, ["--strict-imports", "--data", str(UNRESOLVED), "export",
                                 "--format", "nt"])
    assert result.exit_code == 2
    assert result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert line == (f"Error: {UNRESOLVED}: owl:imports <{MISSING_IRI}> has no local copy in "
                    "any catalog-v001.xml (next to this file or to the --data files); add a "
                    "<uri name=... uri=...> entry for a local copy, or use --allow-network "
                    "to fetch it")
    with pytest.raises(RefusedError, match="has no local copy"):
        ddkb.load(data=[UNRESOLVED], strict_imports=True, use_cache=False)


MISSING_IRI = "http://127.0.0.1:9/not-in-any-catalog.ttl"
MISSING_WARNING = (f"{UNRESOLVED} imports <{MISSING_IRI}>, which has no local copy: loaded "
                   f"{UNRESOLVED} without it (add it to a catalog-v001.xml beside "
                   f"{UNRESOLVED}, or use --allow-network to fetch it; --strict-imports "
                   "refuses instead)")
OWN_TRIPLE = 'ASK { <http://example.org/remote-user#x> rdfs:label "x"@en }'


def test_missing_import_is_left_out_with_a_warning(no_network, tmp_path, monkeypatch):
    monkeypatch.setenv("DDKB_CACHE_DIR", str(tmp_path / "cache"))
    first = ddkb.load(data=[UNRESOLVED])
    again = ddkb.load(data=[UNRESOLVED])  # a warm run: the store comes from the cache
    memory = ddkb.load(data=[UNRESOLVED], use_cache=False)
    assert not first.from_cache and again.from_cache
    for kb in (first, again, memory):
        assert kb.warnings == [MISSING_WARNING]
        assert kb.query(OWN_TRIPLE).boolean
        assert [f.path for f in kb.files if not f.bundled] == [UNRESOLVED]


def test_cli_warns_about_the_missing_import_on_every_run(cli, runner, no_network, tmp_path,
                                                        monkeypatch):
    monkeypatch.setenv("DDKB_CACHE_DIR", str(tmp_path / "cache"))
    args = ["--data", str(UNRESOLVED), "query", "--format", "csv",
            "SELECT ?l WHERE { <http://example.org/remote-user#x> rdfs:label ?l }"]
    for _ in range(2):  # cold, then from the cached store
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, result.stderr
        assert result.stdout.splitlines() == ["l", "x"]
        assert result.stderr.splitlines() == [f"Warning: {MISSING_WARNING}"]
    assert list((tmp_path / "cache").iterdir())  # the second run had a store to reuse


def test_installed_ddkb_warns_and_strict_refuses(ddkb_exe, tmp_path):
    import os
    import subprocess

    env = {**os.environ, "DDKB_CACHE_DIR": str(tmp_path / "cache")}
    base = [ddkb_exe, "--data", str(UNRESOLVED), "query", OWN_TRIPLE]
    loose = subprocess.run(base, capture_output=True, text=True, env=env, cwd=tmp_path,
                           timeout=120)
    assert loose.returncode == 0 and loose.stdout.strip() == "true", loose.stderr
    assert loose.stderr.splitlines() == [f"Warning: {MISSING_WARNING}"]
    strict = subprocess.run([*base, "--strict-imports"], capture_output=True, text=True,
                            env=env, cwd=tmp_path, timeout=120)
    assert strict.returncode == 2 and strict.stdout == ""
    assert strict.stderr.startswith(f"Error: {UNRESOLVED}: owl:imports <{MISSING_IRI}> has "
                                    "no local copy")


def test_catalog_entry_pointing_nowhere_is_an_error(tmp_path):
    (tmp_path / "catalog-v001.xml").write_text(
        '<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">'
        '<uri name="http://example.org/gone" uri="gone.ttl"/></catalog>')
    user = tmp_path / "u.ttl"
    user.write_text("<http://example.org/u> <http://www.w3.org/2002/07/owl#imports> "
                    "<http://example.org/gone> .\n")
    with pytest.raises(DataFileError, match="maps to .*gone.ttl, which does not exist"):
        usergraphs.resolve_imports([user])


def test_allow_network_fetches_the_import(tmp_path, monkeypatch):
    """A real HTTP server on 127.0.0.1 serves the imported ontology."""
    monkeypatch.setenv("DDKB_CACHE_DIR", str(tmp_path / "cache"))
    served = tmp_path / "served"
    served.mkdir()
    (served / "vocab.ttl").write_text(
        '<http://example.org/fetched#C> <http://www.w3.org/2000/01/rdf-schema#label> '
        '"fetched class"@en .\n')

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(served), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        iri = f"http://127.0.0.1:{server.server_address[1]}/vocab.ttl"
        user = tmp_path / "user.ttl"
        owl_imports = "<http://www.w3.org/2002/07/owl#imports>"
        user.write_text(f"<http://example.org/u> {owl_imports} <{iri}> .\n")
        with pytest.raises(RefusedError):
            usergraphs.resolve_imports([user])
        files = usergraphs.resolve_imports([user], allow_network=True)
        assert len(files) == 2 and files[1].suffix == ".ttl"
        kb = ddkb.load(data=[user], allow_network=True, use_cache=False)
        rows = kb.select("SELECT ?l WHERE { <http://example.org/fetched#C> rdfs:label ?l }")
        assert [r["l"].value for r in rows] == ["fetched class"]
    finally:
        server.shutdown()
        server.server_close()


def test_conflicting_labels_and_types_are_reported_one_line_each(kb):
    loaded = ddkb.load(data=[CONFLICTS], use_cache=False)
    warnings = usergraphs.conflicts(loaded.store, [CONFLICTS.resolve().as_uri()])
    assert loaded.warnings == warnings
    assert len(warnings) == 3, warnings
    joined = "\n".join(warnings)
    assert all(w.startswith(str(CONFLICTS.resolve())) for w in warnings)
    nato_label = kb.label("https://w3id.org/ddkb/nato")
    assert ("ddkb:nato has a different skos:prefLabel than the bundled KB "
            f'(ours "{nato_label}"@en; theirs "North Atlantic Alliance"@en)') in joined
    assert "ddkb:nato has a different rdf:type" in joined and "theirs ddkb:Region" in joined
    assert ('ddkb:State has a different rdfs:label than the bundled KB (ours "state"@en; '
            'theirs "nation"@en)') in joined
    for fine in ("OTAN", "theirs ddkb:Actor", "theirs skos:Concept", "japan",
                 "my-own-concept", "theirs owl:NamedIndividual"):
        assert fine not in joined


def test_no_user_graphs_no_conflicts(kb):
    assert usergraphs.conflicts(kb.store, []) == []


def test_cli_prints_conflict_warnings(cli, runner, tmp_path):
    out = tmp_path / "x.nt"
    result = runner.invoke(cli, ["--no-cache", "--data", str(CONFLICTS), "export", "--format",
                                 "nt", "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    lines = [ln for ln in result.stderr.splitlines() if "ddkb:nato" in ln]
    assert len(lines) == 2 and all(ln.startswith("Warning: ") for ln in lines)
    assert "North Atlantic Alliance" in out.read_text()  # loaded, not dropped


def test_the_imports_of_a_file_seen_before_are_not_parsed_again(tmp_path, monkeypatch,
                                                                no_network):
    """Finding owl:imports parses the whole file; its answer is remembered by content."""
    import shutil

    monkeypatch.setenv("DDKB_CACHE_DIR", str(tmp_path / "cache"))
    copy = tmp_path / "imports"
    shutil.copytree(IMPORTS, copy)
    parsed = []
    real = usergraphs._parse_imports
    monkeypatch.setattr(usergraphs, "_parse_imports",
                        lambda path, *rest: parsed.append(path.name) or real(path, *rest))
    expected = [copy / "user.ttl", copy / "ext" / "vocab.ttl", copy / "ext" / "base.ttl"]
    first = usergraphs.resolve_imports([copy / "user.ttl"])
    assert [p.resolve() for p in first] == [p.resolve() for p in expected]
    assert sorted(parsed) == ["user.ttl", "vocab.ttl"]  # base.ttl spells no import: no parse
    parsed.clear()
    again = usergraphs.resolve_imports([copy / "user.ttl"])
    assert [p.resolve() for p in again] == [p.resolve() for p in expected] and parsed == []
    # an edited file is parsed again, and what it imports now is what counts
    user = copy / "user.ttl"
    user.write_text(user.read_text().replace("owl:imports", "rdfs:seeAlso"))
    third = usergraphs.resolve_imports([user])
    assert parsed == ["user.ttl"] and [p.resolve() for p in third] == [user.resolve()]
    # a memo that is not ours is never trusted
    for memo in (tmp_path / "cache" / "imports-of").glob("*.json"):
        memo.write_text("[]")
        memo.chmod(0o666)
    parsed.clear()
    user.write_text(user.read_text().replace("rdfs:seeAlso", "owl:imports"))
    assert [p.resolve() for p in usergraphs.resolve_imports([user])] == \
        [p.resolve() for p in expected]


def test_named_store_load_warns_or_refuses_like_data(cli, runner, no_network, tmp_path):
    store = tmp_path / "store"
    strict = runner.invoke(cli, ["load", "--store", str(store), "--strict-imports",
                                 str(UNRESOLVED)])
    assert strict.exit_code == 2 and "has no local copy" in strict.stderr
    result = runner.invoke(cli, ["load", "--store", str(store), str(UNRESOLVED)])
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == [f"Warning: {MISSING_WARNING}"]
    assert f"loaded   {UNRESOLVED}" in result.stdout
    kb = ddkb.load(store=store)
    assert kb.query(OWN_TRIPLE).boolean


@pytest.mark.parametrize("spelling", [
    "@prefix o: <http://www.w3.org/2002/07/owl#imp> .\n<http://example.org/o> o:orts {iri} .",
    "@prefix o: <http://www.w3.org/2002/07/owl#> .\n<http://example.org/o> o:\\u0069mports {iri} .",
    "<http://example.org/o> <http://www.w3.org/2002/07/owl#\\u0069mports> {iri} .",
    "@base <http://www.w3.org/2002/07/owl> .\n@prefix o: <#imp> .\n"
    "<http://example.org/o> o:orts {iri} .",
])
def test_an_import_spelled_without_the_word_imports_is_still_found(spelling, tmp_path,
                                                                   monkeypatch, no_network):
    """The byte search that skips parsing files with no imports never misses a hidden one."""
    monkeypatch.setenv("DDKB_CACHE_DIR", str(tmp_path / "cache"))
    data = tmp_path / "sly.ttl"
    data.write_text(spelling.format(iri=f"<{MISSING_IRI}>"))
    try:
        kb = ddkb.load(data=[data])
    except ddkb.DdkbError as err:  # "\\u0069mports" in a prefixed name is not Turtle
        assert "sly.ttl" in str(err)
        return
    assert [w for w in kb.warnings if MISSING_IRI in w], kb.warnings


def test_could_import_is_false_only_for_files_without_any_spelling_of_imports():
    assert not usergraphs.could_import(b'<http://e.org/a> <http://e.org/p> "x" .\n')
    for text in (b"owl:imports", b"owl#imp", b"\\u0069", b"&#105;", "imports".encode("utf-16")):
        assert usergraphs.could_import(b"<a> <b> <c> . " + text)
    # N-Triples and N-Quads spell every IRI out: no prefix can split the word
    for text in (b"<http://www.w3.org/2002/07/owl#imports>", b"owl#\\u0069mports",
                 "imports".encode("utf-16")):
        assert usergraphs.could_import(b"<a> <b> <c> . " + text, full_iris_only=True)
    assert not usergraphs.could_import(b"<a> <b> <c#i> . # &#", full_iris_only=True)


def test_an_n_triples_import_is_found(tmp_path, monkeypatch):
    monkeypatch.setenv("DDKB_CACHE_DIR", str(tmp_path / "cache"))
    other = tmp_path / "other.nt"
    other.write_text('<http://example.org/o> <http://example.org/p> "o" .\n')
    data = tmp_path / "main.nt"
    data.write_text(f"<http://example.org/main> <http://www.w3.org/2002/07/owl#imports> "
                    f"<{other.as_uri()}> .\n")
    assert usergraphs.resolve_imports([data]) == [data, other]


def test_a_file_without_imports_is_not_searched_again(tmp_path, monkeypatch):
    """The byte search reads the whole file too: its answer is remembered like a parse's."""
    monkeypatch.setenv("DDKB_CACHE_DIR", str(tmp_path / "cache"))
    data = tmp_path / "plain.ttl"
    data.write_text('<http://example.org/a> <http://example.org/p> "x" .\n')
    searched = []
    real = usergraphs.could_import
    monkeypatch.setattr(usergraphs, "could_import",
                        lambda *args: searched.append(1) or real(*args))
    assert usergraphs.resolve_imports([data]) == [data]
    assert usergraphs.resolve_imports([data]) == [data]
    assert searched == [1]
