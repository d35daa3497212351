"""What every policy kind shares: the one evaluation pipeline (``pipeline``: matchConstraints, exceptions, match
conditions, variables, the kind's body, results), the declaration of a kind (``kind``), and the parts kinds compose:
models and schema checks (``model``), expressions and variables (``expressions``), validations and their messages
(``validations``), the Kubernetes admission validator (``admission``), parameters (``params``), mutations with JSON
patch and apply merge (``mutation``, ``jsonpatch``, ``merge``), matching (``match``, ``labels``, ``wildcard``),
PolicyExceptions (``policy_exception``), autogen, loading, lint advice and annotation names.

May import ``engine/cel`` and the engine's root modules (documents, request, results, diagnostics, errors,
policyset); never a kind package or ``engine/registry``.
"""
