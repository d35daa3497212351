"""The fixed patterns of the Kubernetes format and quantity libraries: the linear-time forms accept exactly what the
Kubernetes patterns accept, and long hostile input is answered at once."""

from __future__ import annotations

import contextlib
import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pykyverno.engine.cel import CelEvalError, environment_for
from pykyverno.engine.cel.libs import k8s_format, k8s_quantity

#: (linear form, the Kubernetes pattern it replaces)
PAIRS = [
    (k8s_format._DNS1123_LABEL, k8s_format._DNS1123_LABEL_FMT),
    (k8s_format._DNS1123_SUBDOMAIN, k8s_format._DNS1123_SUBDOMAIN_FMT),
    (k8s_format._DNS1035_LABEL, k8s_format._DNS1035_LABEL_FMT),
    (k8s_format._QUALIFIED_NAME, k8s_format._QUALIFIED_NAME_FMT),
    (k8s_format._LABEL_VALUE, k8s_format._LABEL_VALUE_FMT),
    (k8s_quantity._QUANTITY, r"([+-]?)([0-9]*)(?:\.([0-9]*))?([eEinumkKMGTP]*[-+]?[0-9]*)"),
]
NAMEISH = st.text(alphabet="aZ09-_.x/+:eEMi ", max_size=24)


@settings(max_examples=300, deadline=None)
@given(NAMEISH)
def test_linear_forms_accept_what_the_kubernetes_patterns_accept(text: str) -> None:
    for linear, original in PAIRS:
        expected = re.fullmatch(original, text)
        found = linear.fullmatch(text)
        assert (found is None) == (expected is None), (original, text)
        if found is not None and expected is not None:
            assert found.groups()[: len(expected.groups())] == expected.groups()[: len(found.groups())]


@pytest.mark.parametrize(
    "expression",
    [
        "quantity(object.s)",
        "isQuantity(object.s)",
        "format.dns1123Subdomain().validate(object.t)",
        "format.dns1123Label().validate(object.t)",
        "format.qualifiedName().validate(object.t)",
        "format.labelValue().validate(object.t)",
    ],
)
def test_long_hostile_input_is_answered_at_once(expression: str) -> None:
    program = environment_for("vap").compile(f"dyn({expression}) == dyn(0) || true")
    data = {"object": {"s": "1" * 200_000 + "x", "t": "a-" * 100_000 + "-"}}
    started = time.perf_counter()
    with contextlib.suppress(CelEvalError):  # an error is a fine answer; a long wait is not
        program.evaluate(data)
    assert time.perf_counter() - started < 1.0
