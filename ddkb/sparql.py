"""Checking SPARQL before it runs: read-only, offline, and readable errors.

``ddkb query`` runs untrusted queries, so before a query reaches the engine
:func:`check_query` looks at its *keywords* -- found by a small tokenizer that
skips comments, string literals and IRIs, so ``"SERVICE"`` inside a literal or
``# FROM`` in a comment is not mistaken for the real thing -- and refuses:

* SPARQL Update (``INSERT``, ``DELETE``, ``LOAD``, ``CLEAR``, ``CREATE``,
  ``DROP``, ``COPY``, ``MOVE``, ``ADD``): ``ddkb query`` is read-only;
* ``SERVICE``, ``FROM`` and ``FROM NAMED`` unless network access is allowed.

>>> check_query('SELECT * WHERE { ?s ?p "SERVICE" }  # FROM nowhere')
'select'
>>> check_query("DROP ALL")
Traceback (most recent call last):
...
ddkb.errors.RefusedError: DROP refused: ddkb query is read-only (SPARQL Update is not allowed)

This module imports neither rdflib nor pyoxigraph.
"""

from __future__ import annotations

import os
import pickle
import re
import select
import signal
import time
from collections.abc import Callable
from typing import TypeVar

from . import errors
from .errors import DdkbError, QuerySyntaxError, QueryTimeout, RefusedError

T = TypeVar("T")

#: SPARQL Update operations; none of them is a keyword of the query language.
UPDATE_KEYWORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD")
#: Keywords that would make the engine read from elsewhere than the loaded dataset.
NETWORK_KEYWORDS = ("SERVICE", "FROM")
QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")

# Everything that may contain a keyword-looking word without being one.
_SKIP = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'          # long strings
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'                     # short strings
    r"|'(?:[^'\\\n]|\\.)*'"
    r'|<[^<>"{}|^`\\\x00-\x20]*>'               # IRIs (SPARQL IRIREF)
    r"|#[^\n]*",                                 # comments
    re.DOTALL,
)
# Tokens that look like words but are not keywords: variables, language tags, prefixed names.
_NOT_KEYWORD = re.compile(
    r"[?$]\w+|@[A-Za-z][A-Za-z0-9-]*|[A-Za-z_][\w.-]*:[^\s(){}\[\],;<>\"']*"
    r"|:[^\s(){}\[\],;<>\"']*"
)
_WORD = re.compile(r"[A-Za-z]+")


def keywords(text: str) -> list[str]:
    """The bare words of a SPARQL text in upper case, outside comments, strings and IRIs.

    >>> keywords('SELECT ?from WHERE { ?s ex:load "DROP" } # INSERT')
    ['SELECT', 'WHERE']
    """
    stripped = _NOT_KEYWORD.sub(" ", _SKIP.sub(" ", text))
    return [m.group(0).upper() for m in _WORD.finditer(stripped)]


def check_query(text: str, *, allow_network: bool = False) -> str:
    """Refuse updates (always) and network access (unless allowed); return the query form.

    The form is ``select``, ``ask``, ``construct`` or ``describe`` (``select`` if
    none is found, so that the engine reports the syntax error).
    Raises :class:`~ddkb.errors.RefusedError` naming the keyword and the way out.
    """
    words = keywords(text)
    for word in words:
        if word in UPDATE_KEYWORDS:
            extra = " (and LOAD would fetch data from the network)" if word == "LOAD" else ""
            raise RefusedError(
                f"{word} refused: ddkb query is read-only (SPARQL Update is not allowed){extra}"
            )
    if not allow_network:
        for i, word in enumerate(words):
            if word == "SERVICE":
                raise RefusedError("SERVICE refused: federated queries reach the network; "
                                   "add --allow-network to allow them")
            if word == "FROM":
                named = i + 1 < len(words) and words[i + 1] == "NAMED"
                clause = "FROM NAMED" if named else "FROM"
                raise RefusedError(f"{clause} refused: it may load a graph from the network; "
                                   "add --allow-network to allow it (or use GRAPH <...> { })")
    return query_form(words)


