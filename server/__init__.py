"""pykyverno's server side: the CLI, the MCP server, cluster access and everything with I/O.

Layers, each importing only the ones below it:

- entry points: ``cli`` and its ``commands`` (one module per subcommand), ``serve`` (starts ``mcp``), and ``mcp``
  (the MCP server: state, toolsets, resources, prompts); ``commands`` and ``mcp`` never import each other;
- ``core``: what both entry points do (inputs, the admission request, evaluate, lint, explain), and ``testrunner``
  (``kyverno test`` files);
- services: ``scan`` (clusters and snapshots), ``policysets`` (the catalogue), ``kube`` (cluster access),
  ``redaction`` (what never leaves the process), ``output`` (tables and PolicyReports), ``exit_codes``, ``arguments``.

Everything may import ``pykyverno.engine``; the engine never imports this package.
"""
