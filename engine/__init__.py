"""pykyverno's policy engine: pure evaluation of Kyverno CEL policies on plain dicts.

Nothing in this package performs I/O towards a cluster or imports the kubernetes client; the outside world
(cluster reads, HTTP calls, image metadata) reaches it through provider interfaces injected by the caller.
"""
