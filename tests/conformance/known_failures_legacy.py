"""Conformance pairs pykyverno does not yet agree with Kyverno on, by stable case id, with the reason.

A listed pair still counts as a failure in the pass rates; a listed pair that starts passing fails
``test_known_failures_are_exact`` until it is removed. Regenerate with
``python -m tests.conformance.regenerate_known_failures`` (``--legacy`` for the kyverno.io/v1 suites).
"""

LEGACY_KNOWN_FAILURES: dict[str, str] = {
    'kyverno-cli/test-fail/missing-policy > missing > validate-image-tag > Pod/test > pass': "Kyverno's CI expects this Test (test-fail folder) to fail: the row names a policy, rule or resource the Test does not have",
    'kyverno-cli/test-fail/missing-resource > disallow-latest-tag > validate-image-tag > Pod/missing > pass': "Kyverno's CI expects this Test (test-fail folder) to fail: the row names a policy, rule or resource the Test does not have",
    'kyverno-cli/test-fail/missing-rule > disallow-latest-tag > missing > Pod/test > pass': "Kyverno's CI expects this Test (test-fail folder) to fail: the row names a policy, rule or resource the Test does not have",
    'kyverno-cli/test/context-foreach > block-images > block-images > Pod/bad-pod > fail': 'registry access: an imageRegistry context entry reads image metadata from docker.io, which the offline run cannot reach',
    'kyverno-cli/test/context-foreach > block-images > block-images > Pod/good-pod > pass': 'registry access: an imageRegistry context entry reads image metadata from docker.io, which the offline run cannot reach',
}