def query_form(words: list[str]) -> str:
    """The first query-form keyword among ``words``, lower-cased (default ``select``)."""
    for word in words:
        if word in QUERY_FORMS:
            return word.lower()
    return "select"


_POS = re.compile(r"^error at (\d+):(\d+):\s*(.*)$", re.DOTALL)


def syntax_error(message: str, *, source: str = "") -> QuerySyntaxError:
    """Turn the engine's parse error into one readable line with line and column.

    >>> str(syntax_error("error at 3:17: expected one of ABS, AVG"))
    'SPARQL syntax error at line 3, column 17: expected one of ABS, AVG'
    """
    first = " ".join(message.split())
    m = _POS.match(first)
    where = f" in {source}" if source else ""
    if m:
        return QuerySyntaxError(
            f"SPARQL syntax error{where} at line {m.group(1)}, column {m.group(2)}: {m.group(3)}"
        )
    return QuerySyntaxError(f"SPARQL syntax error{where}: {first}")


_NO_LIMIT = 366 * 24 * 3600.0


def run_with_deadline(func: Callable[[], T], timeout: float | None) -> T:
    """Call ``func`` and return its (picklable) result, stopping it after ``timeout`` seconds.

    The engine has no cancel call and one solution of a query can take forever
    (a big sort, a cross join), so where the OS can fork, ``func`` runs in a
    child process that shares the loaded store copy-on-write; when time is up
    the child is killed -- the work really stops -- and
    :class:`~ddkb.errors.QueryTimeout` is raised. Errors raised in the child
    come back as the same ddkb error (or SyntaxError) in the caller.
    Without fork (Windows) ``func`` runs in-process with no time limit.
    """
    if timeout is not None and not timeout > 0:  # also NaN
        raise errors.InputError(f"the timeout must be a positive number of seconds, "
                                f"not {timeout!r}")
    # inf, or more than a year, is no limit (a deadline that far overflows time_t)
    if timeout is None or timeout > _NO_LIMIT or not hasattr(os, "fork"):
        return func()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: evaluate, send the pickled outcome, exit at once
        status = 0
        try:
            os.close(read_fd)
            try:
                outcome = ("ok", func())
            except DdkbError as err:
                outcome = ("ddkb", type(err).__name__, str(err))
            except SyntaxError as err:
                outcome = ("syntax", str(err))
            except BaseException as err:  # noqa: BLE001 - reported to the parent
                outcome = ("error", type(err).__name__, str(err))
            data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
            view = memoryview(data)
            while view:
                view = view[os.write(write_fd, view):]
        except BaseException:  # noqa: BLE001
            status = 1
        finally:
            os._exit(status)
    os.close(write_fd)
    try:
        data = _read_until(read_fd, time.monotonic() + timeout)
    except TimeoutError:
        _kill(pid)
        raise QueryTimeout(f"query stopped after {timeout:g} s (--timeout)") from None
    except BaseException:  # Ctrl-C and the like: never leave the evaluation running
        _kill(pid)
        raise
    finally:
        os.close(read_fd)
    _, status = os.waitpid(pid, 0)
    if not data:
        raise DdkbError(f"query evaluation failed (engine process ended with status {status})")
    outcome = pickle.loads(data)
    if outcome[0] == "ok":
        return outcome[1]
    if outcome[0] == "syntax":
        raise syntax_error(outcome[1])
    if outcome[0] == "ddkb":
        cls = getattr(errors, outcome[1], DdkbError)
        try:
            raise cls(outcome[2])
        except TypeError:
            raise DdkbError(outcome[2]) from None
    raise DdkbError(f"query failed ({outcome[1]}): {outcome[2]}")


def _read_until(fd: int, deadline: float) -> bytes:
    """Read ``fd`` to end of file; raise TimeoutError if ``deadline`` passes first."""
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            raise TimeoutError
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)
