"""The CLI's subcommands, one module each; each exposes ``add_parser(subparsers)`` and ``run(args) -> int``.

Commands are thin adapters: they parse flags, call ``server/core``, ``server/scan``, ``server/policysets`` or
``server/testrunner``, and print. May import those, ``server/kube``, ``server/output``, ``server/redaction``,
``server/exit_codes``, ``server/arguments`` and the engine; never ``server/mcp``.
"""
