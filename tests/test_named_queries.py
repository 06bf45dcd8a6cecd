"""The named queries: the registry (ddkb.named) and the answers on the bundled KB.

Every ``.rq`` file must parse (header and SPARQL), run with its parameters
unbound and bound, and give the answers a reader of the seed article expects.
The answers are asked for as a user asks: ``KnowledgeBase.run_named`` with typed
values (labels, alt labels, CURIEs, IRIs, plain strings), ``ddkb query -n NAME
-p k=v`` through Click and through the installed console script.
"""

from __future__ import annotations

import re

import pytest

from ddkb.errors import ConceptNotFound, InputError
from ddkb.named import NamedQuery, QueryParam, get_query, list_queries, parse_query_file
from ddkb.namespaces import expand
from ddkb.sparql import check_query

QUERY_NAMES = [q.name for q in list_queries()]

#: A documented example in a parameter's description: e.g. "joint military exercise".
EXAMPLE = re.compile(r'"([^"]+)"')


def examples(param: QueryParam) -> list[str]:
    """The example values a parameter's description gives (what a user would copy)."""
    return EXAMPLE.findall(param.description)


def run(kb, name: str, **params: str) -> list[dict[str, str]]:
    """Run a named query the way a user does -- ``kb.run_named`` with typed values.

    Values go through ``param_term`` (concept labels looked up, CURIEs expanded,
    literals kept) and the checked query path; rows come back as plain strings.
    """
    result = kb.run_named(name, params)
    assert result.kind == "select" and not result.truncated
    return [{k: v.value for k, v in row.items()} for row in result.dicts()]


def iri(curie: str) -> str:
    return expand(curie)


def column(rows: list[dict[str, str]], name: str) -> set[str]:
    return {row[name] for row in rows if name in row}


# -- the registry ---------------------------------------------------------------


def test_at_least_18_named_queries_with_titles_and_descriptions():
    queries = list_queries()
    assert len(queries) >= 18
    assert [q.name for q in queries] == sorted(q.name for q in queries)
    for q in queries:
        assert isinstance(q, NamedQuery)
        assert q.title and q.description, q.name
        assert q.path.name == f"{q.name}.rq"
        assert all(isinstance(p, QueryParam) and p.description for p in q.params)


def test_header_is_parsed_into_params():
    q = get_query("why")
    assert [(p.name, p.kind, p.required) for p in q.params] == [
        ("subject", "concept", True),
        ("property", "iri", False),
        ("object", "concept", False),
    ]
    assert get_query("fosters").title == "What a given instrument fosters"


def test_default_option_makes_a_param_optional(fixtures_dir):
    (q,) = list_queries(fixtures_dir / "named" / "good")
    assert q.name == "labels"
    lang = q.param("lang")
    assert (lang.kind, lang.required, lang.default) == ("literal", False, "en")
    with pytest.raises(InputError, match="no parameter 'nope'.*concept, lang"):
        q.param("nope")


def test_unknown_name_suggests_close_names():
    with pytest.raises(InputError) as err:
        get_query("fosterz")
    message = str(err.value)
    assert message == "unknown named query 'fosterz'; did you mean: fosters?"


def test_unknown_name_without_close_names_points_to_the_list():
    with pytest.raises(InputError, match="unknown named query 'zzzz'; see 'ddkb queries'"):
        get_query("zzzz")


@pytest.mark.parametrize(
    "fixture, line, words",
    [
        ("bad-kind.rq", 3, "needs a kind"),
        ("bad-line.rq", 2, "bad header line"),
        ("no-title.rq", 1, "no '# title:' line"),
        ("unused-param.rq", 2, "not a variable of the query"),
    ],
)
def test_malformed_header_is_one_line_naming_file_and_line(fixtures_dir, fixture, line, words):
    path = fixtures_dir / "named" / fixture
    with pytest.raises(InputError) as err:
        parse_query_file(path)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:{line}: ")
    assert words in message


def test_a_folder_with_a_bad_file_fails_listing(fixtures_dir):
    with pytest.raises(InputError, match=r"bad-kind\.rq:3"):
        list_queries(fixtures_dir / "named")


