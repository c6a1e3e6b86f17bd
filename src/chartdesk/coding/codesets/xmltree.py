"""A small XML tree that remembers the line of every element, for error messages that name it.

The standard library's ElementTree drops line numbers; expat reports them while parsing. Entity
declarations are refused so that a crafted file cannot expand itself (billion laughs) or reach
outside files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.parsers import expat

from chartdesk.coding.codesets.errors import MalformedCodeFile


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    line: int
    children: list[Node] = field(default_factory=list)
    text_parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join("".join(self.text_parts).split())

    def find(self, tag: str) -> Node | None:
        return next((child for child in self.children if child.tag == tag), None)

    def all(self, tag: str) -> list[Node]:
        return [child for child in self.children if child.tag == tag]

    def child_text(self, tag: str) -> str:
        child = self.find(tag)
        return child.text if child is not None else ""


def parse_xml(content: bytes, source_name: str) -> Node:
    parser = expat.ParserCreate()
    stack: list[Node] = []
    root: list[Node] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        node = Node(tag, attrs, parser.CurrentLineNumber)
        if stack:
            stack[-1].children.append(node)
        else:
            root.append(node)
        stack.append(node)

    def end(tag: str) -> None:
        stack.pop()

    def text(data: str) -> None:
        if stack:
            stack[-1].text_parts.append(data)

    def refuse_entities(*args: object) -> None:
        raise MalformedCodeFile(source_name, parser.CurrentLineNumber, "entity declarations are not allowed")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.EntityDeclHandler = refuse_entities
    try:
        parser.Parse(content, True)
    except expat.ExpatError as problem:
        reason = expat.ErrorString(problem.code)
        raise MalformedCodeFile(source_name, problem.lineno, f"not well-formed XML ({reason})") from None
    if not root:
        raise MalformedCodeFile(source_name, 1, "the file holds no XML element")
    return root[0]
