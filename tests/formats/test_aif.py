"""AIF: a layer as an AIFdb argument graph, one JSON document per article and layer in a zip."""

import io
import json
import zipfile

from annotate.formats import aif
from tests.formats.samples import sample_article


def edge(number: int, from_id: str, to_id: str) -> dict:
    return {"edgeID": str(number), "fromID": from_id, "toID": to_id, "formEdgeID": None}


def test_units_are_i_nodes_supports_ra_nodes_and_attacks_ca_nodes_linked_source_to_target():
    article = sample_article()

    assert aif.document(article, article.layers[0]) == {
        "nodes": [
            {"nodeID": "1", "text": "Cities should ban cars", "type": "I"},
            {"nodeID": "2", "text": "footfall rises where streets are calm", "type": "I"},
            {"nodeID": "3", "text": "Traffic kills thousands every year most trips are short 👍🏽", "type": "I"},
            {"nodeID": "4", "text": "short 👍🏽.\nCritics say shops will suffer", "type": "I"},
            {"nodeID": "5", "text": "Default Inference", "type": "RA"},
            {"nodeID": "6", "text": "Default Conflict", "type": "CA"},
        ],
        # T3 supports T1: 3 → RA 5 → 1; T4 attacks T2: 4 → CA 6 → 2.
        "edges": [edge(1, "3", "5"), edge(2, "5", "1"), edge(3, "4", "6"), edge(4, "6", "2")],
        "locutions": [],
    }


def test_a_relation_type_aif_does_not_know_becomes_an_ra_node_named_after_it():
    article = sample_article()
    article.layers[1].relations[0].type = "rephrases"

    assert aif.document(article, article.layers[1])["nodes"][-1] == {"nodeID": "3", "text": "rephrases", "type": "RA"}


def test_a_layer_without_units_is_an_empty_graph():
    article = sample_article()

    assert aif.document(article, article.layers[2]) == {"nodes": [], "edges": [], "locutions": []}


def test_export_is_a_zip_of_one_json_document_per_article_and_layer():
    article = sample_article()

    with zipfile.ZipFile(io.BytesIO(b"".join(aif.export([article])))) as archive:
        files = {name: json.loads(archive.read(name)) for name in archive.namelist()}

    name = "17-cities-cars-a-modest-proposal.json"
    assert list(files) == [f"gold/{name}", f"ann/{name}", f"bob/{name}"]
    assert files[f"gold/{name}"] == aif.document(article, article.layers[0])
    assert [(len(doc["nodes"]), len(doc["edges"])) for doc in files.values()] == [(6, 4), (3, 2), (0, 0)]
