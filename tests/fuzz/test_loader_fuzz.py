"""Fuzzing the policy loader: ``load_documents`` on policy-shaped documents never raises; every document it cannot
use becomes a LoadIssue (or an unsupported entry), and what it loads has a name."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from pykyverno.engine.documents import Document
from pykyverno.engine.loader import load_documents
from pykyverno.engine.registry import REGISTRY

from .strategies import fuzz_settings, json_values

API_VERSIONS = ["policies.kyverno.io/v1", "policies.kyverno.io/v1alpha1", "policies.kyverno.io/v1beta1",
                "kyverno.io/v1", "kyverno.io/v2", "admissionregistration.k8s.io/v1", "v1", "nope/v9"]
KINDS = [*sorted([kind for spec in REGISTRY.specs() for kind in spec.kinds]), "PolicyException", "Pod", "PolicySet"]
CEL = ["true", "object.metadata.name == 'x'", "object.spec.containers.all(c, has(c.image))", "1 +", "variables.v",
       "[JSONPatch{op: 'add', path: '/a', value: 1}]", "size(object.x) > 2 ? 'a' : 'b'", "", "oldObject == null"]
SPEC_KEYS = ["validations", "matchConstraints", "matchConditions", "variables", "validationActions", "mutations",
             "generate", "evaluation", "auditAnnotations", "failurePolicy", "rules", "policyRefs", "exceptions",
             "validationFailureAction", "background", "paramKind", "policyName", "validationActions",
             "conditions", "deletionPropagationPolicy", "schedule", "images", "attestors", "attestations",
             "matchImageReferences", "webhookConfiguration", "autogen", "reinvocationPolicy", "podSecurity"]
ITEM_KEYS = ["expression", "message", "messageExpression", "name", "reason", "resourceRules", "apiGroups",
             "apiVersions", "operations", "resources", "patchType", "jsonPatch", "applyConfiguration", "match",
             "exclude", "any", "all", "validate", "mutate", "pattern", "anyPattern", "deny", "foreach", "key",
             "operator", "value", "namespaceSelector", "objectSelector", "action", "enabled", "kind"]


def shaped(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mappings with the keys policies use, lists of them, and CEL strings, mixed with arbitrary values."""
    return (
        st.dictionaries(st.sampled_from(ITEM_KEYS) | st.text(max_size=6), children, max_size=4)
        | st.lists(children, max_size=3)
        | st.sampled_from(CEL)
    )


policy_values = st.recursive(st.sampled_from(CEL) | json_values(4), shaped, max_leaves=12)
metadata = st.fixed_dictionaries(
    {}, optional={"name": st.sampled_from(["p", "a.b", ""]) | json_values(2),
                  "namespace": st.sampled_from(["apps", ""]) | json_values(2),
                  "annotations": st.dictionaries(st.text(max_size=8), st.text(max_size=8) | json_values(2),
                                                 max_size=3)},
)
documents = st.fixed_dictionaries(
    {},
    optional={
        "apiVersion": st.sampled_from(API_VERSIONS) | json_values(2),
        "kind": st.sampled_from(KINDS) | json_values(2),
        "metadata": metadata,
        "spec": st.dictionaries(st.sampled_from(SPEC_KEYS), policy_values, max_size=5) | json_values(4),
    },
)


@fuzz_settings(150)
@given(st.lists(documents, min_size=1, max_size=3))
def test_load_documents_never_raises(datas: list[dict[str, Any]]) -> None:
    docs = [Document(data, "fuzz.yaml", index) for index, data in enumerate(datas)]
    loaded = load_documents(docs)
    known = {*[kind for spec in REGISTRY.specs() for kind in spec.kinds], "PolicyException"}
    others = sum(1 for d in datas if not (isinstance(d.get("kind"), str) and d["kind"] in known))
    assert len(loaded.issues) >= others, "every document of another kind is an issue"
    for issue in loaded.issues:
        assert issue.origin.startswith("fuzz.yaml (document ") and issue.message
    for policy in loaded.policies:
        assert isinstance(policy.name, str) and policy.name
