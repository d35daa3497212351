"""Hypothesis settings and strategies shared by the fuzz suite.

Each test names the number of examples it runs in CI (a few seconds); ``PYKYVERNO_FUZZ_EXAMPLES=N`` runs every test
with N examples instead, for a longer local run (see the README's security section).
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st


def fuzz_settings(ci_examples: int) -> settings:
    """Settings for one fuzz test: ``ci_examples`` examples unless the environment asks for more."""
    examples = int(os.environ.get("PYKYVERNO_FUZZ_EXAMPLES", "0")) or ci_examples
    return settings(max_examples=examples, deadline=None, database=None, derandomize="PYKYVERNO_FUZZ_EXAMPLES" not in
                    os.environ, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


#: Scalars as JSON has them (no NaN or infinities: JSON cannot write them).
json_scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False,
                                                                                    allow_infinity=False) | st.text()


def json_values(max_leaves: int = 30) -> st.SearchStrategy[Any]:
    """Any JSON value of modest size."""
    return st.recursive(
        json_scalars,
        lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
        max_leaves=max_leaves,
    )


#: Pieces of YAML syntax, in particular the ones that hurt: anchors, aliases (also to the node being defined),
#: merge keys, tags, flow and block nesting, duplicate keys, long numbers, document markers.
YAML_PIECES = [
    "a", "b", "kind", "metadata", "name", ":", ": ", "- ", "-", "\n", "\n  ", "\n    ", "  ", "{", "}", "[", "]",
    ", ", ",", "&a ", "&b ", "*a", "*b", "<<: ", "<<", "!!int ", "!!str ", "!!binary ", "!!set ", "!!map ",
    "!!seq ", "!!float ", "!!timestamp ", "!local ", "! ", "? ", "'", '"', "\\", "#", "---\n", "...\n", "|\n",
    ">-\n", "~", "null", "true", "yes", "0x1F", "017", "1_000", "1:30", ".inf", ".nan", "1e5", "-", "9" * 5000,
    "%YAML 1.1\n", "\t", "\u00e9", "\U0001f600", "\x00", "\ufeff", "\r\n",
]
yaml_texts = st.lists(st.sampled_from(YAML_PIECES) | st.text(max_size=5), max_size=60).map("".join)

#: Pieces of JSON syntax, with what breaks JSON readers: deep nesting, duplicate keys, long integers, bad escapes.
JSON_PIECES = [
    "{", "}", "[", "]", ",", ":", '"a"', '"kind"', '"\\ud83d\\ude00"', '"\\u0000"', '"\\x"', "1", "-0", "1e5",
    "1.5E-3", "true", "false", "null", "NaN", "Infinity", " ", "\n", "\t", "9" * 5000, "[" * 300, "]" * 300,
]
json_texts = st.lists(st.sampled_from(JSON_PIECES) | st.text(max_size=3), max_size=60).map("".join)
