"""Versioned release artefacts of the ontology, KB and mappings (``ddkb release``).

``release(out)`` writes, for version ``V`` (the ontology's ``owl:versionInfo``,
else the package version):

=================================  ===================================================
``ddkb-V.ttl``                     ontology + KB (+ external links), Turtle
``ddkb-V.rdf``                     the same, RDF/XML (opens in Protégé / the OWL API)
``ddkb-V.jsonld``                  the same, compact JSON-LD (ddkb's context inline)
``ddkb-V.context.jsonld``          ddkb's JSON-LD context (served as its w3id.org IRI)
``ddkb-V.nt``                      the same, N-Triples
``ddkb-V.trig``                    the same, one named graph per source file
``ddkb-V-inferred.ttl``            the same plus its OWL 2 RL closure
``ddkb-V-mappings.ttl``            the SSSOM mapping sets as RDF (owl:Axiom per mapping)
``ddkb-*.sssom.tsv``               copies of the SSSOM TSV mapping sets
``catalog-v001.xml``               maps the ontology and version IRIs to ``ddkb-V.rdf``
``manifest.json``                  name, version, and size + sha256 of every file above
=================================  ===================================================

>>> from ddkb.release import release
>>> manifest = release("dist")  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from .errors import InputError
from .fileio import check_output_folder, write_atomic

MEDIA_TYPES = {
    ".ttl": "text/turtle", ".rdf": "application/rdf+xml", ".jsonld": "application/ld+json",
    ".nt": "application/n-triples", ".trig": "application/trig",
    ".tsv": "text/tab-separated-values", ".xml": "application/xml",
}

#: (rdf_export format, file suffix) of the plain RDF release files
RDF_FILES = (("turtle", ".ttl"), ("xml", ".rdf"), ("jsonld", ".jsonld"), ("nt", ".nt"),
             ("trig", ".trig"))


def release_version(kb) -> str:
    """The ontology's ``owl:versionInfo``, else the ddkb package version."""
    from . import __version__
    from .namespaces import ONTOLOGY_IRI

    rows = kb.select(f"SELECT ?v WHERE {{ <{ONTOLOGY_IRI}> owl:versionInfo ?v }}")
    return rows[0]["v"].value if rows else __version__


def _catalog(version: str, target: str) -> str:
    from xml.sax.saxutils import quoteattr

    from .namespaces import ONTOLOGY_IRI

    version_iri = f"https://w3id.org/ddkb/releases/{version}/ontology"
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        '<catalog prefer="public" xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">\n'
        f'    <uri name={quoteattr(ONTOLOGY_IRI)} uri={quoteattr(target)}/>\n'
        f'    <uri name={quoteattr(version_iri)} uri={quoteattr(target)}/>\n'
        '</catalog>\n')


