"""Multi-document YAML that remembers where every key and value came from.

Manifest errors must name ``file:line:column`` of the offending key or value,
and ``yaml.safe_load`` forgets positions. So documents are composed into
nodes (which carry marks) and built into plain Python values here, recording
a position for every path such as ``("spec", "targets", 0, "at")``.

Scalars are built by our own rules, not YAML 1.1's: timestamps and
sexagesimal numbers (``9:30`` would be 570) stay the strings people wrote,
and a key given twice in one mapping is an error instead of silently winning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Path = tuple[str | int, ...]

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml is ~10x faster
_SCALARS = SafeConstructor()
_TAG = "tag:yaml.org,2002:"
_STR, _TIMESTAMP = _TAG + "str", _TAG + "timestamp"


@dataclass(frozen=True)
class Position:
    """A 1-based line and column in a file."""

    line: int
    column: int


@dataclass
class LocatedDocument:
    """One YAML document: its data, and its node tree to find any path's position in.

    Positions are looked up on demand (only when an error needs one), so loading
    thousands of clean documents costs no more than building their data.
    """

    data: Any
    source: str  # the whole file's text, shared by its documents
    index: int  # which document of the file (counting empty ones)
    problems: list[tuple[Position, str]] = field(default_factory=list)

    @cached_property
    def node(self) -> Node:
        """The document's node tree, composed again on demand.

        Keeping every tree alive while thousands of documents are applied made the
        garbage collector the slowest part of a bulk apply; errors are rare, so
        composing one document again when one is reported is the cheaper side.
        """
        for i, node in enumerate(yaml.compose_all(self.source, Loader=_Loader)):
            if i == self.index:
                return node
        raise LookupError(self.index)  # pragma: no cover - the source was parsed before

    @property
    def start(self) -> Position:
        """Where the document starts."""
        return _pos(self.node)

    def position(self, path: Path, *, key: bool = False) -> Position:
        """Where ``path`` is (its key when ``key``), else its nearest existing parent."""
        node, found = self.node, self.node
        for i, step in enumerate(path):
            child: Node | None = None
            if isinstance(node, MappingNode):
                for key_node, value_node in node.value:
                    if isinstance(key_node, ScalarNode) and _key_matches(key_node, step):
                        if key and i == len(path) - 1:
                            return _pos(key_node)
                        child = value_node
                        break
            elif isinstance(node, SequenceNode) and isinstance(step, int) \
                    and 0 <= step < len(node.value):
                child = node.value[step]
            if child is None:
                break
            node = found = child
        return _pos(found)


def _key_matches(key_node: ScalarNode, step: str | int) -> bool:
    if key_node.value == str(step):
        return True
    try:
        return bool(_scalar(key_node, None) == step)
    except Exception:
        return False


class YamlSyntaxError(Exception):
    """The text is not well-formed YAML; ``position`` says where the parser stopped."""

    def __init__(self, message: str, position: Position) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


def _pos(node: Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


def _scalar(node: ScalarNode, doc: LocatedDocument | None) -> Any:
    tag = node.tag
    if tag in (_STR, _TIMESTAMP):
        return node.value
    if not tag.startswith(_TAG):
        if doc is not None:
            doc.problems.append((_pos(node), f"unsupported YAML tag {tag!r}"))
        return node.value
    kind = tag[len(_TAG):]
    if kind == "null":
        return None
    if kind == "bool":
        return _SCALARS.construct_yaml_bool(node)
    if kind in ("int", "float"):
        if ":" in node.value:  # YAML 1.1 base-60: keep "9:30" as written
            return node.value
        if kind == "int":
            return _SCALARS.construct_yaml_int(node)
        return _SCALARS.construct_yaml_float(node)
    if doc is not None:
        doc.problems.append((_pos(node), f"unsupported YAML type !!{kind}"))
    return node.value


def _build(node: Node, doc: LocatedDocument) -> Any:
    if isinstance(node, ScalarNode):
        return _scalar(node, doc)
    if isinstance(node, SequenceNode):
        return [_build(item, doc) for item in node.value]
    if isinstance(node, MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                doc.problems.append((_pos(key_node), "YAML merge keys (<<) are not supported"))
                continue
            if not isinstance(key_node, ScalarNode):
                doc.problems.append((_pos(key_node), "a mapping key must be a plain value"))
                continue
            key = _scalar(key_node, doc)
            if key in result:
                doc.problems.append((_pos(key_node), f"key {key!r} is given twice"))
                continue
            result[key] = _build(value_node, doc)
        return result
    return None  # pragma: no cover - the composer makes only the three node kinds


def load_located(text: str) -> list[LocatedDocument]:
    """Parse every document in ``text``, skipping empty ones.

    Raises:
        YamlSyntaxError: the text is not well-formed YAML.
    """
    docs: list[LocatedDocument] = []
    try:
        for index, node in enumerate(yaml.compose_all(text, Loader=_Loader)):
            if node is None or (isinstance(node, ScalarNode) and node.tag == _TAG + "null"
                                and node.value in ("", "~", "null")):
                continue
            doc = LocatedDocument(data=None, source=text, index=index)
            doc.data = _build(node, doc)
            docs.append(doc)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Position(mark.line + 1, mark.column + 1) if mark else Position(1, 1)
        problem = exc.problem or exc.context or "malformed YAML"
        raise YamlSyntaxError(f"malformed YAML: {problem}", where) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"malformed YAML: {exc}", Position(1, 1)) from None
    return docs
