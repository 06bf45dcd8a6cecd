"""What a concept map's own tools need from the KB: relations to choose from, the
user's notes and relations, and the fact-check status of each relation drawn.

A student working on a map (``ddkb/templates/conceptmap_tools.js``) can add a note
to a concept and draw a new relation between two concepts; "Download my
additions" saves them as a Turtle file. Loaded back with ``ddkb --data FILE``,
that file goes to its own named graph like every ``--data`` file, and every
statement in it says whose it is:

* a new relation is the triple itself (so the map draws it) plus a ``ddkb:Claim``
  about it with ``prov:wasAttributedTo`` :data:`MAP_USER`;
* a note is a W3C Web Annotation (``oa:Annotation``) whose ``oa:hasTarget`` is the
  concept and whose ``oa:bodyValue`` is the text, also attributed to :data:`MAP_USER`.

Neither the claim nor the annotation has a label, so neither becomes a concept of
the map. :func:`tools_payload` reads them back (only from the user's graphs: a
relation the bundled KB also asserts stays the article's) for the map to show
them as the user's own -- never as the article's.

>>> import ddkb
>>> from ddkb.mapnotes import tools_payload
>>> kb = ddkb.load()                                                       # doctest: +SKIP
>>> tools_payload(kb, G)["relations"][0]                                   # doctest: +SKIP
{'iri': 'https://w3id.org/ddkb/addresses', 'curie': 'ddkb:addresses', 'label': 'addresses'}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .namespaces import DDKB, curie
from .usergraphs import BUNDLED_GRAPH_PREFIX

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

    from .kb import KnowledgeBase

#: The agent every statement a map user adds is attributed to (``prov:wasAttributedTo``).
MAP_USER = "https://w3id.org/ddkb/agent/map-user"
PROV = "http://www.w3.org/ns/prov#"
OA = "http://www.w3.org/ns/oa#"

#: status IRI -> doubt level the map shows (driven by IRIs, never by labels).
DOUBT_BY_STATUS_IRI = {
    DDKB + "status-not-supported": "not-supported",
    DDKB + "status-contradicted": "contradicted",
    DDKB + "status-partly-supported": "partly",
}

_RELATIONS_QUERY = f"""
SELECT ?p (SAMPLE(?l) AS ?label) WHERE {{
  ?p a owl:ObjectProperty .
  OPTIONAL {{ ?p rdfs:label ?l FILTER(LANG(?l) = "en" || LANG(?l) = "") }}
  FILTER(isIRI(?p) && STRSTARTS(STR(?p), "{DDKB}"))
}} GROUP BY ?p"""

_DOUBTFUL_CLAIMS_QUERY = """
SELECT DISTINCT ?s ?p ?o ?status ?statusLabel WHERE {
  ?claim ddkb:claimSubject ?s ; ddkb:claimPredicate ?p ; ddkb:claimObject ?o ;
         ddkb:verificationStatus ?status .
  VALUES ?status { STATUSES }
  OPTIONAL { ?status skos:prefLabel ?statusLabel FILTER(LANG(?statusLabel) = "en") }
}""".replace("STATUSES", " ".join(f"<{iri}>" for iri in DOUBT_BY_STATUS_IRI))

_USER_RELATIONS_QUERY = f"""
SELECT DISTINCT ?g ?s ?p ?o WHERE {{
  GRAPH ?g {{
    ?claim <{PROV}wasAttributedTo> <{MAP_USER}> ;
           ddkb:claimSubject ?s ; ddkb:claimPredicate ?p ; ddkb:claimObject ?o .
    ?s ?p ?o .
  }}
  FILTER NOT EXISTS {{  # the article says so too: it stays the article's
    GRAPH ?b {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?b), "{BUNDLED_GRAPH_PREFIX}"))
  }}
}}"""

_USER_NOTES_QUERY = f"""
SELECT DISTINCT ?g ?target ?text WHERE {{
  GRAPH ?g {{
    ?note a <{OA}Annotation> ; <{PROV}wasAttributedTo> <{MAP_USER}> ;
          <{OA}hasTarget> ?target ; <{OA}bodyValue> ?text .
  }}
}} ORDER BY ?target ?text"""



def relation_choices(kb: KnowledgeBase) -> list[dict[str, str]]:
    """Every ddkb object property with its English label, sorted by label: what a
    student may choose from when drawing a new relation."""
    rows = kb.select(_RELATIONS_QUERY)
    found = [{"iri": row["p"].value, "curie": curie(row["p"].value),
              "label": row["label"].value if row.get("label") is not None
              else curie(row["p"].value)} for row in rows]
    return sorted(found, key=lambda r: (r["label"].lower(), r["iri"]))


def doubtful_relations(kb: KnowledgeBase, G: nx.MultiDiGraph) -> list[dict[str, str]]:
    """The relations drawn on the map whose claim the fact-check doubts:
    ``{"from", "curie", "to", "doubt", "status"}`` (status: the English label)."""
    found = []
    for row in kb.select(_DOUBTFUL_CLAIMS_QUERY):
        s, p, o = row["s"].value, row["p"].value, row["o"].value
        key = curie(p)
        if s in G and o in G and G.has_edge(s, o, key):
            label = row["statusLabel"].value if row.get("statusLabel") is not None else \
                curie(row["status"].value)
            found.append({"from": s, "curie": key, "to": o,
                          "doubt": DOUBT_BY_STATUS_IRI[row["status"].value], "status": label})
    return sorted(found, key=lambda d: (d["from"], d["curie"], d["to"]))


def _user_graphs(kb: KnowledgeBase) -> set[str]:
    return {f.graph for f in getattr(kb, "files", []) if not f.bundled}


def user_relations(kb: KnowledgeBase, G: nx.MultiDiGraph) -> list[dict[str, Any]]:
    """Relations a user's file adds and attributes to :data:`MAP_USER` (and that no
    bundled file asserts): ``{"from", "iri", "curie", "to", "file", "onMap"}``.

    Those not drawn on this map (``onMap`` false) ride along so that "Download my
    additions" on this map never drops what the student made on another one.
    """
    users = _user_graphs(kb)
    found: dict[tuple[str, str, str], str] = {}
    for row in kb.select(_USER_RELATIONS_QUERY):
        if row["g"].value in users:
            found.setdefault((row["s"].value, row["p"].value, row["o"].value), row["g"].value)
    return [{"from": s, "iri": p, "curie": curie(p), "to": o, "file": _file_name(kb, g),
             "onMap": s in G and o in G and G.has_edge(s, o, curie(p))}
            for (s, p, o), g in sorted(found.items())]


def user_notes(kb: KnowledgeBase, G: nx.MultiDiGraph) -> list[dict[str, Any]]:
    """Notes a user's file attaches to concepts: ``{"concept", "text", "file", "onMap"}``
    (notes on concepts of other maps ride along, as in :func:`user_relations`)."""
    users = _user_graphs(kb)
    return [{"concept": row["target"].value, "text": row["text"].value,
             "file": _file_name(kb, row["g"].value), "onMap": row["target"].value in G}
            for row in kb.select(_USER_NOTES_QUERY) if row["g"].value in users]


def _file_name(kb: KnowledgeBase, graph: str) -> str:
    return next((f.path.name for f in getattr(kb, "files", []) if f.graph == graph), graph)


def tools_payload(kb: KnowledgeBase, G: nx.MultiDiGraph) -> dict[str, Any]:
    """The ``tools`` part of a map's data block (read by ``conceptmap_tools.js``)."""
    return {
        "relations": relation_choices(kb),
        "doubtful": doubtful_relations(kb, G),
        "user": {"relations": user_relations(kb, G), "notes": user_notes(kb, G)},
        "agent": MAP_USER,
    }
