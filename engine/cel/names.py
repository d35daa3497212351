"""Names of the CEL variables Kubernetes and Kyverno declare, written once."""

OBJECT = "object"
OLD_OBJECT = "oldObject"
REQUEST = "request"
NAMESPACE_OBJECT = "namespaceObject"
VARIABLES = "variables"
EXCEPTIONS = "exceptions"
PARAMS = "params"
AUTHORIZER = "authorizer"
IMAGES = "images"
ATTESTORS = "attestors"
ATTESTATIONS = "attestations"
REF = "ref"
RESOURCE = "resource"

#: Variables every Kyverno CEL policy kind (vpol, mpol, gpol, dpol) declares.
POLICY_VARIABLES: tuple[str, ...] = (OBJECT, OLD_OBJECT, REQUEST, NAMESPACE_OBJECT, VARIABLES, EXCEPTIONS)
#: ImageValidatingPolicy adds the image extractors and the attestor/attestation maps.
IMAGE_POLICY_VARIABLES: tuple[str, ...] = (*POLICY_VARIABLES, IMAGES, ATTESTORS, ATTESTATIONS)
#: Kubernetes admission policies (ValidatingAdmissionPolicy, MutatingAdmissionPolicy) and validate.cel rules.
ADMISSION_POLICY_VARIABLES: tuple[str, ...] = (
    OBJECT, OLD_OBJECT, REQUEST, NAMESPACE_OBJECT, VARIABLES, PARAMS, AUTHORIZER,
)
