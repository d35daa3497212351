"""Unknown names are errors that list what exists close by."""

from __future__ import annotations

import pytest

from pykyverno.server.core.errors import InputError
from pykyverno.server.core.names import UnknownNameError, close_matches, require_known


def test_typo_suggests_the_close_name() -> None:
    with pytest.raises(UnknownNameError) as err:
        require_known("namespace", "shopp", ["default", "shop", "kube-system"], where="context 'dev'")
    assert str(err.value) == "namespace 'shopp' does not exist in context 'dev'; did you mean 'shop'?"
    assert isinstance(err.value, InputError)


def test_known_name_is_returned() -> None:
    assert require_known("policy set", "pss", ["pss", "rbac"]) == "pss"


def test_nothing_close_gives_no_hint() -> None:
    assert str(UnknownNameError("context", "zzz", ["dev", "prod"])) == "context 'zzz' does not exist"


def test_case_and_substring_count_as_close() -> None:
    assert close_matches("PROD", ["prod-eu", "prod", "dev"])[0] == "prod"
    assert "prod-eu" in close_matches("eu", ["prod-eu", "dev"])
