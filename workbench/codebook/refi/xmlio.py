"""XML in and out for REFI-QDA files.

Reading goes only through defusedxml with DTDs, entity declarations and external references
all forbidden (so XXE and billion-laughs payloads are refused before any expansion). Elements
are matched by local name, whatever namespace a tool wrote (ATLAS.ti and others are loose
about it). Writing uses a tiny serialiser that escapes CR, LF and tab in attributes and CR in
text, so memo and description text comes back byte for byte, and replaces characters XML 1.0
cannot hold.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from workbench.errors import WorkbenchError

# --- reading ---------------------------------------------------------------------------------


class _Builder(TreeBuilder):
    """A tree builder that also records processing instructions (also those outside the root)."""

    def __init__(self) -> None:
        super().__init__()
        self.pis: list[tuple[str, str]] = []

    def pi(self, target: str, text: str | None = None) -> None:  # type: ignore[override]
        self.pis.append((target, text or ""))


@dataclass
class XmlDoc:
    root: Element
    pis: list[tuple[str, str]]


def parse_xml(data: bytes, label: str, expected_root: str) -> XmlDoc:
    """Parse untrusted XML; one clear WorkbenchError line for anything hostile or malformed."""
    import defusedxml
    from defusedxml.ElementTree import DefusedXMLParser

    builder = _Builder()
    parser = DefusedXMLParser(
        target=builder, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    try:
        parser.feed(data)
        root = parser.close()
    except defusedxml.DTDForbidden as exc:
        raise WorkbenchError(
            f"{label}: refused: the XML declares a document type (DTD) '{exc.name}'; "
            "REFI-QDA files have none, and DTDs can hide entity attacks"
        ) from exc
    except defusedxml.EntitiesForbidden as exc:
        raise WorkbenchError(f"{label}: refused: the XML declares entities") from exc
    except defusedxml.ExternalReferenceForbidden as exc:
        raise WorkbenchError(f"{label}: refused: the XML refers to external resources") from exc
    except ParseError as exc:
        line = getattr(exc, "position", (0, 0))[0]
        raise WorkbenchError(f"{label}:{line}: not well-formed XML ({_short(exc)})") from exc
    except (ValueError, UnicodeError) as exc:
        raise WorkbenchError(f"{label}: cannot read the XML ({exc})") from exc
    if local(root.tag) != expected_root:
        raise WorkbenchError(
            f"{label}: the root element is <{local(root.tag)}>, expected <{expected_root}> "
            "(is this the right kind of REFI-QDA file?)"
        )
    return XmlDoc(root=root, pis=builder.pis)


def _short(exc: Exception) -> str:
    return str(exc).split(":")[0]


def local(tag: object) -> str:
    """`{urn:QDA-XML:project:1.0}Code` -> `Code`."""
    text = tag if isinstance(tag, str) else ""
    return text.rsplit("}", 1)[-1]


def kids(el: Element, name: str) -> Iterator[Element]:
    """Direct children named `name` (any namespace)."""
    for child in el:
        if local(child.tag) == name:
            yield child


def kid(el: Element, name: str) -> Element | None:
    return next(kids(el, name), None)


def kid_text(el: Element, name: str) -> str | None:
    """The text of the first child `name` (None if absent; "" if empty)."""
    child = kid(el, name)
    if child is None:
        return None
    return child.text or ""


def attr(el: Element, name: str) -> str | None:
    """An attribute by local name (tools sometimes namespace-qualify attributes)."""
    if name in el.attrib:
        return el.attrib[name]
    for key, value in el.attrib.items():
        if local(key) == name:
            return value
    return None


# --- writing ---------------------------------------------------------------------------------

_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass
class Node:
    """An element to write: attributes in order, then either text or child elements."""

    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)
    text: str | None = None

    def add(self, tag: str, attrs: dict[str, str | None] | None = None, text: str | None = None):  # type: ignore[no-untyped-def]
        node = Node(tag, {k: v for k, v in (attrs or {}).items() if v is not None}, text=text)
        self.children.append(node)
        return node


@dataclass
class Writer:
    """Serialises Nodes; counts characters that XML cannot hold (replaced by U+FFFD)."""

    replaced: int = 0

    def clean(self, value: str) -> str:
        cleaned, n = _INVALID.subn("\ufffd", value)
        self.replaced += n
        return cleaned

    def esc_text(self, value: str) -> str:
        value = self.clean(value)
        return (
            value.replace("&", "&amp;")
            .replace("<", "&lt;")
            .replace(">", "&gt;")
            .replace("\r", "&#13;")
        )

    def esc_attr(self, value: str) -> str:
        return (
            self.esc_text(value).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")
        )

    def _write(self, node: Node, depth: int, out: list[str]) -> None:
        pad = "  " * depth
        attrs = "".join(f' {k}="{self.esc_attr(v)}"' for k, v in node.attrs.items())
        if node.text is not None:
            out.append(f"{pad}<{node.tag}{attrs}>{self.esc_text(node.text)}</{node.tag}>\n")
        elif node.children:
            out.append(f"{pad}<{node.tag}{attrs}>\n")
            for child in node.children:
                self._write(child, depth + 1, out)
            out.append(f"{pad}</{node.tag}>\n")
        else:
            out.append(f"{pad}<{node.tag}{attrs}/>\n")

    def document(self, root: Node, pis: list[tuple[str, str]] | None = None) -> bytes:
        out = ['<?xml version="1.0" encoding="utf-8"?>\n']
        for target, data in pis or []:
            if "?>" in data:
                raise ValueError("a processing instruction cannot hold '?>'")
            out.append(f"<?{target} {self.clean(data)}?>\n")
        self._write(root, 0, out)
        return "".join(out).encode("utf-8")