def test_named_module_does_not_import_rdflib():
    import subprocess
    import sys

    code = "import sys, ddkb.named; ddkb.named.list_queries(); print('rdflib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- every query parses and runs ----------------------------------------------------


def rows_of(result, drop: set[str], lists: dict[str, str] | None = None
            ) -> set[tuple[tuple[str, str], ...]]:
    """Rows as comparable tuples of (variable, value), leaving out the variables ``drop``.

    ``lists`` (column -> separator, a query's ``list_columns``) are compared as
    sorted parts: SPARQL leaves the order inside a GROUP_CONCAT to the engine.
    """
    lists = lists or {}

    def value(k: str, v) -> str:
        return " ".join(sorted(v.value.split(lists[k]))) if k in lists else v.value

    return {tuple(sorted((k, value(k, v)) for k, v in row.items() if k not in drop))
            for row in result}


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_query_runs_unbound_and_bound(kb, name):
    query = get_query(name)
    assert check_query(query.text) == "select"
    for prefix in re.findall(r"\b([a-z]+):[A-Za-z]", re.sub(r"(?m)^#.*$|<[^>]*>", "", query.text)):
        assert re.search(rf"(?m)^PREFIX {prefix}:", query.text), f"{name}: PREFIX {prefix} missing"
    # runs with no PREFIX predeclared: the file stands alone in any SPARQL tool,
    # with its parameters unbound, and answers what it answers inside ddkb
    solutions = kb.store.query(query.text, use_default_graph_as_union=True)
    names = [v.value for v in solutions.variables]
    alone = [{n: s[n] for n in names if s[n] is not None} for s in solutions]
    unbound = kb.select(query.text)
    assert unbound, f"{name}: no rows on the bundled KB"
    lists = query.list_columns
    assert rows_of(alone, set(), lists) == rows_of(unbound, set(), lists)
    # bound through the public path, with the first example of every parameter's
    # description: rows come back, each parameter column holds the value bound,
    # and binding only narrows the answer (a subset of the unbound rows)
    given = {p.name: examples(p)[0] for p in query.params}
    result = kb.run_named(name, given)
    bound = result.dicts()
    assert bound, f"{name} {given}: no rows"
    for param in query.params:
        want = kb.param_term(param.kind, given[param.name], param.name)
        if param.name in result.variables:
            assert {row[param.name] for row in bound} == {want}, param.name
    drop = {p.name for p in query.params}
    assert rows_of(bound, drop, lists) <= rows_of(unbound, drop, lists)
    if query.params:
        assert len(bound) < len(unbound)
    else:
        assert rows_of(bound, set(), lists) == rows_of(unbound, set(), lists)


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_every_documented_example_value_gives_rows(kb, name):
    """Each e.g. "..." in a parameter's description works when typed as is."""
    query = get_query(name)
    first = {p.name: examples(p)[0] for p in query.params}
    for param in query.params:
        assert examples(param), f"{name}: parameter {param.name} has no example"
        for value in examples(param):
            rows = run(kb, name, **{**first, param.name: value})
            assert rows, f"{name} -p {param.name}={value}: no rows"


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_query_is_standard_sparql_for_other_tools(name):
    """rdflib's parser (an independent SPARQL 1.1 implementation) reads the file as is."""
    from rdflib.plugins.sparql import prepareQuery

    prepareQuery(get_query(name).text)


def test_every_query_orders_its_rows():
    for q in list_queries():
        assert "ORDER BY" in q.text, q.name


# -- expected answers on the bundled KB ----------------------------------------------


#: What the KB says a joint military exercise fosters (kb/, seed article sections).
JME_FOSTERS = {"conflict resolution", "exchange of best practices", "interoperability",
               "military alliance", "mutual trust", "mutual understanding",
               "positive international perceptions", "stability", "strategic partnership",
               "stronger diplomatic ties"}


