"""What the CLI commands and the MCP tools both do, written once: the side inputs of an evaluation and the admission
request built from them (``inputs``), evaluating resources (``evaluate``), choosing and reading policies
(``policies``, ``manifests``), ``lint`` and ``explain``. Adapters turn the results into their output.

May import the engine and ``server/policysets``; never ``server/commands`` or ``server/mcp``.
"""
