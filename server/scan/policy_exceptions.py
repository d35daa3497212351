"""The PolicyExceptions a scanned source holds (Kyverno applies those of the cluster to its background scans)."""

from __future__ import annotations

import logging
from typing import Any

from pykyverno.engine.common.policy_exception import PolicyException
from pykyverno.engine.documents import Document
from pykyverno.engine.loader import load_documents

log = logging.getLogger(__name__)


def exceptions_from(source_name: str, label: str, objects: list[dict[str, Any]], *,
                    warn: bool = True) -> list[PolicyException]:
    """The PolicyExceptions among a source's listed ``objects`` of type ``label`` (one that does not load is left
    out, with a warning: it could only hide fewer findings)."""
    documents = [Document(obj, f"{source_name}: {label}", i) for i, obj in enumerate(objects)]
    loaded = load_documents(documents)
    if warn:
        for issue in loaded.issues:
            log.warning("%s: PolicyException left out of the scan: %s", source_name, issue)
    return loaded.exceptions
