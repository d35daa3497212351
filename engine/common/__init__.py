"""Policy parts shared by every kind: matching, conditions, variables, exceptions, autogen."""