def test_fosters_joint_military_exercise(kb):
    rows = run(kb, "fosters", instrument="joint military exercise")  # by label
    assert column(rows, "outcomeLabel") == JME_FOSTERS
    assert len(rows) == len(JME_FOSTERS)
    assert column(rows, "instrument") == {iri("ddkb:joint-military-exercise")}
    trust = next(r for r in rows if r["outcome"] == iri("ddkb:mutual-trust"))
    assert trust["outcomeLabel"] == "mutual trust"
    assert trust["sections"]  # section titles, not IRIs
    assert "https://" not in trust["sections"]


@pytest.mark.parametrize("typed", [
    "joint military exercise",  # prefLabel
    "Joint Exercises",  # an alt label, any case
    "ddkb:joint-military-exercise",  # CURIE
    "https://w3id.org/ddkb/joint-military-exercise",  # full IRI
])
def test_a_concept_parameter_accepts_label_alt_label_curie_and_iri(kb, typed):
    rows = run(kb, "fosters", instrument=typed)
    assert column(rows, "instrument") == {iri("ddkb:joint-military-exercise")}
    assert column(rows, "outcomeLabel") == JME_FOSTERS


def test_instruments_with_families(kb):
    rows = run(kb, "instruments")
    by_iri = {r["instrument"]: r for r in rows}
    assert iri("ddkb:joint-military-exercise") in by_iri
    assert by_iri[iri("ddkb:joint-military-exercise")]["class"] == iri("ddkb:ExerciseAndTraining")
    assert len(column(rows, "class")) >= 5
    # each instrument once: its most specific family
    assert len(by_iri) == len(rows)
    for family in ("Dialogue", "dialogue", "ddkb:Dialogue"):  # a class by label or CURIE
        dialogues = run(kb, "instruments", family=family)
        assert column(dialogues, "class") == {iri("ddkb:Dialogue")}
        assert {"defense dialogue", "military exchange", "information sharing"} <= column(
            dialogues, "label")
        assert "joint military exercise" not in column(dialogues, "label")


def test_cbms_include_notification_protocols(kb):
    rows = run(kb, "cbms")
    labels = column(rows, "label") | column(rows, "componentLabel")
    assert any("notification" in label.lower() for label in labels), labels
    assert iri("ddkb:confidence-building-measures") in column(rows, "cbm")
    assert column(rows, "component")


def test_norms_an_instrument_promotes(kb):
    dialogue = run(kb, "norms", instrument="defence dialogues")  # an alt label
    assert column(dialogue, "instrument") == {iri("ddkb:defense-dialogue")}
    assert column(dialogue, "normLabel") == {"common security standards", "shared norms"}
    nato = run(kb, "norms", instrument="NATO partnership programmes")
    assert "interoperability standards" in column(nato, "normLabel")
    assert all(r["normLabel"] for r in nato)


def test_risks_and_mitigations(kb):
    rows = run(kb, "risks")
    assert len(column(rows, "risk")) >= 3
    assert column(rows, "mitigation"), "no risk has a mitigation"
    escalation = run(kb, "risks", risk="inadvertent escalation")  # an alt label
    assert column(escalation, "riskLabel") == {"accidental escalation"}
    assert column(escalation, "mitigationLabel") == {
        "clear protocols", "confidence-building measures", "consistent communication",
        "diplomatic oversight"}
    assert all(r.get("riskLabel") for r in rows)


def test_case_studies_with_actors_regions_instruments_and_status(kb):
    rows = run(kb, "case-studies")
    assert len(rows) >= 4
    actors = " | ".join(column(rows, "actors"))
    assert "ADMM-Plus" in actors
    assert any(r.get("regions") for r in rows)
    assert any(r.get("instruments") for r in rows)
    statuses = column(rows, "status")
    assert {"not supported", "contradicted"} <= statuses, statuses
    yatra = next(r for r in rows if r["case"] == iri("ddkb:india-defense-yatra"))
    assert yatra["status"] == "not supported"
    assert "Neighbourhood First" in yatra.get("seeAlso", "")
    (one,) = run(kb, "case-studies", case="Defence Yatra")
    assert one == yatra