def release(out: str | Path = "dist", *, data: list[str | Path] | tuple = (),
            allow_network: bool = False) -> dict:
    """Write every release artefact into ``out`` and return the manifest (also
    written as ``manifest.json``, last).

    ``out`` must be a new folder (created), an empty one, or one holding a previous
    ddkb release (recognised by its ``manifest.json``): re-running overwrites the
    files that release listed, and only if they are unchanged since. Anything else
    -- a folder of other files, a file the previous manifest does not list or whose
    sha256 no longer matches, an input of the KB (a ``--data`` file, a file it
    imports, its ``catalog-v001.xml``) -- is refused (``InputError``) before anything
    is written. Each file is written atomically (``ddkb.fileio.write_atomic``).
    """
    from . import jsonld, mappings
    from . import kb as kbmod
    from .rdf_export import export_rdf

    out = Path(out)
    previous = _previous_release(out)
    check_output_folder(out)
    kb = kbmod.load(data, allow_network=allow_network)
    version = release_version(kb)
    stem = f"ddkb-{version}"
    sets = mappings.bundled_sets()
    rdf_files = {stem + suffix: fmt for fmt, suffix in RDF_FILES}
    context_name = f"{stem}.context.jsonld"
    names = [*rdf_files, context_name, f"{stem}-inferred.ttl", f"{stem}-mappings.ttl",
             *(mset.name for mset in sets), "catalog-v001.xml"]
    inputs = kb.input_files()
    # refuse before the slow part (the OWL RL closure) and before writing anything
    _refuse_overwrites(out, [*names, "manifest.json"], inputs, previous)
    files: dict[str, str | bytes] = {name: export_rdf(kb, fmt) for name, fmt in rdf_files.items()}
    files[context_name] = jsonld.context_path().read_bytes()
    inferred = kbmod.load(data, infer="owlrl", allow_network=allow_network)
    files[f"{stem}-inferred.ttl"] = export_rdf(inferred, "turtle")
    files[f"{stem}-mappings.ttl"] = mappings.to_sssom_rdf(sets).serialize(format="turtle")
    for mset in sets:
        files[mset.name] = mappings.format_sssom(mset)
    files["catalog-v001.xml"] = _catalog(version, stem + ".rdf")
    assert list(files) == names, "release file names out of step"
    try:
        out.mkdir(parents=True, exist_ok=True)  # only once every artefact could be built
    except OSError as err:
        raise InputError(f"{out}: cannot create the folder: {err.strerror or err}") from None
    entries = []
    for name, content in files.items():
        payload = content.encode("utf-8") if isinstance(content, str) else content
        write_atomic(out / name, payload, protect=inputs)
        entries.append({
            "path": name,
            "bytes": len(payload),
            "sha256": hashlib.sha256(payload).hexdigest(),
            "media_type": MEDIA_TYPES.get(Path(name).suffix, "application/octet-stream"),
        })
    manifest = {
        "name": "ddkb",
        "title": "Defense Diplomacy Knowledge Base",
        "version": version,
        "ontology_iri": "https://w3id.org/ddkb/ontology",
        "version_iri": f"https://w3id.org/ddkb/releases/{version}/ontology",
        "license": "https://creativecommons.org/licenses/by/4.0/",
        "files": sorted(entries, key=lambda e: e["path"]),
    }
    write_atomic(out / "manifest.json", json.dumps(manifest, indent=2) + "\n", protect=inputs)
    return manifest


def _previous_release(out: Path) -> dict[str, str]:
    """``path -> sha256`` of the release already in ``out`` ({} if ``out`` is new or
    empty); ``InputError`` if ``out`` is not a folder or holds anything else."""
    if not out.exists():
        return {}
    if not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder")
    try:
        if not any(out.iterdir()):
            return {}
    except OSError as err:
        raise InputError(f"{out}: cannot read the folder: {err.strerror or err}") from None
    listed = _manifest_files(out / "manifest.json")
    if listed is None:
        raise InputError(f"{out}: folder is not empty and holds no ddkb release "
                         "(no ddkb manifest.json); give a new or empty folder")
    return listed


def _manifest_files(path: Path) -> dict[str, str] | None:
    """The files a ddkb ``manifest.json`` lists (``path -> sha256``), or None if
    ``path`` is missing or is not a ddkb release manifest."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("name") != "ddkb" \
            or not isinstance(manifest.get("files"), list):
        return None
    listed = {}
    for entry in manifest["files"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str) \
                or not isinstance(entry.get("sha256"), str):
            return None
        listed[entry["path"]] = entry["sha256"]
    return listed


def _refuse_overwrites(out: Path, names: list[str], inputs: list[Path],
                       previous: dict[str, str]) -> None:
    """Refuse, before writing anything, to replace an input or a file that is not
    the unchanged output of the previous release in ``out``."""
    resolved_inputs = {p.resolve() for p in inputs}
    for name in names:
        path = out / name
        if path.resolve() in resolved_inputs:
            raise InputError(f"{path}: refusing to overwrite an input file (a --data file, "
                             "one it imports or its catalog); choose another --out folder")
        if name == "manifest.json" or not os.path.lexists(path):
            continue
        if name not in previous:
            raise InputError(f"{path}: not listed in {out / 'manifest.json'}, so not "
                             "written by ddkb; refusing to overwrite it")
        if _sha256(path) != previous[name]:
            raise InputError(f"{path}: changed since the previous release (sha256 differs "
                             "from manifest.json); refusing to overwrite it")


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def verify(out: str | Path) -> list[str]:
    """Check a release folder against its ``manifest.json``; one line per problem."""
    out = Path(out)
    try:
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return [f"{out / 'manifest.json'}: cannot read: {err}"]
    problems = []
    for entry in manifest.get("files", []):
        path = out / entry["path"]
        if not path.is_file():
            problems.append(f"{path}: missing")
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != entry["sha256"]:
            problems.append(f"{path}: sha256 differs from the manifest")
    return problems
