"""Kyverno's image library answers as go-containerregistry's ``name.ParseReference`` (which it wraps) does.

Rows follow go-containerregistry's ``pkg/name`` semantics and its test names (registry_test, repository_test,
tag_test, digest_test): the first path component is a registry only when it holds ``.`` or ``:``; Docker Hub is
``index.docker.io`` (``docker.io`` is rewritten to it, single-segment repositories get ``library/``); a reference
without tag or digest is tagged ``latest``; a reference with a digest is a Digest (its written tag is dropped); tags
are 1-128 characters of ``[A-Za-z0-9_.-]`` in any order; repositories 2-255 characters of ``[a-z0-9_./-]``; digests
``sha256:`` and exactly 64 lower-case hex digits.
"""

from __future__ import annotations

import pytest

from pykyverno.engine.cel import CelEvalError, environment_for

HEX = "deadb33f" * 8
DIGEST = f"sha256:{HEX}"

# reference -> (registry, repository, tag, digest, identifier, containsDigest)
REFERENCES: dict[str, tuple[str, str, str, str, str, bool]] = {
    # Docker Hub, implicit registry and namespace, default tag
    "nginx": ("index.docker.io", "library/nginx", "latest", "", "latest", False),
    "nginx:1.25.3": ("index.docker.io", "library/nginx", "1.25.3", "", "1.25.3", False),
    "library/ubuntu": ("index.docker.io", "library/ubuntu", "latest", "", "latest", False),
    "kyverno/kyverno:v1.14.0": ("index.docker.io", "kyverno/kyverno", "v1.14.0", "", "v1.14.0", False),
    "namespace/pathcomponent/image": ("index.docker.io", "namespace/pathcomponent/image", "latest", "", "latest",
                                      False),
    "docker.io/nginx": ("index.docker.io", "library/nginx", "latest", "", "latest", False),
    "docker.io/library/nginx:1": ("index.docker.io", "library/nginx", "1", "", "1", False),
    "index.docker.io/foo/bar:latest": ("index.docker.io", "foo/bar", "latest", "", "latest", False),
    "index.docker.io/nginx": ("index.docker.io", "library/nginx", "latest", "", "latest", False),
    # a first component without '.' or ':' is part of the repository (no special case for localhost)
    "localhost/app": ("index.docker.io", "localhost/app", "latest", "", "latest", False),
    # a registry alone is a Docker Hub repository
    "ghcr.io": ("index.docker.io", "library/ghcr.io", "latest", "", "latest", False),
    "host:5000": ("index.docker.io", "library/host", "5000", "", "5000", False),
    # explicit registries, ports, IPv6
    "gcr.io/hello-world:latest": ("gcr.io", "hello-world", "latest", "", "latest", False),
    "gcr.io/google.com/g-convoy/hello-world:latest": ("gcr.io", "google.com/g-convoy/hello-world", "latest", "",
                                                      "latest", False),
    "gcr.io/project-id/implicit-latest": ("gcr.io", "project-id/implicit-latest", "latest", "", "latest", False),
    "registry.example.com:5000/repo:tag": ("registry.example.com:5000", "repo", "tag", "", "tag", False),
    "localhost:5000/foo/bar:latest": ("localhost:5000", "foo/bar", "latest", "", "latest", False),
    "localhost:5000/app": ("localhost:5000", "app", "latest", "", "latest", False),
    "www.example.test:12345/repo/path": ("www.example.test:12345", "repo/path", "latest", "", "latest", False),
    "[::1]:5000/foo/bar:latest": ("[::1]:5000", "foo/bar", "latest", "", "latest", False),
    "registry.k8s.io/kube-apiserver-arm64:test": ("registry.k8s.io", "kube-apiserver-arm64", "test", "", "test",
                                                  False),
    # tags: any order of [A-Za-z0-9_.-], up to 128 characters
    "nginx:-dash-first": ("index.docker.io", "library/nginx", "-dash-first", "", "-dash-first", False),
    "nginx:.dot-first": ("index.docker.io", "library/nginx", ".dot-first", "", ".dot-first", False),
    "nginx:UPPER_case": ("index.docker.io", "library/nginx", "UPPER_case", "", "UPPER_case", False),
    "nginx:" + "t" * 128: ("index.docker.io", "library/nginx", "t" * 128, "", "t" * 128, False),
    # digests, with and without registry, port and tag (a written tag is dropped)
    f"ghcr.io/a/b@{DIGEST}": ("ghcr.io", "a/b", "", DIGEST, DIGEST, True),
    f"nginx@{DIGEST}": ("index.docker.io", "library/nginx", "", DIGEST, DIGEST, True),
    f"library/ubuntu@{DIGEST}": ("index.docker.io", "library/ubuntu", "", DIGEST, DIGEST, True),
    f"nginx:latest@{DIGEST}": ("index.docker.io", "library/nginx", "", DIGEST, DIGEST, True),
    f"gcr.io/g-convoy/hello-world@{DIGEST}": ("gcr.io", "g-convoy/hello-world", "", DIGEST, DIGEST, True),
    f"example.text/foo/bar:v1.0.0-alpine@{DIGEST}": ("example.text", "foo/bar", "", DIGEST, DIGEST, True),
    f"example.text:8443/foo/bar:latest@{DIGEST}": ("example.text:8443", "foo/bar", "", DIGEST, DIGEST, True),
    f"localhost:5000/app@{DIGEST}": ("localhost:5000", "app", "", DIGEST, DIGEST, True),
    f"[::1]:5000/foo/bar@{DIGEST}": ("[::1]:5000", "foo/bar", "", DIGEST, DIGEST, True),
}