def test_actors_include_admm_plus(kb):
    rows = run(kb, "actors")
    by_iri = {r["actor"]: r for r in rows}
    assert iri("ddkb:admm-plus") in by_iri
    assert iri("ddkb:nato") in by_iri
    assert by_iri[iri("ddkb:admm-plus")]["label"] == "ADMM-Plus"
    members = by_iri[iri("ddkb:admm-plus")]["members"].split(" | ")
    assert len(members) == 19 and "Japan" in members and "Timor-Leste" in members
    assert len(column(rows, "kind")) >= 2
    assert any(r.get("initiatives") for r in rows)


def test_actor_asean_lists_its_eleven_members(kb):
    (asean,) = run(kb, "actors", actor="Association of Southeast Asian Nations")
    assert asean["label"] == "ASEAN" and asean["kind"] == "intergovernmental organization"
    assert set(asean["members"].split(" | ")) == {
        "Brunei", "Cambodia", "Indonesia", "Laos", "Malaysia", "Myanmar", "Philippines",
        "Singapore", "Thailand", "Vietnam", "Timor-Leste"}


def test_linked_nato_both_directions(kb):
    assert run(kb, "linked", concept="OTAN") == run(kb, "linked", concept="ddkb:nato")
    rows = run(kb, "linked", concept="NATO")
    assert {"in", "out"} <= column(rows, "direction")
    assert all(r["concept"] == iri("ddkb:nato") for r in rows)
    assert "http://www.wikidata.org/entity/Q7184" in column(rows, "other")
    assert column(rows, "propertyLabel")


def test_section_claims_by_number_and_by_curie(kb):
    rows = run(kb, "section-claims", section="4")
    assert rows
    assert column(rows, "title") == {"Building Trust and Transparency in International Security"}
    assert column(rows, "sectionIri") == {iri("src:seed-s04")}
    assert all(r.get("subjectLabel") and r.get("propertyLabel") for r in rows)
    for same_section in ("src:seed-s04", "seed-s04", "https://w3id.org/ddkb/source/seed-s04",
                         "building trust and transparency in international security"):
        same = run(kb, "section-claims", section=same_section)  # a literal, matched by the query
        assert column(same, "claim") == column(rows, "claim"), same_section
    assert run(kb, "section-claims", section="no such section") == []


def test_needs_care_lists_the_fact_check_findings(kb):
    rows = run(kb, "needs-care")
    yatra = [r for r in rows if "Defense Yatra" in r["label"] or "Defence Yatra" in r["label"]]
    assert yatra and {r["statusLabel"] for r in yatra} == {"not supported"}
    pacific = [r for r in rows if "Pacific Partnership" in r["label"]
               and r.get("statusLabel") == "contradicted"]
    assert pacific, [r["label"] for r in rows]
    assert any(re.search(r"U\.?S\.? Pacific Fleet|United States Pacific Fleet",
                         r.get("correction", "")) for r in pacific)
    assert all(r.get("statusLabel") != "unverified" or "fact-check" in r.get("sources", "")
               for r in rows)
    # worst first
    ranks = {"contradicted": 0, "not supported": 1, "partly supported": 2, "supported": 3}
    seen = [ranks.get(r.get("statusLabel", ""), 4) for r in rows]
    assert seen == sorted(seen)


def test_needs_care_filter_by_status(kb):
    rows = run(kb, "needs-care", status="contradicted")
    assert rows and column(rows, "statusLabel") == {"contradicted"}
    assert column(run(kb, "needs-care", status="not supported"), "statusLabel") == {
        "not supported"}


def test_unset_optional_parameter_is_not_an_empty_column(kb):
    """An optional parameter left unset must not show as an always-empty column."""
    unset = kb.run_named("needs-care")
    assert unset.rows and "status" not in unset.variables
    assert "status" in kb.run_named("needs-care", {"status": "contradicted"}).variables
    assert "class" not in kb.run_named("concepts").variables
    # a parameter column the query fills itself stays
    assert "actor" in kb.run_named("actors").variables


def test_threats_and_what_addresses_them(kb):
    rows = run(kb, "threats")
    assert rows and column(rows, "addressedBy")
    cyber = run(kb, "threats", threat="cyber threat")
    assert column(cyber, "threatLabel") == {"cyber threat"} and column(cyber, "addressedBy")
    terrorism = run(kb, "threats", threat="terrorist attacks")  # an alt label
    assert column(terrorism, "addressedByLabel") == {
        "defense cooperation", "joint task force", "peacekeeping"}


