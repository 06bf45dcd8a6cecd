"""Concept maps without a browser: the HTML file, its data block, filters, CLI and notebook view.

The browser half (rendering, search, tooltips, no network) is in
``test_conceptmap_browser.py``.
"""

from __future__ import annotations

import html as htmlmod
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import ddkb
from ddkb.conceptmap import (
    ConceptMap,
    build_map,
    doubt_level,
    find_remote_loads,
    json_for_script,
    select_graph,
    worst_status,
    write_map,
)
from ddkb.errors import InputError

FIXTURE = Path(__file__).parent / "fixtures" / "conceptmap" / "lagoon.ttl"
EX = "https://example.org/mapfix/"
DDKB_BIN = str(Path(sys.executable).with_name("ddkb"))  # the ddkb of this venv


def data_block(page: str) -> dict:
    found = re.search(r'<script id="ddkb-data" type="application/json">(.*?)</script>', page,
                      re.DOTALL)
    assert found, "no data block"
    return json.loads(found.group(1))


def test_json_for_script_escapes_markup_and_line_separators():
    text = json_for_script({"l": "</script><!-- & \u2028\u2029"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert "\u2028" not in text and "\u2029" not in text
    assert json.loads(text) == {"l": "</script><!-- & \u2028\u2029"}


def test_map_is_one_offline_file_with_escaped_data(lagoon_kb):
    page = build_map(lagoon_kb, focus="Lagoon drill", depth=3)
    # everything is inline: no external script, stylesheet, image or import
    assert find_remote_loads(page) == []
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)\s*=", page, re.IGNORECASE)
    assert "default-src 'none'" in page and "connect-src 'none'" in page
    assert "sourceMappingURL" not in page
    assert page.count("vis-network") >= 1 and "@license" in page  # vis-network's header kept
    # the hostile label, definition and section title appear only escaped
    assert "<script>window.pwned" not in page
    assert "<img src=x" not in page and "<b>Bold?" not in page and "<i>Lagoon" not in page
    assert "\u2028" not in page
    data = data_block(page)
    hostile = next(n for n in data["nodes"] if n["id"] == EX + "hostile")
    assert hostile["label"].startswith("<script>window.pwned = true</script>")
    assert hostile["ddkb"]["sources"] == ["<i>Lagoon</i> & <script>window.pwned = 'title'</script>"]
    assert "\u2028" in hostile["ddkb"]["definition"]


def test_title_and_caption_are_escaped_text(lagoon_kb):
    page = build_map(lagoon_kb, focus="Lagoon drill", depth=1, title='<b>"Map"</b> & co')
    assert "<title>&lt;b&gt;&quot;Map&quot;&lt;/b&gt; &amp; co</title>" in page
    caption = re.search(r'<p id="ddkb-caption">(.*?)</p>', page).group(1)
    text = htmlmod.unescape(caption)
    assert "4 concepts" in text and "5 relations" in text
    assert "focus: Lagoon drill (depth 1)" in text
    assert f"(ddkb {ddkb.__version__})" in text
    assert "with your data: lagoon.ttl" in text


@pytest.mark.parametrize("depth, expected", [
    (0, {"drill"}),
    (1, {"drill", "trust", "escalation", "claimed"}),
    (2, {"drill", "trust", "escalation", "claimed", "goodwill", "liaison"}),
    (3, {"drill", "trust", "escalation", "claimed", "goodwill", "liaison", "hostile"}),
])
def test_focus_and_depth_choose_the_nodes(lagoon_kb, depth, expected):
    data = data_block(build_map(lagoon_kb, focus="Lagoon drill", depth=depth))
    assert {n["id"].removeprefix(EX) for n in data["nodes"]} == expected
    assert data["focus"] == EX + "drill"


def test_types_and_exclude_types_filter_by_class(lagoon_kb):
    data = data_block(build_map(lagoon_kb, focus="LD-7", depth=3, types="Outcome"))
    assert {n["id"].removeprefix(EX) for n in data["nodes"]} == {"drill", "trust", "goodwill",
                                                                  "hostile"}
    data = data_block(build_map(lagoon_kb, focus="Lagoon drill", depth=3,
                                exclude_types=["Risk", "CaseStudy"]))
    assert {n["id"].removeprefix(EX) for n in data["nodes"]} == {"drill", "trust", "goodwill",
                                                                  "hostile"}
    with pytest.raises(InputError, match="unknown type"):
        build_map(lagoon_kb, focus="Lagoon drill", types="NoSuchClass")


def test_relations_filter_keeps_only_those_edges(lagoon_kb):
    data = data_block(build_map(lagoon_kb, focus="Lagoon drill", depth=3,
                                relations="fosters,hasRisk"))
    assert sorted(e["label"] for e in data["edges"]) == ["fosters", "has risk"]


def test_relations_filter_drops_concepts_left_without_a_relation(kb):
    # without --focus, a relations filter used to keep every concept as a lone dot
    G = select_graph(kb, types="Instrument,Outcome", relations="fosters")
    assert G.number_of_edges() > 0
    assert all(G.degree(n) > 0 for n in G)
    unfiltered = select_graph(kb, types="Instrument,Outcome")
    assert G.number_of_nodes() < unfiltered.number_of_nodes()


def test_parallel_relations_stay_separate_edges_with_distinct_curves(lagoon_kb):
    data = data_block(build_map(lagoon_kb, focus="Lagoon drill", depth=1))
    pair = {EX + "drill", EX + "trust"}
    between = [e for e in data["edges"] if {e["from"], e["to"]} == pair]
    assert sorted(e["label"] for e in between) == ["contributes to", "enables", "fosters"]
    assert sorted(e["ddkb"]["curie"] for e in between) == [
        "ddkb:contributesTo", "ddkb:enables", "ddkb:fosters"]
    assert all(e["arrows"] == "to" for e in between)
    # each edge of the pair is drawn on its own curve (side and/or roundness differ),
    # with the reversed edge's side flipped so it does not overlap a forward one
    drawn = set()
    for e in between:
        forward = e["from"] == min(pair)
        side = e["smooth"]["type"] if forward else {"curvedCW": "curvedCCW",
                                                     "curvedCCW": "curvedCW"}[e["smooth"]["type"]]
        drawn.add((side, e["smooth"]["roundness"]))
    assert len(drawn) == 3
    assert len({e["id"] for e in data["edges"]}) == len(data["edges"])


def test_nodes_are_styled_by_class_with_a_legend_and_doubt_flag(lagoon_kb):
    data = data_block(build_map(lagoon_kb, focus="Lagoon drill", depth=3))
    by_id = {n["id"].removeprefix(EX): n for n in data["nodes"]}
    assert by_id["trust"]["shape"] == by_id["goodwill"]["shape"] == "diamond"
    assert by_id["trust"]["group"] == by_id["goodwill"]["group"] != by_id["drill"]["group"]
    groups = data["options"]["groups"]
    assert groups[by_id["trust"]["group"]]["color"]["background"] != \
        groups[by_id["drill"]["group"]]["color"]["background"]
    assert by_id["escalation"]["shape"] != by_id["trust"]["shape"]
    legend = {entry["cls"]: entry["count"] for entry in data["legend"]}
    assert legend == {"Outcome": 3, "ExerciseAndTraining": 1, "Risk": 1, "Mitigation": 1,
                      "CaseStudy": 1}
    assert all(entry["label"][:1].isupper() for entry in data["legend"])
    claimed = by_id["claimed"]
    assert claimed["ddkb"]["doubt"] == "not-supported"
    assert claimed["shapeProperties"]["borderDashes"]
    assert groups[claimed["group"]]["color"]["border"] == "#d62728"
    assert groups[by_id["trust"]["group"]]["color"]["border"] != "#d62728"
    assert "shapeProperties" not in by_id["trust"]
    assert data["doubtful"] == 1
    assert by_id["drill"]["ddkb"]["bundled"] is False
    assert by_id["drill"]["ddkb"]["sources"] == ["Lagoon Programme Review"]


def test_doubt_levels_come_from_status_iris_not_labels():
    status = "https://w3id.org/ddkb/status-"
    assert doubt_level(status + "not-supported") == "not-supported"
    assert doubt_level(status + "contradicted") == "contradicted"
    assert doubt_level(status + "partly-supported") == "partly"
    assert doubt_level(status + "supported") == doubt_level(status + "unverified") == ""
    # an English label is not a status: a translated or renamed label changes nothing
    assert doubt_level("not supported") == doubt_level("contradicted") == ""
    assert worst_status([status + "supported", status + "contradicted",
                         status + "partly-supported"]) == status + "contradicted"
    assert worst_status([]) == ""


def test_relations_carry_their_fact_check_from_the_claims(kb):
    """The 22 not-supported/contradicted relations of the KB are styled from status IRIs."""
    data = data_block(build_map(kb, max_nodes=None))
    doubtful = [e for e in data["edges"] if e["ddkb"]["doubt"] in ("not-supported",
                                                                   "contradicted")]
    rows = kb.select("""SELECT (COUNT(*) AS ?n) WHERE { ?c ddkb:claimSubject ?s ;
        ddkb:claimPredicate ?p ; ddkb:claimObject ?o ; ddkb:verificationStatus ?st .
        ?s ?p ?o . VALUES ?st { ddkb:status-not-supported ddkb:status-contradicted } }""")
    assert len(doubtful) == int(rows[0]["n"].value) > 0
    edge = next(e for e in doubtful if e["ddkb"]["statusIri"].endswith("status-contradicted"))
    assert edge["dashes"] and edge["color"]["color"] == "#d62728"
    assert edge["arrows"]["middle"]["enabled"] is True
    assert edge["ddkb"]["status"] == "contradicted"
    assert edge["ddkb"]["correction"] and edge["ddkb"]["evidence"]
    partly = [e for e in data["edges"] if e["ddkb"]["doubt"] == "partly"]
    assert partly and all(e["color"]["color"] == "#e07b00" and e["dashes"] for e in partly)
    plain = [e for e in data["edges"] if not e["ddkb"]["doubt"]]
    assert all("dashes" not in e for e in plain)
    assert data["doubt"]["edges"]["partly"] == len(partly)


def test_every_map_gets_a_fixed_layout_unless_physics_is_asked_for(lagoon_kb):
    small = data_block(build_map(lagoon_kb, focus="Lagoon drill", depth=3))
    assert small["physics"] is False and small["options"]["physics"] == {"enabled": False}
    assert small["layout"] == "force"
    points = {(n["x"], n["y"]) for n in small["nodes"]}
    assert len(points) == 7  # every node placed, no two on the same spot
    moving = data_block(build_map(lagoon_kb, focus="Lagoon drill", depth=3, physics=True))
    assert moving["physics"] is True and moving["options"]["physics"]["enabled"] is True
    assert moving["options"]["physics"]["stabilization"]["iterations"] <= 300
    assert "x" not in moving["nodes"][0]


def test_max_nodes_refuses_with_the_count_and_writes_nothing(lagoon_kb, tmp_path):
    target = tmp_path / "map.html"
    with pytest.raises(InputError) as err:
        write_map(lagoon_kb, target, focus="Lagoon drill", depth=3, max_nodes=5)
    message = str(err.value)
    assert "7 concepts" in message and "--max-nodes 5" in message and "--focus" in message
    assert "\n" not in message
    assert not target.exists()


def test_write_map_is_atomic_utf8_and_never_overwrites_the_data(lagoon_kb, tmp_path):
    target = tmp_path / "map.html"
    cmap = write_map(lagoon_kb, target, focus="Lagoon drill", depth=2)
    assert target.read_text(encoding="utf-8") == cmap.html
    assert (cmap.node_count, cmap.edge_count) == (6, 7)
    before = FIXTURE.read_bytes()
    with pytest.raises(InputError, match="refusing to overwrite"):
        write_map(lagoon_kb, FIXTURE, focus="Lagoon drill")
    assert FIXTURE.read_bytes() == before


def test_notebook_repr_is_a_sandboxed_escaped_iframe(lagoon_kb):
    cmap = ConceptMap(lagoon_kb, focus="Lagoon drill", depth=3, height=500)
    shown = cmap._repr_html_()
    assert shown.startswith("<iframe srcdoc=\"") and shown.endswith("></iframe>")
    srcdoc = re.match(r'<iframe srcdoc="([^"]*)"', shown).group(1)
    assert "<" not in srcdoc and ">" not in srcdoc  # the whole page is attribute-escaped
    assert htmlmod.unescape(srcdoc) == cmap.html
    assert 'sandbox="allow-scripts"' in shown and "height:500px" in shown
    assert "7 concepts" in repr(cmap)


def test_concept_map_method_of_the_knowledge_base(lagoon_kb):
    cmap = lagoon_kb.concept_map(focus="Lagoon drill", depth=1)
    assert isinstance(cmap, ConceptMap) and cmap.node_count == 4


# -- CLI ---------------------------------------------------------------------------------
def test_cli_map_writes_the_file(cli, runner, tmp_path):
    out = tmp_path / "lagoon.html"
    result = runner.invoke(cli, ["map", "--data", str(FIXTURE), "--focus", "Lagoon drill",
                                 "--depth", "2", "--title", "Lagoon", "-o", str(out)])
    assert result.exit_code == 0, result.output + result.stderr
    assert f"Wrote {out}: 6 concepts, 7 relations" in result.output
    data = data_block(out.read_text(encoding="utf-8"))
    assert len(data["nodes"]) == 6
    assert "<title>Lagoon</title>" in out.read_text(encoding="utf-8")


def test_cli_map_filters_and_group_level_data(cli, runner, tmp_path):
    out = tmp_path / "types.html"
    result = runner.invoke(cli, ["--data", str(FIXTURE), "map", "--focus", "Lagoon drill",
                                 "--depth", "3", "--types", "Outcome", "--exclude-types", "Risk",
                                 "--relations", "contributesTo,fosters,enables", "-o", str(out)])
    assert result.exit_code == 0, result.output + result.stderr
    data = data_block(out.read_text(encoding="utf-8"))
    assert {n["id"].removeprefix(EX) for n in data["nodes"]} == {"drill", "trust", "goodwill",
                                                                  "hostile"}
    assert "enables" in {e["label"] for e in data["edges"]}


def test_cli_layout_hierarchical_and_physics(cli, runner, tmp_path):
    out = tmp_path / "tree.html"
    result = runner.invoke(cli, ["map", "--data", str(FIXTURE), "--focus", "Lagoon drill",
                                 "--layout", "hierarchical", "-o", str(out)])
    assert result.exit_code == 0, result.output + result.stderr
    assert "(hierarchical layout)" in result.output
    data = data_block(out.read_text(encoding="utf-8"))
    assert data["physics"] is False and data["layout"] == "hierarchical"
    assert all("x" in n and "y" in n for n in data["nodes"])
    moving = tmp_path / "moving.html"
    result = runner.invoke(cli, ["map", "--data", str(FIXTURE), "--focus", "Lagoon drill",
                                 "--physics", "-o", str(moving)])
    assert result.exit_code == 0 and "(physics)" in result.output
    bad = runner.invoke(cli, ["map", "--layout", "circle", "-o", str(tmp_path / "x.html")])
    assert bad.exit_code == 2 and "'circle' is not one of" in bad.stderr
    assert not (tmp_path / "x.html").exists()


def test_cli_max_nodes_is_one_line_exit_2_nothing_written(cli, runner, tmp_path):
    out = tmp_path / "big.html"
    result = runner.invoke(cli, ["map", "--data", str(FIXTURE), "--focus", "Lagoon drill",
                                 "--depth", "3", "--max-nodes", "3", "-o", str(out)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "7 concepts" in lines[0] and "--max-nodes 3" in lines[0] and "--types" in lines[0]
    assert not out.exists()


def test_cli_unknown_focus_is_exit_2(cli, runner, tmp_path):
    out = tmp_path / "x.html"
    result = runner.invoke(cli, ["map", "--data", str(FIXTURE), "--focus", "Lagoon dril",
                                 "-o", str(out)])
    assert result.exit_code == 2
    assert "Lagoon dril" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


def test_cli_help_has_examples(cli, runner):
    result = runner.invoke(cli, ["map", "--help"])
    assert result.exit_code == 0
    assert "ddkb map --focus" in result.output and "--max-nodes" in result.output


def test_real_subprocess(tmp_path):
    out = tmp_path / "sub.html"
    proc = subprocess.run([DDKB_BIN, "map", "--data", str(FIXTURE), "--focus", "LD-7",
                           "--depth", "1", "-o", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "4 concepts, 5 relations" in proc.stdout
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and find_remote_loads(page) == []
    proc = subprocess.run([DDKB_BIN, "map", "--data", str(FIXTURE), "--focus", "LD-7",
                           "--depth", "3", "--max-nodes", "2", "-o", str(tmp_path / "no.html")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "7 concepts" in proc.stderr
    assert not (tmp_path / "no.html").exists()


def test_template_placeholders_in_data_are_not_expanded(lagoon_kb):
    page = build_map(lagoon_kb, focus="Lagoon drill", depth=0, title="{{ vis_js }} {{ data_json }}")
    assert "<title>{{ vis_js }} {{ data_json }}</title>" in page
    assert page.count("@license") == 1  # vis-network inlined once, not again via the title


# -- layout, disclosure, search keys (issue 11) ---------------------------------------------
def _boxes(G, positions, order):
    import numpy as np

    from ddkb.conceptmap import FOCUS_FONT, NODE_FONT, node_box

    focus = G.graph.get("focus")
    boxes = [node_box(str(G.nodes[n]["label"]), font=FOCUS_FONT if n == focus else NODE_FONT,
                      size=22 if n == focus else 14) for n in order]
    return (np.array([positions[n] for n in order], dtype=float),
            np.array([b[:2] for b in boxes]), np.array([b[2] for b in boxes]))


@pytest.mark.parametrize("layout", ["force", "hierarchical"])
def test_layout_leaves_no_two_concept_boxes_overlapping(kb, layout):
    from ddkb.conceptmap import map_layout, overlapping_pairs

    G = select_graph(kb, focus="defense diplomacy", depth=1)
    positions, order, _parent, shown = map_layout(G, layout=layout)
    assert len(positions) == G.number_of_nodes() > 60 and len(shown) == 25
    pos, half, offset = _boxes(G, positions, order)
    assert overlapping_pairs(pos, half, offset) == 0  # all of them, the hidden ones too


def test_remove_overlaps_pushes_boxes_apart_and_keeps_fixed_ones():
    import numpy as np

    from ddkb.conceptmap import overlapping_pairs, remove_overlaps

    pos = np.array([[0.0, 0.0], [10.0, 5.0], [20.0, -5.0], [5.0, 5.0]])
    half = np.full((4, 2), 40.0)
    offset = np.zeros(4)
    assert overlapping_pairs(pos, half, offset) == 6
    movable = np.array([False, True, True, True])
    moved = remove_overlaps(pos, half, offset, movable)
    assert overlapping_pairs(moved, half, offset) == 0
    assert moved[0].tolist() == [0.0, 0.0]


def test_hierarchical_layout_points_every_relation_down_the_page(kb):
    import networkx as nx

    from ddkb.conceptmap import map_layout

    G = select_graph(kb, focus="CBM", depth=1)
    positions, _order, _parent, shown = map_layout(G, layout="hierarchical")
    H = nx.DiGraph((u, v) for u, v in G.edges() if u != v)
    downward = [(u, v) for u, v in H.edges() if not nx.has_path(H, v, u)]  # not in a cycle
    assert len(downward) >= 5
    assert all(positions[u][1] < positions[v][1] for u, v in downward)


def test_disclosure_opens_with_the_most_connected_concepts(kb):
    from ddkb.conceptmap import DISCLOSE_SHOW, disclosure_tree

    G = select_graph(kb, focus="defense diplomacy", depth=1)
    order, parent = disclosure_tree(G, G.graph["focus"])
    assert order[0] == G.graph["focus"] and parent[order[0]] is None
    assert sorted(order) == sorted(G)
    shown = set(order[:DISCLOSE_SHOW])
    # every concept is revealed by one that comes before it
    assert all(parent[n] is None or order.index(parent[n]) < order.index(n) for n in order)
    # the focus's neighbours on screen have at least as many relations as those hidden
    neighbours = set(G.successors(order[0])) | set(G.predecessors(order[0]))
    on = [G.degree(n) for n in neighbours if n in shown]
    off = [G.degree(n) for n in neighbours if n not in shown]
    assert on and off and min(on) >= max(off)
    data = data_block(build_map(kb, focus="defense diplomacy", depth=1))
    assert sum(n["ddkb"]["shown"] for n in data["nodes"]) == DISCLOSE_SHOW
    small = data_block(build_map(kb, focus="ADMM-Plus", depth=1))
    assert all(n["ddkb"]["shown"] for n in small["nodes"])  # 28 concepts: all at once


def test_search_keys_are_ddkb_lookup_normalised_names(lagoon_kb):
    from ddkb.conceptmap import search_keys, search_rules

    assert search_keys("Confidence-Building Measures", ["CBMs", "CBM"]) == \
        ["confidence building measure", "cbm"]
    assert search_rules()["fixes"]["defence"] == "defense"
    data = data_block(build_map(lagoon_kb, focus="Lagoon drill", depth=1))
    drill = next(n for n in data["nodes"] if n["id"] == EX + "drill")
    assert drill["ddkb"]["keys"] == ["lagoon drill", "ld 7"]


def test_real_subprocess_hierarchical_layout(tmp_path):
    out = tmp_path / "tree.html"
    proc = subprocess.run([DDKB_BIN, "map", "--data", str(FIXTURE), "--focus", "LD-7",
                           "--layout", "hierarchical", "-o", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "(hierarchical layout)" in proc.stdout
    assert data_block(out.read_text(encoding="utf-8"))["layout"] == "hierarchical"
    proc = subprocess.run([DDKB_BIN, "map", "--layout", "radial", "-o", str(tmp_path / "r.html")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "'radial' is not one of 'force', 'hierarchical'" in proc.stderr
    assert not (tmp_path / "r.html").exists()
    with pytest.raises(InputError, match="--layout must be one of"):
        build_map(ddkb.load(data=[FIXTURE]), focus="LD-7", layout="radial")


def test_every_class_has_its_own_colour_and_shape_and_instruments_differ_in_both():
    from ddkb.conceptmap import CLASS_STYLES

    assert len(set(CLASS_STYLES.values())) == len(CLASS_STYLES)
    instruments = ["Instrument", "ExerciseAndTraining", "Dialogue",
                   "ProcurementAndTechnologyTransfer", "PeacekeepingAndHumanitarianMission",
                   "EducationAndCapacityBuilding", "Outreach", "PublicDiplomacyAndMedia",
                   "ConfidenceBuildingMeasure"]

    def rgb(colour):
        return [int(colour[i:i + 2], 16) for i in (1, 3, 5)]

    for i, a in enumerate(instruments):
        for b in instruments[i + 1:]:
            (ca, sa), (cb, sb) = CLASS_STYLES[a], CLASS_STYLES[b]
            distance = sum((x - y) ** 2 for x, y in zip(rgb(ca), rgb(cb), strict=True)) ** .5
            assert distance > 40, (a, b)  # no two near-identical blues
            if distance < 80:
                assert sa != sb, (a, b)  # close shades differ in shape
