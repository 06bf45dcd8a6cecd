"""Hostile --data files: entity expansion, endless and huge inputs, deep JSON-LD, long literals.

Every hostile file is generated here (in tmp_path). Each case is checked through
the Python API and, where the failure used to kill or hang the process (a
segfault, a FIFO read twice), through a real ``ddkb`` subprocess.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import ddkb
from ddkb import inputs
from ddkb.errors import DataFileError, InputError, RefusedError

T = "http://example.org/t/"
LABEL_OF_HARBOUR = "SELECT ?l WHERE { <http://example.org/t/harbour-visit> skos:prefLabel ?l }"
#: The ``ddkb`` command as installed for this Python (no path of this machine).
DDKB = [sys.executable, "-c", "from ddkb.cli import main; main()"]


#: Address space of a ``ddkb`` subprocess here: should a check regress, the hostile file
#: makes it fail fast instead of eating the machine's memory.
MEMORY_CAP = 3 * 1024**3


def _cap_memory(limit: int = MEMORY_CAP) -> None:
    if sys.platform == "linux":
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def run_ddkb(args: list[str], cwd: Path, cache: Path, memory: int = MEMORY_CAP,
             **kw) -> subprocess.CompletedProcess:
    """Run the real ``ddkb`` (bounded in time and memory) with its own cache folder."""
    env = {**os.environ, "DDKB_CACHE_DIR": str(cache)}
    return subprocess.run([*DDKB, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120, preexec_fn=lambda: _cap_memory(memory), **kw)


def one_error_line(stderr: str) -> str:
    """The single ``Error: ...`` line of stderr (fails on tracebacks or extra lines)."""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), stderr
    return lines[0]


@pytest.fixture()
def concepts(tmp_path, fixtures_dir) -> Path:
    path = tmp_path / "concepts.ttl"
    path.write_bytes((fixtures_dir / "core" / "concepts.ttl").read_bytes())
    return path


# -- XML entities ------------------------------------------------------------------

RDF_OPEN = ('<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">')


def billion_laughs(path: Path, levels: int = 5) -> Path:
    """The classic nested entities: 30 x 10**levels characters once expanded.

    In this process only 5 levels (3 MB: harmless should the check regress);
    the real thing (9 levels, 30 GB) only in a memory-capped subprocess.
    """
    lines = ['<?xml version="1.0"?>', "<!DOCTYPE rdf:RDF [",
             '<!ENTITY lol0 "lollollollollollollollollollol">']
    lines += [f'<!ENTITY lol{i} "' + f"&lol{i - 1};" * 10 + '">' for i in range(1, levels + 1)]
    lines += ["]>", RDF_OPEN,
              f'<rdf:Description rdf:about="{T}x"><rdfs:label>&lol{levels};</rdfs:label>'
              "</rdf:Description>", "</rdf:RDF>"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


PROTEGE_STYLE = """<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
    <!ENTITY owl "http://www.w3.org/2002/07/owl#" >
    <!ENTITY xsd "http://www.w3.org/2001/XMLSchema#" >
    <!ENTITY t "http://example.org/t/" >
    <!ENTITY name "Harbour &amp; port call" >
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#"
         xmlns:t="&t;">
    <rdf:Description rdf:about="&t;HarbourCall">
        <rdf:type rdf:resource="&owl;Class"/>
        <rdfs:label>&name;</rdfs:label>
        <t:since rdf:datatype="&xsd;date">2020-01-31</t:since>
    </rdf:Description>