INVALID = [
    "",
    "a",  # a repository has at least 2 characters
    "Nginx",  # upper case repository
    "white space",
    "gcr?com/app",  # not an RFC 3986 authority
    "b@char/a",
    "nginx:",  # empty tag
    "gcr.io/project-id/wrong-length:white space",
    "nginx:" + "t" * 129,
    "gcr.io/project-id/bad_chars:c@n'+-$t@g",
    "a/b:c/d",
    "gcr.io/project-id/unknown-alg@unknown:abc123",
    "gcr.io/project-id/wrong-length@sha256:d34db33fd34db33f",
    "gcr.io/project-id/missing-digest@",
    "repo@sha256:" + ":" * 64,
    "repo@sha256:" + "sh" * 32,
    f"repo@{DIGEST}@{DIGEST}",
    "repo@sha256:" + HEX.upper(),
    "localhost:5000/b",  # one-character repository after a registry
]

ACCESSORS = ("registry", "repository", "tag", "digest", "identifier", "containsDigest")


@pytest.mark.parametrize("reference", sorted(REFERENCES))
def test_accessors(reference: str) -> None:
    env = environment_for("vpol", ["ref"])
    answers = tuple(
        env.compile(f"parseImageReference(ref).{method}()").evaluate({"ref": reference}) for method in ACCESSORS
    )
    assert answers == REFERENCES[reference]
    assert env.compile("isImage(ref)").evaluate({"ref": reference}) is True
    # the deprecated image() is the same parser
    assert env.compile("image(ref).identifier()").evaluate({"ref": reference}) == REFERENCES[reference][4]


@pytest.mark.parametrize("reference", INVALID)
def test_invalid_references(reference: str) -> None:
    env = environment_for("vpol", ["ref"])
    assert env.compile("isImage(ref)").evaluate({"ref": reference}) is False
    with pytest.raises(CelEvalError, match="could not parse reference:"):
        env.compile("parseImageReference(ref)").evaluate({"ref": reference})


def test_issue_example_contains_digest() -> None:
    source = f"parseImageReference('ghcr.io/a/b@{DIGEST}').containsDigest()"
    assert environment_for("vpol").compile(source).evaluate({}) is True
