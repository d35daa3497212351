"""The terminal view of ``apply``, ``scan`` and ``test``: colour tables, a summary bar and grouped findings with
``rich`` when standard output is a terminal (and ``NO_COLOR`` is not set), the plain text of
:mod:`pykyverno.server.output` otherwise; progress on standard error. Every cell is masked before it is rendered."""

from .console import colour_wanted, stderr_console, stdout_console
from .progress import ScanProgress
from .views import print_apply, print_scan, print_test_table

__all__ = [
    "ScanProgress",
    "colour_wanted",
    "print_apply",
    "print_scan",
    "print_test_table",
    "stderr_console",
    "stdout_console",
]
