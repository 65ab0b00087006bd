"""AIF JSON export: argument graphs in the Argument Interchange Format of AIFdb and OVA.

An export is a zip with one AIF document per article and layer, at the same paths as
the brat export (`gold/<name>.json`, `<annotator>/<name>.json`), as AIFdb hands out
its corpora: each file loads on its own in OVA or an AIF reader. A document::

    {"nodes": [{"nodeID": "1", "text": "We must act now", "type": "I"},
               {"nodeID": "2", "text": "Traffic kills", "type": "I"},
               {"nodeID": "3", "text": "Default Inference", "type": "RA"}],
     "edges": [{"edgeID": "1", "fromID": "2", "toID": "3", "formEdgeID": null},
               {"edgeID": "2", "fromID": "3", "toID": "1", "formEdgeID": null}],
     "locutions": []}

- Each argument unit is an I-node whose text is its quoted text (spans joined by one
  space), numbered from "1" in the layer's order; scheme nodes follow.
- A `supports` relation is an RA-node "Default Inference", an `attacks` relation a
  CA-node "Default Conflict"; any other relation type an RA-node whose text is the
  type's name (AIF has no other scheme node for it). Each has an edge from the source
  I-node to it and one from it to the target I-node.
- `locutions` is empty: an op-ed has one speaker, and AIF's L-nodes model dialogue.
- Labels (MajorClaim, Claim, Premise), attributes and offsets have no place in AIF
  and are not written; the native JSONL export keeps them.
"""

import json
from collections.abc import Iterable, Iterator

from annotate.formats.brat import article_name, owner_folder
from annotate.formats.records import ArticleRecord, LayerRecord
from annotate.formats.zipstream import zip_chunks

EXTENSION = ".zip"
CONTENT_TYPE = "application/zip"
SCHEME_NODES = {"supports": ("RA", "Default Inference"), "attacks": ("CA", "Default Conflict")}


def export(articles: Iterable[ArticleRecord]) -> Iterator[bytes]:
    """Yield the bytes of a zip holding one AIF document per layer of each article, reading lazily."""
    return zip_chunks(entries(articles))


def entries(articles: Iterable[ArticleRecord]) -> Iterator[tuple[str, str]]:
    """Yield `(path, JSON text)` for every document of the export."""
    used_names: set[str] = set()
    for article in articles:
        name = article_name(article, used_names)
        for layer in article.layers:
            content = json.dumps(document(article, layer), ensure_ascii=False, indent=1)
            yield f"{owner_folder(layer.owner)}/{name}.json", content + "\n"


def document(article: ArticleRecord, layer: LayerRecord) -> dict:
    """The AIF document (nodes, edges, locutions) of one layer of `article`."""
    nodes, edges = [], []
    node_ids = {}
    for unit in layer.units:
        node_ids[unit.id] = str(len(nodes) + 1)
        text = " ".join(article.text[span.start : span.end] for span in unit.spans)
        nodes.append({"nodeID": node_ids[unit.id], "text": text, "type": "I"})
    for relation in layer.relations:
        node_type, text = SCHEME_NODES.get(relation.type, ("RA", relation.type))
        scheme_id = str(len(nodes) + 1)
        nodes.append({"nodeID": scheme_id, "text": text, "type": node_type})
        for from_id, to_id in ((node_ids[relation.source], scheme_id), (scheme_id, node_ids[relation.target])):
            edges.append({"edgeID": str(len(edges) + 1), "fromID": from_id, "toID": to_id, "formEdgeID": None})
    return {"nodes": nodes, "edges": edges, "locutions": []}
