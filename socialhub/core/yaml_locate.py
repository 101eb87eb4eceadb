"""Multi-document YAML that remembers where every key and value came from.

Manifest errors must name ``file:line:column`` of the offending key or value,
and ``yaml.safe_load`` forgets positions. So documents are composed into
nodes (which carry marks) and built into plain Python values here, recording
a position for every path such as ``("spec", "targets", 0, "at")``.

Scalars are built by our own rules, not YAML 1.1's: timestamps and
sexagesimal numbers (``9:30`` would be 570) stay the strings people wrote,
and a key given twice in one mapping is an error instead of silently winning.

Hostile input is bounded: an alias is built again each time it is used (the
data must be plain trees for validation), so each document's expanded size
is measured first, in time linear in its text. A file stops at
``MAX_ALIAS_VALUES`` values made only by aliases ("billion laughs": nine
nested levels of ten aliases in 300 bytes would be a billion) and at
``MAX_NODES`` values in all; nesting stops at ``MAX_DEPTH`` (which also ends
a self-referencing alias). The limits are far above any real manifest;
docs/security.md lists them.
"""

from __future__ import annotations

from collections.abc import Callable
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
_SEQ, _MAP = _TAG + "seq", _TAG + "map"

#: Most values (mappings, lists, scalars, with aliases counted each time they are used)
#: one file may build. A 10,000-post manifest builds about 300,000.
MAX_NODES = 2_000_000
#: Most values one file may build through aliases beyond the values it spells out.
MAX_ALIAS_VALUES = 100_000
#: Deepest nesting of mappings and lists; a manifest needs about 6.
MAX_DEPTH = 64


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
    """The text is not well-formed YAML (or passes a limit); ``position`` says where."""

    def __init__(self, message: str, position: Position) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


class _Budget:
    """What one file may still build; ``measure`` refuses a document before it is built.

    The size of a node is counted once per node object (memoised), so an alias
    bomb is measured in the time its few hundred bytes take to read.
    """

    def __init__(self, max_nodes: int, max_depth: int, max_alias_values: int) -> None:
        self.left, self.max_nodes, self.max_depth = max_nodes, max_nodes, max_depth
        self.aliases_left = self.max_alias_values = max_alias_values

    def measure(self, root: Node) -> None:
        """Charge ``root``'s expanded size to the file, or raise ``YamlSyntaxError``."""
        sizes: dict[int, int] = {}
        expanded = self._size(root, 0, sizes, set())
        self.left -= expanded
        self.aliases_left -= expanded - len(sizes)  # values that exist only through aliases
        if self.aliases_left < 0:
            raise YamlSyntaxError(
                f"the YAML's aliases expand to more than {self.max_alias_values:,} values; "
                "refusing it", _pos(root))
        if self.left < 0:
            raise YamlSyntaxError(
                f"the YAML expands to more than {self.max_nodes:,} values; refusing it",
                _pos(root))

    def _size(self, node: Node, depth: int, sizes: dict[int, int], open_: set[int]) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        if depth > self.max_depth or id(node) in open_:
            raise YamlSyntaxError(f"the YAML nests deeper than {self.max_depth} levels "
                                  "(or an alias refers to itself); refusing it", _pos(node))
        size = 1
        if isinstance(node, SequenceNode | MappingNode):
            open_.add(id(node))
            children = (node.value if isinstance(node, SequenceNode)
                        else [n for pair in node.value for n in pair])
            for child in children:
                size += self._size(child, depth + 1, sizes, open_)
                if size > self.left:  # stop early: the answer is already "too big"
                    break
            open_.discard(id(node))
        sizes[id(node)] = size
        return size


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
    if kind in ("bool", "int", "float"):
        if kind != "bool" and ":" in node.value:  # YAML 1.1 base-60: keep "9:30" as written
            return node.value
        construct = {"bool": _SCALARS.construct_yaml_bool, "int": _SCALARS.construct_yaml_int,
                     "float": _SCALARS.construct_yaml_float}[kind]
        try:
            return construct(node)
        except (ValueError, KeyError, yaml.YAMLError):  # only an explicit !!int tag gets here
            if doc is not None:
                doc.problems.append((_pos(node), f"{node.value!r} is not a valid !!{kind}"))
            return node.value
    if doc is not None:
        doc.problems.append((_pos(node), f"unsupported YAML type !!{kind}"))
    return node.value


def _build(node: Node, doc: LocatedDocument) -> Any:
    if isinstance(node, ScalarNode):
        return _scalar(node, doc)
    if node.tag not in (_SEQ, _MAP):  # !!python/object/apply:…, !!set, !!omap, !custom
        doc.problems.append((_pos(node), f"unsupported YAML tag {node.tag!r}"
                             if not node.tag.startswith(_TAG)
                             else f"unsupported YAML type !!{node.tag[len(_TAG):]}"))
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


def load_located(text: str, *, max_nodes: int = MAX_NODES, max_depth: int = MAX_DEPTH,
                 max_alias_values: int = MAX_ALIAS_VALUES,
                 on_document: Callable[[int], None] | None = None) -> list[LocatedDocument]:
    """Parse every document in ``text``, skipping empty ones.

    At most ``max_nodes`` values are built for the whole text (an alias counts
    each time it is used), at most ``max_alias_values`` of them only through
    aliases, and nothing nests deeper than ``max_depth``.
    ``on_document`` is told how many characters are read after each document.

    Raises:
        YamlSyntaxError: the text is not well-formed YAML, or passes a limit.
    """
    docs: list[LocatedDocument] = []
    budget = _Budget(max_nodes, max_depth, max_alias_values)
    try:
        for index, node in enumerate(yaml.compose_all(text, Loader=_Loader)):
            if node is None or (isinstance(node, ScalarNode) and node.tag == _TAG + "null"
                                and node.value in ("", "~", "null")):
                continue
            if on_document is not None:
                on_document(node.end_mark.index)
            budget.measure(node)
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