def test_best_practices_and_what_they_recommend(kb):
    rows = run(kb, "best-practices")
    assert len(column(rows, "practice")) >= 3
    assert column(rows, "recommends")
    consistent = [r for r in rows if r.get("label") == "consistent engagement"]
    assert "joint military exercise" in column(consistent, "recommendsLabel")
    assert "Best Practices for Effective Military Diplomacy" in " | ".join(
        column(rows, "sections"))


def test_security_domains(kb):
    rows = run(kb, "security-domains")
    labels = {label.lower() for label in column(rows, "label")}
    assert any("cyber" in label for label in labels), labels
    assert any("space" in label for label in labels), labels
    assert column(rows, "kind") == {"security domain", "geopolitical challenge"}


def test_external_ids_of_nato(kb):
    rows = run(kb, "external-ids", concept="https://w3id.org/ddkb/nato")  # a full IRI
    exact = {r["external"] for r in rows if r["match"] == "exact"}
    assert exact == {"http://www.wikidata.org/entity/Q7184", "http://dbpedia.org/resource/NATO"}
    assert column(rows, "file") == {"kb/external-links.ttl"}


def test_why_joint_military_exercise_fosters_mutual_trust(kb):
    rows = run(kb, "why", subject="ddkb:joint-military-exercise", property="ddkb:fosters",
               object="ddkb:mutual-trust")
    assert len(rows) == 1
    (row,) = rows
    assert row["claim"].startswith("https://w3id.org/ddkb/claim/")
    assert row["claimText"] and row["status"]
    assert row["sources"] and "https://" not in row["sources"]
    everything = run(kb, "why", subject="ddkb:joint-military-exercise")
    assert len(everything) > len(JME_FOSTERS)
    assert column(everything, "property") > {iri("ddkb:fosters")}


@pytest.mark.parametrize("typed", ["ddkb:fosters", "https://w3id.org/ddkb/fosters",
                                   "<https://w3id.org/ddkb/fosters>", " ddkb:fosters "])
def test_an_iri_parameter_accepts_curie_iri_and_angle_brackets(kb, typed):
    rows = run(kb, "why", subject="joint military exercise", property=typed)
    assert column(rows, "property") == {iri("ddkb:fosters")}
    assert column(rows, "objectLabel") == JME_FOSTERS


def test_an_iri_parameter_is_taken_as_is_not_looked_up(kb):
    """An iri parameter names a term exactly: an unknown property gives no rows, no error."""
    assert run(kb, "why", subject="joint military exercise",
               property="http://example.org/no-such-property") == []


def test_outcomes_ranked(kb):
    rows = run(kb, "outcomes-ranked")
    counts = [int(r["instruments"]) for r in rows]
    assert counts == sorted(counts, reverse=True)
    trust = next(r for r in rows if r["outcome"] == iri("ddkb:mutual-trust"))
    assert int(trust["instruments"]) >= 2
    assert "joint military exercise" in trust["fosteredBy"].lower()


def test_section_concepts_covers_every_section(kb):
    rows = run(kb, "section-concepts")
    assert len(rows) == 21
    assert [int(r["number"]) for r in rows] == list(range(21))
    assert sum(int(r["concepts"]) for r in rows) >= 50


def test_fact_check_facts(kb):
    rows = run(kb, "fact-check")
    assert rows
    assert column(rows, "kind") <= {"claim", "concept"}
    subjects = column(rows, "subjectLabel")
    assert "ADMM-Plus" in subjects, subjects
    admm = {(r.get("propertyLabel"), r.get("value")) for r in rows
            if r.get("subjectLabel") == "ADMM-Plus"}
    assert ("has member count", "ADMM-Plus: 18 members as of 2010-10-12") in admm, admm
    assert ("has member count", "ADMM-Plus: 19 members as of 2025-11-01") in admm, admm
    assert ("has member", "Timor-Leste") in admm, admm


