"""Which policies a scan runs: kinds whose spec says so, with background evaluation on, read from the field each kind
keeps it in (ClusterPolicy ``spec.background``, CEL kinds ``evaluation.background.enabled``)."""

from __future__ import annotations

import pytest

from pykyverno.engine.documents import parse_documents
from pykyverno.engine.loader import load_documents
from pykyverno.server.scan import Scanner, ScanRequest, SnapshotSource

CLUSTER_POLICY = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: cp}
spec:
  background: BACKGROUND
  rules:
  - name: needs-team
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      cel:
        expressions: [{expression: "'team' in object.metadata.?labels.orValue({})", message: needs a team}]
"""
VALIDATING_POLICY = """
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: vp}
spec:
  evaluation: {background: {enabled: BACKGROUND}}
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
  validations: [{expression: "'team' in object.metadata.?labels.orValue({})", message: needs a team}]
"""
POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
       "spec": {"containers": [{"name": "c", "image": "nginx"}]}}


@pytest.mark.parametrize("text", [CLUSTER_POLICY, VALIDATING_POLICY], ids=["ClusterPolicy", "ValidatingPolicy"])
@pytest.mark.parametrize("background", [True, False])
def test_background_decides_whether_scans_run_a_policy(text: str, background: bool) -> None:
    loaded = load_documents(parse_documents(text.replace("BACKGROUND", str(background).lower())))
    assert not loaded.issues
    scanner = Scanner(loaded.policies)
    source = SnapshotSource("snapshot", objects=[POD])
    report = scanner.scan([(source.name, lambda: source)], ScanRequest(snapshot="snapshot"))
    assert bool(scanner.policies) is background
    assert [r.result for r in report.results] == (["fail"] if background else [])
