"""The exit codes of every ``pykyverno`` command, in one place.

==  ==========================================================================================================
0   clean: everything that was asked was evaluated and nothing failed
1   findings: a policy failed (apply, scan), a case did not match (test), a file has errors (lint)
2   usage: bad arguments or inputs the command cannot use (unknown set, unreadable file, bad flag)
3   incomplete: something could not be evaluated (a policy or file that does not load, a type not listed)
70  internal error (a bug; details with ``-v``)
==  ==========================================================================================================
"""

EXIT_OK = 0
EXIT_FAILURES = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3
EXIT_INTERRUPTED = 130
EXIT_INTERNAL = 70