def test_concepts_of_a_class(kb):
    rows = run(kb, "concepts", **{"class": "ddkb:Outcome"})
    assert iri("ddkb:mutual-trust") in column(rows, "concept")
    everything = run(kb, "concepts")
    assert len(column(everything, "concept")) > len(rows)
    # a concept appears once per most specific class it has
    pairs = [(r["concept"], r.get("typeLabel")) for r in everything]
    assert len(pairs) == len(set(pairs))
    assert all(r.get("typeLabel") for r in everything)


def test_regions(kb):
    rows = run(kb, "regions")
    assert any("Asia" in label for label in column(rows, "regionLabel"))
    asia = run(kb, "regions", region="APAC")  # an alt label
    assert column(asia, "concept") == {iri("ddkb:admm-plus"), iri("ddkb:asean-regional-forum"),
                                       iri("ddkb:asia-pacific-case-study")}


def test_leads_to_mutual_trust(kb):
    rows = run(kb, "leads-to", target="ddkb:mutual-trust")
    assert iri("ddkb:joint-military-exercise") in column(rows, "cause")
    assert column(rows, "relation") <= {iri(f"ddkb:{p}") for p in (
        "fosters", "enables", "contributesTo", "promotesNorm", "influences")}


def test_status_summary(kb):
    rows = run(kb, "status-summary")
    assert len(rows) == 5
    assert column(rows, "label") == {"supported", "partly supported", "not supported",
                                     "contradicted", "unverified"}
    unverified = next(r for r in rows if r["label"] == "unverified")
    assert int(unverified["claims"]) > 10


# -- parameters a user gets wrong (the library) ------------------------------------


def test_unknown_parameter_is_refused_naming_the_known_ones(kb):
    with pytest.raises(InputError) as err:
        kb.run_named("fosters", {"instrument": "joint military exercise", "nope": "1"})
    assert str(err.value) == (
        "named query 'fosters' has no parameter 'nope' (parameters: instrument)")


def test_missing_required_parameter_is_refused(kb):
    with pytest.raises(InputError) as err:
        kb.run_named("why", {"property": "ddkb:fosters"})
    assert str(err.value) == ("named query 'why' needs -p subject=VALUE "
                              '(The subject concept, e.g. "joint military exercise")')


def test_unknown_concept_is_refused(kb):
    with pytest.raises(ConceptNotFound) as err:
        kb.run_named("fosters", {"instrument": "naval parade"})
    assert str(err.value) == "no concept called 'naval parade'; try 'ddkb search'"


def test_a_class_parameter_takes_only_classes(kb):
    with pytest.raises(ConceptNotFound, match=r"^no class called 'NATO'"):
        kb.run_named("concepts", {"class": "NATO"})
    assert kb.run_named("concepts", {"class": "Actor"}).rows  # a class by its label


def test_an_iri_parameter_refuses_a_bare_word(kb):
    with pytest.raises(InputError) as err:
        kb.run_named("why", {"subject": "joint military exercise", "property": "fosters"})
    assert str(err.value) == "-p property=fosters: not an IRI or known CURIE"


@pytest.mark.parametrize("hostile", [
    '4" ) } SELECT * WHERE { ?s ?p ?o } #',
    "4 } UNION { ?claim ?p ?o",
    '"4"',
])
def test_a_literal_value_is_bound_never_pasted_into_the_query(kb, hostile):
    """Quotes and braces in a value cannot change the query: it matches no section."""
    assert run(kb, "section-claims", section=hostile) == []


# -- the CLI: ddkb queries / ddkb query -n ------------------------------------------


def test_cli_queries_lists_every_name_and_title(cli, runner):
    result = runner.invoke(cli, ["queries"])
    assert result.exit_code == 0, result.output
    for q in list_queries():
        assert q.name in result.output
        assert q.title in result.output
    assert "instrument (concept)" in result.output


def test_cli_queries_json_has_params(cli, runner):
    import json

    result = runner.invoke(cli, ["queries", "--format", "json"])
    assert result.exit_code == 0
    doc = {q["name"]: q for q in json.loads(result.output)}
    assert set(doc) == set(QUERY_NAMES)
    assert doc["why"]["params"][1] == {
        "name": "property", "kind": "iri", "description": 'The property, e.g. "ddkb:fosters"',
        "required": False, "default": None}


