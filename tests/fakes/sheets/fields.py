"""Field masks (``fields=``): which parts of an answer are sent and which fields a write touches."""

from __future__ import annotations

import re
from typing import Any


def parse_mask(text: str) -> dict[str, Any] | None:
    """ "sheets(properties(title,sheetId)),spreadsheetId" -> nested dict; leaf = None."""
    tokens = re.findall(r"[A-Za-z0-9_*]+|[(),./]", text.replace(" ", ""))
    pos = 0

    def merge(tree: dict[str, Any], name: str, sub: dict[str, Any] | None) -> None:
        if name in tree and (tree[name] is None or sub is None):
            tree[name] = None
        elif name in tree:
            for k, v in sub.items():  # type: ignore[union-attr]
                merge(tree[name], k, v)
        else:
            tree[name] = sub

    def parse_list() -> dict[str, Any]:
        nonlocal pos
        tree: dict[str, Any] = {}
        while pos < len(tokens):
            name, sub = parse_path()
            merge(tree, name, sub)
            if pos < len(tokens) and tokens[pos] == ",":
                pos += 1
                continue
            break
        return tree

    def parse_path() -> tuple[str, dict[str, Any] | None]:
        nonlocal pos
        name = tokens[pos]
        pos += 1
        if pos < len(tokens) and tokens[pos] in "./":
            pos += 1
            child, sub = parse_path()
            return name, {child: sub}
        if pos < len(tokens) and tokens[pos] == "(":
            pos += 1
            sub_tree = parse_list()
            pos += 1  # ")"
            return name, sub_tree
        return name, None

    tree = parse_list()
    return None if "*" in tree else tree


def apply_mask(obj: Any, tree: dict[str, Any] | None) -> Any:
    """``obj`` with only the fields the mask names."""
    if tree is None:
        return obj
    if isinstance(obj, list):
        return [apply_mask(o, tree) for o in obj]
    if not isinstance(obj, dict):
        return obj
    return {k: apply_mask(obj[k], sub) for k, sub in tree.items() if k in obj}


def covers(tree: dict[str, Any] | None, *path: str) -> bool:
    """Whether the mask includes the field at ``path``."""
    for name in path:
        if tree is None or "*" in tree:
            return True
        if name not in tree:
            return False
        tree = tree[name]
    return True
