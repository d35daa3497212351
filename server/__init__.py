"""pykyverno server: MCP server, CLI and cluster access."""
