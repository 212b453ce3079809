"""Deterministic, readable YAML output (codebooks and merge plans).

Block style with indented lists, keys in the order given, unicode kept, no line wrapping,
multi-line text as `|` blocks, no anchors. Wrap a list in `FlowList` or a mapping in `FlowMap`
to write it on one line (`aliases: [a, b]`, `- {codebook: a.yaml, id: x}`).
"""

from __future__ import annotations

from typing import Any

import yaml


class FlowList(list):  # type: ignore[type-arg]
    """A list written in flow style: `[a, b]`."""


class FlowMap(dict):  # type: ignore[type-arg]
    """A mapping written in flow style: `{a: 1, b: 2}`."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


def _flow_list(dumper: yaml.SafeDumper, value: FlowList) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


def _flow_map(dumper: yaml.SafeDumper, value: FlowMap) -> yaml.MappingNode:
    return dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=True)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(FlowList, _flow_list)
_Dumper.add_representer(FlowMap, _flow_map)


def dump_yaml(data: Any) -> str:
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1_000_000,
        indent=2,
    )
