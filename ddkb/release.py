"""Versioned release artefacts of the ontology, KB and mappings (``ddkb release``).

``release(out)`` writes, for version ``V`` (the ontology's ``owl:versionInfo``,
else the package version):

=================================  ===================================================
``ddkb-V.ttl``                     ontology + KB (+ external links), Turtle
``ddkb-V.rdf``                     the same, RDF/XML (opens in Protégé / the OWL API)
``ddkb-V.jsonld``                  the same, JSON-LD (inline context)
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
from pathlib import Path

from .errors import InputError
from .fileio import write_atomic

MEDIA_TYPES = {
    ".ttl": "text/turtle", ".rdf": "application/rdf+xml", ".jsonld": "application/ld+json",
    ".nt": "application/n-triples", ".trig": "application/trig",
    ".tsv": "text/tab-separated-values", ".xml": "application/xml",
}


def release_version(kb) -> str:
    """The ontology's ``owl:versionInfo``, else the ddkb package version."""
    from . import __version__
    from .namespaces import ONTOLOGY_IRI

    rows = kb.select(f"SELECT ?v WHERE {{ <{ONTOLOGY_IRI}> owl:versionInfo ?v }}")
    return rows[0]["v"].value if rows else __version__


def _inferred_kb(data, allow_network: bool):
    """The KB with its OWL 2 RL closure: the loader's ``infer="owlrl"`` (``ddkb.reason``)
    when installed, else an rdflib graph closed with owlrl here."""
    import importlib.util

    from . import kb as kbmod

    if importlib.util.find_spec("ddkb.reason") is not None:
        return kbmod.load(data, infer="owlrl", allow_network=allow_network)
    import owlrl

    from .rdf_export import union_graph

    g = union_graph(kbmod.load(data, allow_network=allow_network))
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False,
                           datatype_axioms=False).expand(g)
    return g


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
    """Write every release artefact into ``out`` (created if missing) and return the
    manifest (also written as ``manifest.json``, last).

    Each file is written atomically; re-running overwrites a previous release of
    the same version.
    """
    from . import kb as kbmod
    from . import mappings
    from .rdf_export import export_rdf

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder")
    kb = kbmod.load(data, allow_network=allow_network)
    version = release_version(kb)
    stem = f"ddkb-{version}"
    files: dict[str, str | bytes] = {}
    for fmt, suffix in (("turtle", ".ttl"), ("xml", ".rdf"), ("jsonld", ".jsonld"),
                        ("nt", ".nt"), ("trig", ".trig")):
        files[stem + suffix] = export_rdf(kb, fmt)
    inferred = _inferred_kb(data, allow_network)
    if hasattr(inferred, "store"):
        files[f"{stem}-inferred.ttl"] = export_rdf(inferred, "turtle")
    else:
        files[f"{stem}-inferred.ttl"] = inferred.serialize(format="turtle")
    sets = mappings.bundled_sets()
    files[f"{stem}-mappings.ttl"] = mappings.to_sssom_rdf(sets).serialize(format="turtle")
    for mset in sets:
        files[mset.name] = mappings.format_sssom(mset)
    files["catalog-v001.xml"] = _catalog(version, stem + ".rdf")
    inputs = [Path(d) for d in data]
    for name in [*files, "manifest.json"]:  # refuse before writing anything
        if any(p.resolve() == (out / name).resolve() for p in inputs):
            raise InputError(f"{out / name}: refusing to overwrite an input file "
                             "(a --data file); choose another --out folder")
    out.mkdir(parents=True, exist_ok=True)  # only once every artefact could be built
    entries = []
    for name, content in files.items():
        payload = content.encode("utf-8") if isinstance(content, str) else content
        write_atomic(out / name, payload)
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
    write_atomic(out / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    return manifest


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