</rdf:RDF>
"""


def test_billion_laughs_is_refused_before_any_parser_sees_it(tmp_path):
    path = billion_laughs(tmp_path / "laughs.rdf")
    with pytest.raises(RefusedError) as info:
        ddkb.load(data=[path], use_cache=False)
    msg = str(info.value)
    assert msg.startswith(f"{path}, line 3: the DOCTYPE declares XML entities (lol0, lol1")
    assert "--allow-entities" in msg and "\n" not in msg


def test_billion_laughs_subprocess_exits_2_with_one_line_and_no_cache(tmp_path):
    path = billion_laughs(tmp_path / "laughs.rdf", levels=9)
    cache = tmp_path / "cache"
    res = run_ddkb(["--data", str(path), "stats"], tmp_path, cache)
    assert res.returncode == 2
    assert "declares XML entities" in one_error_line(res.stderr)
    assert res.stdout == ""
    # even when entities are allowed, the expansion is bounded: refused, not run
    res = run_ddkb(["--data", str(path), "--allow-entities", "stats"], tmp_path, cache)
    assert res.returncode == 2
    line = one_error_line(res.stderr)
    assert "line 9: the entity 'lol6' expands to 30,000,000 characters" in line
    assert not list(cache.rglob("*.nq")) and not list(cache.rglob("*.json"))


def test_allowed_entities_are_expanded_as_xml_says(tmp_path):
    path = tmp_path / "onto.owl"
    path.write_text(PROTEGE_STYLE, encoding="utf-8")
    with pytest.raises(RefusedError, match=r"onto\.owl, line 3: .*\(owl, xsd, t, \.\.\.\)"):
        ddkb.load(data=[path])
    kb = ddkb.load(data=[path], allow_entities=True)
    rows = kb.select("SELECT ?t ?l ?d WHERE { <http://example.org/t/HarbourCall> a ?t ; "
                     "rdfs:label ?l ; <http://example.org/t/since> ?d }")
    assert [(r["t"].value, r["l"].value, r["d"].datatype.value) for r in rows] == [
        ("http://www.w3.org/2002/07/owl#Class", "Harbour & port call",
         "http://www.w3.org/2001/XMLSchema#date")]


def test_entity_expansion_is_bounded_by_the_input_size(tmp_path):
    path = tmp_path / "wide.rdf"
    refs = "&chunk;" * 2000  # 2,000 x 1,000 characters: 2 MB from a 16 KB file
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n'
                    f'<!ENTITY chunk "{"x" * 1000}">\n]>\n{RDF_OPEN}\n'
                    f'<rdf:Description rdf:about="{T}w"><rdfs:label>{refs}</rdfs:label>'
                    "</rdf:Description>\n</rdf:RDF>\n", encoding="utf-8")
    with pytest.raises(RefusedError, match="with its entities expanded the file has more "
                                           "than the input size limit of 1 MiB"):
        ddkb.load(data=[path], allow_entities=True, max_input_size="1M", use_cache=False)
    kb = ddkb.load(data=[path], allow_entities=True, use_cache=False)
    assert len(kb.label(T + "w")) == 2_000_000


def test_entities_declared_in_reverse_order_are_measured_too(tmp_path):
    # each entity names one declared after it: sizes cannot be added up in file order
    path = tmp_path / "reverse.rdf"
    lines = ['<?xml version="1.0"?>', "<!DOCTYPE rdf:RDF ["]
    lines += [f'<!ENTITY lol{i} "' + f"&lol{i - 1};" * 10 + '">' for i in range(9, 0, -1)]
    lines += ['<!ENTITY lol0 "lollollollollollollollollollol">', "]>", RDF_OPEN,
              f'<rdf:Description rdf:about="{T}x"><rdfs:label>&lol9;</rdfs:label>'
              "</rdf:Description>", "</rdf:RDF>"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(RefusedError, match=r"reverse\.rdf, line 6: the entity 'lol6' expands "
                                           r"to 30,000,000 characters"):
        ddkb.load(data=[path], allow_entities=True, max_input_size="16M", use_cache=False)


def test_an_entity_that_names_itself_is_refused(tmp_path):
    path = tmp_path / "loop.rdf"
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n<!ENTITY a "x&b;">\n'
                    f'<!ENTITY b "&a;y">\n]>\n{RDF_OPEN}\n'
                    f'<rdf:Description rdf:about="{T}x"><rdfs:label>&a;</rdfs:label>'
                    "</rdf:Description>\n</rdf:RDF>\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"loop\.rdf, line 4: the entity 'b' refers to "
                                            r"itself \(through 'a'\)$"):
        ddkb.load(data=[path], allow_entities=True, use_cache=False)


def test_external_entities_are_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-MARKER", encoding="utf-8")
    path = tmp_path / "xxe.rdf"
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n'
                    f'<!ENTITY leak SYSTEM "{secret.as_uri()}">\n]>\n{RDF_OPEN}\n'
                    f'<rdf:Description rdf:about="{T}x"><rdfs:label>&leak;</rdfs:label>'
                    "</rdf:Description>\n</rdf:RDF>\n", encoding="utf-8")
    with pytest.raises(RefusedError) as info:
        ddkb.load(data=[path], allow_entities=True, use_cache=False)
    assert str(info.value) == (f"{path}, line 3: the DOCTYPE declares the external entity "
                               "'leak'; ddkb never reads external entities")


def test_a_broken_file_with_entities_names_its_own_line(tmp_path):
    path = tmp_path / "broken.owl"
    path.write_text(PROTEGE_STYLE.replace("<rdfs:label>&name;</rdfs:label>",
                                          "<rdfs:label>&name;</rdfs:lable>"), encoding="utf-8")
    with pytest.raises(DataFileError, match=r"broken\.owl, line 13, column \d+: mismatched tag"):
        ddkb.load(data=[path], allow_entities=True, use_cache=False)


# -- size, pipes, devices, memory --------------------------------------------------------

class FifoWriter(threading.Thread):
    """Feeds a FIFO: ``data`` once (then watches for a second reader), or forever.

    A second ``open`` of the FIFO for reading would block for ever once the
    writer is gone; ``reopened`` records it (and unblocks it with an empty read).
    """

    ENDLESS = 64 * 1024**2

    def __init__(self, path: Path, data: bytes | None):
        super().__init__(daemon=True)
        self.path, self.data = path, data
        self.done = threading.Event()
        self.reopened = False
        self.sent = 0

    def run(self) -> None:
        try:
            with open(self.path, "wb") as fh:
                if self.data is not None:
                    fh.write(self.data)
                    self.sent = len(self.data)
                else:  # "endless": far more than any cap a test sets (but bounded)
                    block = b"<http://a> <http://b> <http://c> .\n" * 1000
                    while not self.done.is_set() and self.sent < self.ENDLESS:
                        fh.write(block)
                        self.sent += len(block)
        except BrokenPipeError:
            return
        while not self.done.wait(0.05):
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                continue  # no reader waiting: good
            self.reopened = True
            os.close(fd)


@pytest.fixture()
def fifo(tmp_path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this system")
    path = tmp_path / "stream.ttl"
    os.mkfifo(path)
    return path


def test_a_fifo_is_read_exactly_once(fifo, concepts):
    writer = FifoWriter(fifo, concepts.read_bytes())
    writer.start()
    try:
        kb = ddkb.load(data=[fifo], use_cache=False)
    finally:
        writer.done.set()
        writer.join(10)
    assert not writer.reopened
    assert kb.lookup("port call") == T + "harbour-visit"


def test_an_endless_pipe_stops_at_the_cap(fifo):
    writer = FifoWriter(fifo, None)
    writer.start()
    try:
        with pytest.raises(RefusedError) as info:
            ddkb.load(data=[fifo], data_format="nt", max_input_size="64K", use_cache=False)
    finally:
        writer.done.set()
        writer.join(10)
    assert str(info.value) == (f"{fifo}: has more than the input size limit of 64 KiB; "
                               "raise it with --max-input-size if you trust this file")
    assert writer.sent < FifoWriter.ENDLESS  # it stopped reading at the cap


def test_standard_input_as_data_subprocess(tmp_path, concepts):
    res = run_ddkb(["--data", "/dev/stdin", "--data-format", "turtle", "query",
                    LABEL_OF_HARBOUR], tmp_path, tmp_path / "cache",
                   input=concepts.read_text(encoding="utf-8"))
    assert res.returncode == 0, res.stderr
    assert "naval harbour visit" in res.stdout


def test_a_fifo_as_data_subprocess(tmp_path, fifo, concepts):
    writer = FifoWriter(fifo, concepts.read_bytes())
    writer.start()
    try:
        res = run_ddkb(["--data", str(fifo), "query", LABEL_OF_HARBOUR], tmp_path,
                       tmp_path / "cache")
    finally:
        writer.done.set()
        writer.join(10)
    assert res.returncode == 0, res.stderr
    assert "naval harbour visit" in res.stdout and not writer.reopened


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_dev_zero_is_refused_subprocess(tmp_path):
    res = run_ddkb(["--data", "/dev/zero", "--data-format", "nt", "stats"], tmp_path,
                   tmp_path / "cache")
    assert res.returncode == 2
    assert one_error_line(res.stderr) == ("Error: /dev/zero: is a device, not an RDF file "
                                          "(give a regular file or a pipe)")


def test_folders_are_refused(tmp_path):
    folder = tmp_path / "folder.ttl"
    folder.mkdir()
    with pytest.raises(DataFileError, match=r"folder\.ttl: is a folder, not an RDF file$"):
        ddkb.load(data=[folder])


def test_a_file_over_the_cap_is_refused_from_its_size(tmp_path):
    huge = tmp_path / "huge.nt"
    with huge.open("wb") as fh:  # sparse: 64 MiB that take no disk and are never read
        fh.truncate(64 * 1024**2)
    with pytest.raises(RefusedError) as info:
        ddkb.load(data=[huge], max_input_size="1M", use_cache=False)
    assert str(info.value) == (f"{huge}: is 64 MiB, more than the input size limit of 1 MiB; "
                               "raise it with --max-input-size if you trust this file")


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS is Linux's")
def test_out_of_memory_while_loading_is_one_line_exit_2(tmp_path):
    huge = tmp_path / "huge.nt"
    with huge.open("wb") as fh:  # sparse: reading it needs 3 GiB of memory
        fh.truncate(3 * 1024**3)

    res = run_ddkb(["--data", str(huge), "--max-input-size", "4G", "stats"], tmp_path,
                   tmp_path / "cache", memory=1536 * 1024**2)
    assert res.returncode == 2
    assert one_error_line(res.stderr) == (f"Error: {huge}: not enough memory to read this "
                                          "file (3 GiB)")


# -- JSON-LD nesting ----------------------------------------------------------------

def nested_jsonld(depth: int) -> str:
    """A JSON-LD document whose objects nest ``depth`` deep (the outer one included)."""
    inner = "x"
    text = json.dumps(inner)
    for _ in range(depth - 1):
        text = '{"http://example.org/t/p": ' + text + "}"
    return '{"@id": "http://example.org/t/root", "http://example.org/t/p": ' + text + "}"


@pytest.mark.parametrize("command", ["stats", "align"])
def test_jsonld_nested_5000_deep_is_refused_not_a_segfault(tmp_path, command):
    deep = tmp_path / "deep.jsonld"
    deep.write_text(nested_jsonld(5000), encoding="utf-8")
    args = ["--data", str(deep), "stats"] if command == "stats" else ["align", str(deep)]
    res = run_ddkb(args, tmp_path, tmp_path / "cache")
    assert res.returncode == 2, (res.returncode, res.stderr)
    assert one_error_line(res.stderr) == (
        f"Error: {deep}, line 1: JSON objects and arrays nested more than 256 deep; "
        "raise the limit with --max-jsonld-depth if you trust this file")


def test_unclosed_brackets_are_measured_too(tmp_path):
    deep = tmp_path / "unclosed.jsonld"
    deep.write_text('{"@graph": ' + "[" * 5000, encoding="utf-8")
    res = run_ddkb(["--data", str(deep), "stats"], tmp_path, tmp_path / "cache")
    assert res.returncode == 2, (res.returncode, res.stderr)
    assert "nested more than 256 deep" in one_error_line(res.stderr)


def test_the_depth_limit_is_exact_and_adjustable(tmp_path):
    path = tmp_path / "nested.jsonld"
    path.write_text(nested_jsonld(12), encoding="utf-8")
    kb = ddkb.load(data=[path], max_jsonld_depth=12, use_cache=False)
    assert kb.query("ASK { <http://example.org/t/root> <http://example.org/t/p> ?o }").boolean
    with pytest.raises(RefusedError, match="nested more than 11 deep"):
        ddkb.load(data=[path], max_jsonld_depth=11, use_cache=False)


def test_brackets_and_escapes_inside_strings_do_not_count(tmp_path):
    value = '[{\\"' * 2000 + '\\\\}]'  # JSON text: 4,000 brackets, escaped quotes, a backslash
    path = tmp_path / "strings.jsonld"
    path.write_text('{"@id": "http://example.org/t/s", "http://example.org/t/p": "'
                    + value + '"}', encoding="utf-8")
    kb = ddkb.load(data=[path], use_cache=False)
    rows = kb.select("SELECT ?v WHERE { <http://example.org/t/s> <http://example.org/t/p> ?v }")
    assert rows[0]["v"].value == json.loads('"' + value + '"')


@pytest.mark.parametrize("text,deepest", [
    ('{"a": [1, {"b": []}]}', 4), ('[[["]]]]]]"]]]', 3), ('{"a": "{{{{"}', 1),
    (r'["\\", ["\"[[[["]]', 2), ("[]" * 50, 1),
])
def test_json_depth_is_measured_outside_strings(text, deepest):
    assert not inputs.json_depth_exceeds(text.encode(), deepest)
    assert inputs.json_depth_exceeds(text.encode(), deepest - 1) or deepest == 1


# -- literal size --------------------------------------------------------------------

BIG = 1_200_000  # characters: over a 1 MiB limit, under 4 MiB


def _long_literal_file(tmp_path: Path, suffix: str) -> Path:
    """A file whose line 3 starts a literal of BIG characters (multi-line where allowed)."""
    path = tmp_path / f"long{suffix}"
    s, p = f"<{T}s>", "<http://www.w3.org/2000/01/rdf-schema#comment>"
    lines = "\n".join(["word " * 20] * (BIG // 101))
    lines += "x" * (BIG - len(lines))
    flat = "y" * BIG
    if suffix == ".nt":
        text = f'{s} {p} "short" .\n\n{s} {p} "{flat}" .\n'
    elif suffix == ".ttl":
        text = f'@prefix t: <{T}> .\n\n{s} {p} """{lines}""" .\n'
    elif suffix == ".rdf":
        text = (f'<?xml version="1.0"?>\n{RDF_OPEN}\n<rdf:Description rdf:about="{T}s">'
                f"<rdfs:comment>{lines}</rdfs:comment></rdf:Description>\n</rdf:RDF>\n")
    else:
        text = ('{"@id": "' + T + 's",\n\n "http://www.w3.org/2000/01/rdf-schema#comment": "'
                + flat + '"}\n')
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("suffix", [".nt", ".ttl", ".rdf", ".jsonld"])
def test_a_literal_over_the_limit_is_refused_with_file_and_line(tmp_path, suffix):
    path = _long_literal_file(tmp_path, suffix)
    with pytest.raises(RefusedError) as info:
        ddkb.load(data=[path], max_literal_size="1M", use_cache=False)
    assert str(info.value) == (
        f"{path}, line 3: a literal of {BIG:,} characters is longer than the literal size "
        "limit of 1 MiB; raise it with --max-literal-size if you trust this file")
    kb = ddkb.load(data=[path], max_literal_size="4M", use_cache=False)
    assert len(kb.select(f"SELECT ?c WHERE {{ <{T}s> rdfs:comment ?c "
                         "FILTER(STRLEN(?c) > 1000) }")[0]["c"].value) == BIG


def test_the_cache_does_not_lift_the_literal_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("DDKB_CACHE_DIR", str(tmp_path / "cache"))
    path = _long_literal_file(tmp_path, ".ttl")
    assert not ddkb.load(data=[path], max_literal_size="4M").from_cache
    assert ddkb.load(data=[path], max_literal_size="4M").from_cache
    with pytest.raises(RefusedError, match="literal size limit of 1 MiB"):
        ddkb.load(data=[path], max_literal_size="1M")


def test_a_term_past_the_parser_limit_is_one_line_exit_2(tmp_path):
    path = tmp_path / "huge-literal.nt"
    path.write_text(f'<{T}a> <{T}p> "ok" .\n<{T}a> <{T}p> "' + "z" * (17 * 1024**2) + '" .\n',
                    encoding="utf-8")
    res = run_ddkb(["--data", str(path), "--max-literal-size", "64M", "stats"], tmp_path,
                   tmp_path / "cache")
    assert res.returncode == 2
    assert one_error_line(res.stderr) == (
        f"Error: {path}, line 2: a literal or IRI is longer than 16 MiB, the longest term "
        "the parser can read")


@pytest.mark.parametrize("suffix,text", [
    (".ttl", '<a> <b> """%s""" .' % ("line\n" * 1000)),
    (".rdf", "<r>%s</r>" % ("text\n" * 1000)),
    (".nt", "<a> <b> \"%s\" .\n" % ("w" * 1000)),
])
def test_the_literal_filter_never_misses(suffix, text):
    from ddkb.kb import FORMATS_BY_SUFFIX

    fmt = FORMATS_BY_SUFFIX[suffix]
    assert inputs.may_hold_long_literal(text.encode(), fmt, 900)
    padded = (text + "\n" + "<c> <d> <e> .\n" * 200).encode()
    assert not inputs.may_hold_long_literal(padded, fmt, 6000)


# -- owl:imports, catalogs and align read through the same checks ------------------------

def test_an_imported_file_is_checked_like_a_data_file(tmp_path):
    onto = tmp_path / "onto.rdf"
    billion_laughs(onto)
    user = tmp_path / "user.ttl"
    user.write_text("@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
                    "<http://example.org/user> owl:imports <http://example.org/onto> .\n",
                    encoding="utf-8")
    (tmp_path / "catalog-v001.xml").write_text(
        '<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">'
        '<uri name="http://example.org/onto" uri="onto.rdf"/></catalog>', encoding="utf-8")
    with pytest.raises(RefusedError, match=r"onto\.rdf, line 3: the DOCTYPE declares XML"):
        ddkb.load(data=[user], use_cache=False)
    onto.write_text(PROTEGE_STYLE, encoding="utf-8")
    kb = ddkb.load(data=[user], allow_entities=True, use_cache=False)
    assert kb.label(T + "HarbourCall") == "Harbour & port call"


def test_a_fetched_import_is_capped_and_kept_private(tmp_path, monkeypatch):
    import http.server

    served = tmp_path / "served"
    served.mkdir()
    (served / "vocab.ttl").write_text("<http://example.org/v> <http://example.org/p> \"v\" .\n"
                                      * 3000, encoding="utf-8")  # about 150 KB

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(served), **kwargs)

        def log_message(self, *args):
            pass

    monkeypatch.setenv("DDKB_CACHE_DIR", str(tmp_path / "cache"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        iri = f"http://127.0.0.1:{server.server_address[1]}/vocab.ttl"
        user = tmp_path / "user.ttl"
        user.write_text(f"<http://example.org/u> <http://www.w3.org/2002/07/owl#imports> <{iri}> .",
                        encoding="utf-8")
        with pytest.raises(RefusedError) as info:
            ddkb.load(data=[user], allow_network=True, max_input_size="64K", use_cache=False)
        assert str(info.value) == (f"owl:imports <{iri}>: has more than the input size limit "
                                   "of 64 KiB; raise it with --max-input-size if you trust "
                                   "this file")
        kb = ddkb.load(data=[user], allow_network=True, use_cache=False)
        assert kb.query("ASK { <http://example.org/v> <http://example.org/p> 'v' }").boolean
    finally:
        server.shutdown()
    for folder in (tmp_path / "cache", tmp_path / "cache" / "imports"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_a_catalog_with_entities_is_refused(tmp_path, concepts):
    (tmp_path / "catalog-v001.xml").write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE catalog [<!ENTITY a "aaaa">]>\n'
        '<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog"/>', encoding="utf-8")
    with pytest.raises(RefusedError, match=r"catalog-v001\.xml: the catalog's DOCTYPE"):
        ddkb.load(data=[concepts], use_cache=False)


def test_align_reads_the_other_vocabulary_through_the_checks(tmp_path, kb):
    from ddkb.align import align

    other = billion_laughs(tmp_path / "other.rdf")
    with pytest.raises(RefusedError, match=r"other\.rdf, line 3: the DOCTYPE declares"):
        align(kb, other)


# -- options ----------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["group", "command"])
def test_limit_options_work_on_the_group_and_the_command(runner, cli, concepts, where):
    limit = ["--max-input-size", "1K", "--data", str(concepts)]
    args = [*limit, "query", "ASK {}"] if where == "group" else ["query", *limit, "ASK {}"]
    res = runner.invoke(cli, args)
    assert res.exit_code == 2
    assert one_error_line(res.stderr).endswith(
        "more than the input size limit of 1 KiB; raise it with --max-input-size if you "
        "trust this file")


def test_a_bad_size_is_a_usage_error(runner, cli):
    res = runner.invoke(cli, ["--max-input-size", "lots", "stats"])
    assert res.exit_code == 2
    assert ("Error: Invalid value for '--max-input-size': 'lots': not a size (examples: "
            "500M, 2G, 1048576)") in res.stderr


def test_help_shows_the_limits_with_examples(runner, cli):
    res = runner.invoke(cli, ["--help"])
    assert res.exit_code == 0
    text = " ".join(res.stdout.split()).replace("- ", "-")  # Click wraps at hyphens
    for example in ("Example: --max-input-size 4G", "Example: --max-literal-size 50M",
                    "Example: --max-jsonld-depth 1000", "Example: --allow-entities"):
        assert example in text


@pytest.mark.parametrize("text,size", [
    ("512", 512), ("64K", 65536), ("10M", 10 * 1024**2), ("1.5G", 3 * 1024**3 // 2),
    ("1 GiB", 1024**3), ("2gb", 2 * 1024**3), ("7b", 7),
])
def test_parse_size(text, size):
    assert inputs.parse_size(text) == size


@pytest.mark.parametrize("kwargs,message", [
    ({"max_input_size": "huge"},
     "--max-input-size 'huge': not a size (examples: 500M, 2G, 1048576)"),
    ({"max_literal_size": 0}, "--max-literal-size 0: must be at least 1 byte"),
    ({"max_jsonld_depth": 0}, "--max-jsonld-depth 0: must be a positive whole number"),
])
def test_load_checks_its_limit_arguments(kwargs, message):
    with pytest.raises(InputError) as info:
        ddkb.load(**kwargs)
    assert str(info.value) == message
