"""Errors raised by the ddkb library.

The library never prints and never exits: it raises one of these. The CLI turns
each into a one-line message on stderr and the exit code named by ``exit_code``:

* 0 -- success
* 1 -- the command ran but failed or found problems (validation violations, a query
  stopped by its time or memory limit)
* 2 -- bad usage or bad input (unknown option value, unreadable file, bad SPARQL,
  unknown concept, refused operation, a query that crashes the engine)
"""

from __future__ import annotations


class DdkbError(Exception):
    """Base class of every error ddkb raises on purpose; ``str(err)`` is one line."""

    exit_code = 1


class InputError(DdkbError):
    """A file, query, option value or concept name given by the user is not usable."""

    exit_code = 2


class DataFileError(InputError):
    """An RDF file could not be read or parsed; the message names the file and line."""


class QuerySyntaxError(InputError):
    """A SPARQL query does not parse; the message gives line and column."""


class RefusedError(InputError):
    """An operation was refused by the safety defaults (updates, network access)."""


class ConceptNotFound(InputError):
    """No concept matches a name; ``suggestions`` holds close labels."""

    def __init__(self, message: str, suggestions: list[str] | None = None) -> None:
        super().__init__(message)
        self.suggestions = suggestions or []


class AmbiguousConcept(InputError):
    """More than one concept matches a name; ``candidates`` lists (curie, label)."""

    def __init__(self, message: str, candidates: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.candidates = candidates or []


class EndpointError(DdkbError):
    """A remote SPARQL endpoint is unreachable, refused a request or sent no usable answer."""

    exit_code = 2


class QueryTimeout(DdkbError):
    """A query ran past its time limit and was stopped."""


class QueryMemoryExceeded(DdkbError):
    """A query needed more memory than its cap (``--max-memory``) and was stopped."""


class EngineCrashed(InputError):
    """The query engine died on a query (a signal such as SIGSEGV): hostile or broken input."""
