"""tools/mockrun/values.py's walker over declared values, which the engine suite's secret checks
(tests/engine/test_lifecycle.py) rest on but, needing the engine, cannot test here."""

from __future__ import annotations

from typing import Any

import pytest

from tools.mockrun import Leaf, Ref, Secret, leaves

LEAVES: dict[str, tuple[Any, list[Leaf]]] = {
    "a plain value is its own leaf": (7, [Leaf("", 7, False)]),
    "a secret value is its own secret leaf": (Secret("k"), [Leaf("", "k", True)]),
    "a secret null is a secret leaf": (Secret(None), [Leaf("", None, True)]),
    "empty objects and lists have no leaves": ({"a": {}, "b": [], "c": Secret([])}, []),
    "paths join keys with dots and positions in brackets": (
        {"spec": {"env": [{"name": "A"}, {"name": "B", "value": 1}]}},
        [
            Leaf("spec.env[0].name", "A", False),
            Leaf("spec.env[1].name", "B", False),
            Leaf("spec.env[1].value", 1, False),
        ],
    ),
    "a secret marks every leaf it holds, and only those": (
        {"user": "ls", "auth": Secret({"key": "AKIA", "also": ["x", {"deep": 2}]})},
        [
            Leaf("user", "ls", False),
            Leaf("auth.key", "AKIA", True),
            Leaf("auth.also[0]", "x", True),
            Leaf("auth.also[1].deep", 2, True),
        ],
    ),
    "a secret inside a secret is still secret": ({"a": Secret([Secret("s")])}, [Leaf("a[0]", "s", True)]),
    "a secret inside a list marks that item only": (
        ["open", Secret("shut")],
        [Leaf("[0]", "open", False), Leaf("[1]", "shut", True)],
    ),
    "a reference is a leaf": ({"bucket": Ref("urn:b")}, [Leaf("bucket", Ref("urn:b"), False)]),
}


@pytest.mark.parametrize("case", sorted(LEAVES))
def test_leaves_name_each_leaf_its_path_and_whether_it_is_secret(case):
    value, expected = LEAVES[case]
    assert list(leaves(value)) == expected
