"""Readers of our exports written from each format's public definition, never from
our own parsers: what a stranger's code would see in the files."""

import re
from dataclasses import dataclass, field


@dataclass
class ConllDocument:
    """One CoNLL document as a reader sees it: its header, its segments (a `B-` and the
    `I-`s of the same tag after it) as `(start, end, tag)` with code-point offsets found
    by aligning the tokens to the article text, and the relations their tags encode."""

    article: str
    layer: str
    left_out: list[str] = field(default_factory=list)
    segments: list[tuple[int, int, str]] = field(default_factory=list)

    def texts(self, text: str) -> list[tuple[str, str]]:
        """Each segment's `(label part of the tag, text from its first to its last token)`."""
        return [(tag, text[start:end]) for start, end, tag in self.segments]

    def relations(self, text: str) -> list[tuple[str, str, str]]:
        """Eger et al.'s encoding: a tag `Label[:Stance]:distance:Relation` points at the
        segment `distance` segments on. `(source text, relation, target text)`."""
        found = []
        for number, (start, end, tag) in enumerate(self.segments):
            parts = tag.split(":")
            if len(parts) >= 3 and re.fullmatch(r"-?\d+", parts[-2]):
                at = number + int(parts[-2])
                assert at in range(len(self.segments)), f"{tag} points at no other segment"
                assert at != number, f"{tag} points at its own segment"
                target = self.segments[at]
                found.append((text[start:end], parts[-1], text[target[0] : target[1]]))
        return found


def read_conll(content: str, texts: dict[str, str]) -> list[ConllDocument]:
    """The documents of a CoNLL file (`index<TAB>token<TAB>tag` lines, `#` comments,
    blank lines between sentences), the tokens found in order in `texts[article id]`."""
    documents: list[ConllDocument] = []
    position = 0
    previous = "O"
    for line in content.split("\n"):
        if line.startswith("# article: "):
            documents.append(ConllDocument(article=line.split(" ")[2], layer=""))
            position, previous = 0, "O"
        elif line.startswith("# layer: "):
            documents[-1].layer = line.removeprefix("# layer: ")
        elif line.startswith("# left out: "):
            documents[-1].left_out.append(line.removeprefix("# left out: "))
        elif not line:
            previous = "O"
        else:
            _, token, tag = line.split("\t")
            text = texts[documents[-1].article]
            start = text.index(token, position)
            assert not text[position:start].strip(), (text[position:start], token)
            position = start + len(token)
            segments = documents[-1].segments
            if tag.startswith("B-"):
                segments.append((start, position, tag[2:]))
            elif tag.startswith("I-"):
                assert previous[2:] == tag[2:], (previous, tag)
                segments[-1] = (segments[-1][0], position, segments[-1][2])
            previous = tag
    return documents