def test_cli_named_fosters_table_shows_labels(cli, runner):
    result = runner.invoke(cli, ["query", "-n", "fosters", "-p",
                                 "instrument=joint military exercise"])
    assert result.exit_code == 0, result.output
    assert "ddkb:mutual-trust" in result.output
    assert "mutual trust" in result.output
    assert "Reducing Conflicts and Building Alliances" in result.output  # a section title


def test_a_parameter_given_twice_is_refused_not_half_used(cli, runner):
    result = runner.invoke(cli, ["query", "-n", "fosters", "-p", "instrument=joint military "
                                 "exercise", "-p", "instrument=naval port visit"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "Error: -p instrument=...: given twice; a parameter takes one value"]
    assert result.stdout == ""


def test_cli_named_needs_care_csv(cli, runner):
    import csv
    import io

    result = runner.invoke(cli, ["query", "-n", "needs-care", "-p", "status=contradicted",
                                 "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert rows and {r["statusLabel"] for r in rows} == {"contradicted"}
    assert any("Pacific Partnerships" in r["label"] for r in rows)
    assert any("Pacific Fleet" in r["correction"] for r in rows)


def test_cli_named_case_studies_and_external_ids(cli, runner):
    result = runner.invoke(cli, ["query", "-n", "case-studies"])
    assert result.exit_code == 0, result.output
    assert "ADMM-Plus" in result.output and "Defense Yatra" in result.output
    result = runner.invoke(cli, ["query", "-n", "external-ids", "-p", "concept=NATO"])
    assert result.exit_code == 0, result.output
    assert "wd:Q7184" in result.output


def test_cli_named_section_claims_by_number(cli, runner):
    import json

    result = runner.invoke(cli, ["query", "-n", "section-claims", "-p", "section=4",
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    bindings = json.loads(result.output)["results"]["bindings"]
    assert bindings
    assert {b["title"]["value"] for b in bindings} == {
        "Building Trust and Transparency in International Security"}


def test_cli_unknown_named_query_is_one_line_with_suggestion(cli, runner):
    result = runner.invoke(cli, ["query", "-n", "fosterz"])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "Error: unknown named query 'fosterz'; did you mean: fosters?")


@pytest.mark.parametrize("args, message", [
    (["-n", "fosters"],
     'named query \'fosters\' needs -p instrument=VALUE (The instrument or concept, '
     'e.g. "joint military exercise")'),
    (["-n", "fosters", "-p", "instrument=joint exercise", "-p", "nope=1"],
     "named query 'fosters' has no parameter 'nope' (parameters: instrument)"),
    (["-n", "fosters", "-p", "instrument"], "-p instrument: expected NAME=VALUE"),
    (["-n", "fosters", "-p", "instrument=naval parade"],
     "no concept called 'naval parade'; try 'ddkb search'"),
    (["-n", "why", "-p", "subject=NATO", "-p", "property=fosters"],
     "-p property=fosters: not an IRI or known CURIE"),
])
def test_cli_bad_parameter_is_exit_2_with_one_line(cli, runner, args, message):
    result = runner.invoke(cli, ["query", *args])
    assert result.exit_code == 2
    assert result.stderr == f"Error: {message}\n"
    assert result.stdout == ""


def test_cli_named_by_alt_label_csv_rows(cli, runner):
    import csv
    import io

    result = runner.invoke(cli, ["query", "-n", "norms", "-p", "instrument=security dialogue",
                                 "--format", "csv"])
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["instrument"], r["normLabel"]) for r in rows] == [
        (iri("ddkb:defense-dialogue"), "common security standards"),
        (iri("ddkb:defense-dialogue"), "shared norms")]


def test_installed_ddkb_runs_a_named_query(ddkb_exe, kb):
    import csv
    import io
    import subprocess

    out = subprocess.run([ddkb_exe, "query", "-n", "leads-to", "-p", "target=trust",
                          "--format", "csv"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert {r["target"] for r in rows} == {iri("ddkb:mutual-trust")}
    causes = {(r["causeLabel"], r["relation"]) for r in rows}
    assert ("joint military exercise", iri("ddkb:fosters")) in causes
    assert ("transparency", iri("ddkb:contributesTo")) in causes
    assert ("transparency initiative", iri("ddkb:fosters")) in causes  # added from section 4
    assert len(rows) == len(run(kb, "leads-to", target="mutual trust")) == 31


def test_installed_ddkb_refuses_a_missing_parameter_in_one_line(ddkb_exe):
    import subprocess

    out = subprocess.run([ddkb_exe, "query", "-n", "leads-to"], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr == ("Error: named query 'leads-to' needs -p target=VALUE "
                          '(The outcome or concept, e.g. "mutual trust")\n')


# -- members of an organisation on a date ------------------------------------------

def test_members_of_admm_plus_on_a_date_and_today(kb):
    on_2020 = run(kb, "members", org="ADMM-Plus", date="2020-01-01")
    assert len(on_2020) == 18
    labels = column(on_2020, "label")
    assert {"Australia", "Brunei", "Republic of Korea", "United States"} <= labels
    assert "Timor-Leste" not in labels
    assert column(on_2020, "from") == {"2010-10-12"}
    assert column(on_2020, "until") == set()  # no membership has ended
    assert [r["label"] for r in on_2020] == sorted((r["label"] for r in on_2020), key=str.lower)
    today = run(kb, "members", org="ADMM-Plus")  # no date: today's members
    assert len(today) == 19
    (timor,) = [r for r in today if r["label"] == "Timor-Leste"]
    assert timor["member"] == iri("ddkb:timor-leste") and timor["from"] == "2025-11-01"
    # the day before Timor-Leste took part in ADMM-Plus, and that day itself
    assert len(run(kb, "members", org="ADMM-Plus", date="2025-10-31")) == 18
    assert len(run(kb, "members", org="admm plus", date="2025-11-01")) == 19


def test_members_of_asean_over_time(kb):
    def count(day: str) -> int:
        return len(run(kb, "members", org="ASEAN", date=day))

    assert count("1967-08-08") == 5
    assert count("1990-01-01") == 6  # Brunei since 1984
    assert count("1997-07-23") == 9  # Vietnam 1995, Laos and Myanmar 1997
    assert count("1999-04-30") == 10  # Cambodia
    assert count("2025-10-25") == 10
    assert count("2025-10-26") == 11  # Timor-Leste
    assert count("1950-01-01") == 0


@pytest.mark.parametrize("bad", ["2020-13-01", "2020", "yesterday", "2020-02-30"])
def test_members_refuses_a_date_that_is_not_yyyy_mm_dd(kb, bad):
    with pytest.raises(InputError, match=r"-p date=.*not a date; write it as YYYY-MM-DD"):
        kb.run_named("members", {"org": "ADMM-Plus", "date": bad})


def test_members_cli_and_subprocess(runner, cli, ddkb_exe):
    import subprocess

    res = runner.invoke(cli, ["query", "-n", "members", "-p", "org=ADMM-Plus",
                              "-p", "date=2020-01-01", "--format", "csv"])
    assert res.exit_code == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == "member,label,from,until,org,date"
    assert len(lines) == 1 + 18
    assert "https://w3id.org/ddkb/japan,Japan,2010-10-12,,https://w3id.org/ddkb/admm-plus," \
           "2020-01-01" in lines
    proc = subprocess.run([ddkb_exe, "query", "-n", "members", "-p", "org=ADMM-Plus",
                           "--format", "csv"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    rows = proc.stdout.splitlines()[1:]
    assert len(rows) == 19 and any(r.startswith("https://w3id.org/ddkb/timor-leste,") for r in rows)
    bad = subprocess.run([ddkb_exe, "query", "-n", "members", "-p", "org=ADMM-Plus",
                          "-p", "date=01/01/2020"], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr == ("Error: -p date=01/01/2020: not a date; write it as YYYY-MM-DD, "
                          "e.g. 2020-01-01\n")
