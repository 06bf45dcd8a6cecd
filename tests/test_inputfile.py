"""The digest memo: a warm run reads no unchanged --data file, and never misses a change.

The memo (:mod:`ddkb.inputfile`) trusts a file's remembered sha256 while its
stamp (device, inode, size, modification and change times) is unchanged.
These tests check both halves: that an unchanged file is not read (a spy on
the one function that reads user files), and that every kind of change --
an edit of the same size with the modification time set back, a replacement,
a stricter limit -- is seen.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

import ddkb
from ddkb import inputfile, paths
from ddkb.errors import DataFileError, RefusedError

EX = "http://example.org/memo/"
COUNT = ("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
         "FILTER(STRSTARTS(STR(?g), 'file:')) }")


@pytest.fixture()
def cache(tmp_path, monkeypatch) -> Path:
    """A private cache folder of this test's own."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("DDKB_CACHE_DIR", str(folder))
    return folder


@pytest.fixture()
def reads(monkeypatch) -> list[Path]:
    """Every user file ddkb reads during the test (a spy around the one reading function)."""
    seen: list[Path] = []
    real = inputfile.read_rdf

    def spy(path, fmt, limits=None):
        seen.append(Path(path))
        return real(path, fmt, limits)

    monkeypatch.setattr(inputfile, "read_rdf", spy)
    return seen


def _nt(n: int, word: str = "x") -> bytes:
    return "".join(f'<{EX}s{i}> <{EX}p> "{word}{i}" .\n' for i in range(n)).encode()


def _write(path: Path, content: bytes) -> Path:
    """Write ``content`` to ``path`` and return ``path``."""
    path.write_bytes(content)
    return path


def _count(kb) -> int:
    return int(kb.select(COUNT)[0]["n"].value)


@pytest.fixture()
def no_racy_wait(monkeypatch):
    """Files written by the test count as settled at once (the real window is 2 s)."""
    monkeypatch.setattr(inputfile, "RACY_SECONDS", -1)


def test_a_warm_load_reads_no_unchanged_file(tmp_path, cache, reads, no_racy_wait):
    data = _write(tmp_path / "d.nt", _nt(50))
    assert _count(ddkb.load([data])) == 50
    assert reads == [data]  # read once to build the store (and remembered)
    reads.clear()
    kb = ddkb.load([data])
    assert _count(kb) == 50
    assert kb.from_cache
    assert reads == []  # found its store by the remembered digest
    memo = list((cache / "file-digests").iterdir())
    assert len(memo) == 1 and memo[0].stat().st_mode & 0o077 == 0


def test_an_edit_of_the_same_size_with_its_time_set_back_is_seen(tmp_path, cache, reads,
                                                                 no_racy_wait):
    data = _write(tmp_path / "d.nt", _nt(20, "a"))
    ddkb.load([data])
    ddkb.load([data])
    before = data.stat()
    data.write_bytes(_nt(20, "b"))  # same size, other literals
    os.utime(data, ns=(before.st_atime_ns, before.st_mtime_ns))  # mtime as it was
    assert data.stat().st_size == before.st_size
    assert data.stat().st_mtime_ns == before.st_mtime_ns
    reads.clear()
    kb = ddkb.load([data])
    assert reads == [data]  # the change time moved: read again
    assert kb.select(f"SELECT ?o WHERE {{ <{EX}s3> <{EX}p> ?o }}")[0]["o"].value == "b3"


def test_a_replaced_file_is_read_again(tmp_path, cache, reads, no_racy_wait):
    data = _write(tmp_path / "d.nt", _nt(10))
    ddkb.load([data])
    new = _write(tmp_path / "new.nt", _nt(12))
    os.replace(new, data)
    reads.clear()
    assert _count(ddkb.load([data])) == 12
    assert reads == [data]


def test_a_file_written_just_now_is_not_remembered(tmp_path, cache, reads):
    data = tmp_path / "fresh.nt"
    data.write_bytes(_nt(5))
    ddkb.load([data])
    ddkb.load([data])
    assert reads == [data, data]  # read on each run until its last change is 2 s old
    assert not any((cache / "file-digests").glob("*.json"))


def test_a_memo_others_could_write_is_ignored(tmp_path, cache, reads, no_racy_wait):
    data = _write(tmp_path / "d.nt", _nt(5))
    ddkb.load([data])
    (entry,) = (cache / "file-digests").glob("*.json")
    entry.chmod(0o666)
    reads.clear()
    ddkb.load([data])
    assert reads == [data]


