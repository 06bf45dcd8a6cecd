"""IRIs of ddkb's namespaces and of the vocabularies it reuses, as plain strings.

Plain strings keep start-up fast (no rdflib import); ``ddkb.rdfterms`` offers
rdflib ``Namespace`` objects for code that already works with rdflib.
"""

from __future__ import annotations

DDKB = "https://w3id.org/ddkb/"
SRC = "https://w3id.org/ddkb/source/"
CLAIM = "https://w3id.org/ddkb/claim/"
GRAPH = "https://w3id.org/ddkb/graph/"
ONTOLOGY_IRI = "https://w3id.org/ddkb/ontology"
INFERRED_GRAPH = "https://w3id.org/ddkb/graph/inferred"

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
ORG = "http://www.w3.org/ns/org#"
TIME = "http://www.w3.org/2006/time#"
SCHEMA = "http://schema.org/"
FOAF = "http://xmlns.com/foaf/0.1/"
SH = "http://www.w3.org/ns/shacl#"
WD = "http://www.wikidata.org/entity/"
DBR = "http://dbpedia.org/resource/"
SEMAPV = "https://w3id.org/semapv/vocab/"
SSSOM = "https://w3id.org/sssom/"

#: Prefixes known to every query, CURIE and serialisation (order: ddkb's first).
PREFIXES: dict[str, str] = {
    "ddkb": DDKB,
    "src": SRC,
    "claim": CLAIM,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "prov": PROV,
    "org": ORG,
    "time": TIME,
    "schema": SCHEMA,
    "foaf": FOAF,
    "sh": SH,
    "wd": WD,
    "dbr": DBR,
    "semapv": SEMAPV,
}


def curie(iri: str) -> str:
    """Shorten an IRI with the known prefixes; return it unchanged if none fits.

    >>> curie("https://w3id.org/ddkb/mutual-trust")
    'ddkb:mutual-trust'
    """
    best = ""
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(ns) > len(best):
            local = iri[len(ns):]
            if local and "/" not in local and "#" not in local:
                best = ns
                result = f"{prefix}:{local}"
    return result if best else iri


def expand(name: str) -> str | None:
    """Expand a CURIE with a known prefix to an IRI, or return None.

    >>> expand("ddkb:mutual-trust")
    'https://w3id.org/ddkb/mutual-trust'
    """
    prefix, sep, local = name.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        return PREFIXES[prefix] + local
    return None