def test_limits_still_hold_for_a_remembered_file(tmp_path, cache, reads, no_racy_wait):
    data = _write(tmp_path / "d.nt", _nt(5) + f'<{EX}long> <{EX}p> "{"y" * 5000}" .\n'.encode())
    ddkb.load([data])
    ddkb.load([data])  # remembered, literals cleared for the default limit
    reads.clear()
    with pytest.raises(RefusedError, match=r"d\.nt, line 6: a literal of 5,000 characters"):
        ddkb.load([data], max_literal_size=1000)
    with pytest.raises(RefusedError, match=r"d\.nt: is .* than the input size limit of 100 bytes"):
        ddkb.load([data], max_input_size=100)


def test_a_file_changed_after_its_digest_was_used_is_refused(tmp_path, cache, no_racy_wait):
    data = _write(tmp_path / "d.nt", _nt(5))
    first = inputfile.InputFile(data, ox.RdfFormat.N_TRIPLES)
    digest = first.digest
    assert first.content == _nt(5)
    remembered = inputfile.InputFile(data, ox.RdfFormat.N_TRIPLES)
    assert remembered.digest == digest  # from the memo: the file was not read
    data.write_bytes(_nt(6))
    with pytest.raises(DataFileError, match=r"d\.nt: changed while ddkb was reading it; run again"):
        remembered.content  # noqa: B018 (the property reads the file)
    assert not any((cache / "file-digests").glob("*.json"))


def test_rewritten_formats_pipes_and_no_cache_are_never_remembered(tmp_path, cache, reads,
                                                                    no_racy_wait):
    rdfxml = _write(tmp_path / "d.rdf", (
        b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        b' xmlns:ex="http://example.org/memo/"><rdf:Description rdf:about="http://example.org/'
        b'memo/a"><ex:p>q</ex:p></rdf:Description></rdf:RDF>'))
    ddkb.load([rdfxml])
    ddkb.load([rdfxml])
    assert reads == [rdfxml, rdfxml]
    nt = _write(tmp_path / "d.nt", _nt(3))
    ddkb.load([nt], use_cache=False)
    assert not (cache / "file-digests").exists()
    fifo = tmp_path / "pipe.nt"
    os.mkfifo(fifo)
    writer = subprocess.Popen(["sh", "-c", f"cat '{nt}' > '{fifo}'"])
    assert _count(ddkb.load([fifo])) == 3
    writer.wait(timeout=30)
    assert not (cache / "file-digests").exists()


def test_named_store_skips_an_unchanged_file_without_reading_it(tmp_path, cache, reads,
                                                                no_racy_wait):
    from ddkb.userstore import load_files

    data = _write(tmp_path / "d.nt", _nt(7))
    store = tmp_path / "store"
    assert load_files(store, [data])["loaded"] == [str(data)]
    reads.clear()
    report = load_files(store, [data])
    assert report["skipped"] == [str(data)] and report["loaded"] == []
    assert reads == []


def test_the_installed_ddkb_reads_a_settled_file_once(tmp_path, ddkb_exe):
    """The real CLI, the real 2-second window: the third run finds the file remembered."""
    cache = tmp_path / "cache"
    env = {**os.environ, "DDKB_CACHE_DIR": str(cache)}
    data = tmp_path / "d.nt"
    data.write_bytes(_nt(30))
    run = [ddkb_exe, "--data", str(data), "query", "--format", "csv", COUNT]
    first = subprocess.run(run, env=env, capture_output=True, text=True, timeout=120)
    assert first.stdout.splitlines() == ["n", "30"], first.stderr
    assert not any((cache / "file-digests").glob("*.json"))  # written just now: not yet
    time.sleep(inputfile.RACY_SECONDS + 0.2)
    second = subprocess.run(run, env=env, capture_output=True, text=True, timeout=120)
    assert second.stdout.splitlines() == ["n", "30"], second.stderr
    (entry,) = (cache / "file-digests").glob("*.json")
    assert str(data.resolve()) in entry.read_text()
    data.write_bytes(_nt(31))
    third = subprocess.run(run, env=env, capture_output=True, text=True, timeout=120)
    assert third.stdout.splitlines() == ["n", "31"], third.stderr
    assert paths.cache_dir() != cache  # the test's own cache, not the session's
