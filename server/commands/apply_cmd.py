"""``pykyverno apply``: evaluate policies against resource manifests, as ``kyverno apply`` does."""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from pykyverno.engine.common.options import EvaluationOptions
from pykyverno.engine.errors import EngineError
from pykyverno.engine.index import PolicyIndex
from pykyverno.engine.loader import load_policies
from pykyverno.engine.objects import object_key, read_manifests
from pykyverno.engine.policyset import PolicySet
from pykyverno.engine.results import summarize

from ..arguments import add_exit_flags
from ..core.evaluate import apply_resources
from ..core.inputs import read_inputs
from ..core.policies import resolve_policies
from ..exit_codes import EXIT_USAGE, results_exit_code
from ..output import policy_reports
from ..output_files import make_output_dir, write_output_file
from ..paths import safe_file_name
from ..policysets import PolicySetError
from ..redaction import mask_data, remember_sensitive
from ..terminal import print_apply
from .inputs import check_policy_sets, load_errors, manifests, split_stdin, stdin_policies, unsupported_rules
from .report_cmd import sarif_text

OPERATIONS = ("CREATE", "UPDATE", "DELETE")


def add_parser(sub: Any) -> None:
    """Register the ``apply`` subcommand."""
    p = sub.add_parser("apply", help="apply policies to resource manifests and report results")
    p.add_argument(
        "policies", nargs="*", metavar="POLICY_PATH", help="policy files or folders ('-' for standard input)"
    )
    p.add_argument(
        "--policy-set", action="append", default=[], metavar="NAME", help="a bundled policy set (repeatable)"
    )
    p.add_argument(
        "-r", "--resource", action="extend", nargs="+", default=[], metavar="PATH",
        help="resource files or folders ('-' for standard input)"
    )
    p.add_argument(
        "-e", "--exception", action="extend", nargs="+", default=[], metavar="PATH", help="PolicyException files"
    )
    p.add_argument("-f", "--values-file", metavar="F", help="Values file (namespaces, namespaceSelector, operation)")
    p.add_argument("--context-file", metavar="F", help="Context file served to resource.Get/List and image data")
    p.add_argument("-u", "--userinfo", metavar="F", help="UserInfo file (username, groups)")
    p.add_argument("--operation", default="CREATE", type=str.upper, choices=OPERATIONS)
    p.add_argument(
        "--old-resource",
        action="append",
        default=[],
        metavar="PATH",
        help="old versions of the resources (UPDATE); with DELETE the --resource files are the old objects",
    )
    add_exit_flags(p)
    p.add_argument("-t", "--table", action="store_true", help="print a results table")
    p.add_argument("-p", "--policy-report", action="store_true", help="print PolicyReport documents")
    p.add_argument(
        "-o", "--output-format", choices=["json", "yaml", "sarif"], help="print results and summary as json/yaml, or "
        "SARIF 2.1.0 for code scanning (findings at the file and line of each resource)"
    )
    p.add_argument("--output-dir", metavar="DIR", help="write mutated and generated resources to DIR, one file each")
    p.add_argument(
        "--print-patched", action="store_true", help="print mutated and generated resources (YAML) instead of results"
    )
    p.add_argument("--diff", action="store_true", help="print a unified diff of each mutated resource")
    p.set_defaults(run=run)


def _file_name(obj: dict[str, Any]) -> str:
    kind, namespace, name = object_key(obj)
    return safe_file_name([kind.lower(), namespace, name or "unnamed"], ".yaml")


def write_objects(directory: Path, objects: list[dict[str, Any]]) -> list[Path]:
    """Write each object to its own YAML file under ``directory`` (masked); two objects whose names map to the same
    file (``a/b`` and ``a_b``, or the same object mutated and generated) get numbered names instead of one
    overwriting the other."""
    make_output_dir(directory)
    written: list[Path] = []
    used: set[str] = set()
    for obj in objects:
        name = _file_name(obj)
        stem, number = name.removesuffix(".yaml"), 1
        while name.lower() in used:  # lower: case-insensitive file systems would merge them too
            number += 1
            name = f"{stem}-{number}.yaml"
        used.add(name.lower())
        path = directory / name
        write_output_file(path, yaml.safe_dump(mask_data(obj), sort_keys=False))
        written.append(path)
    return written


def unified_diff(original: dict[str, Any], mutated: dict[str, Any]) -> str:
    """A unified diff of two objects' YAML, labelled with the resource."""
    kind, namespace, name = object_key(original)
    label = "/".join(p for p in (kind, namespace, name) if p)
    before = yaml.safe_dump(mask_data(original), sort_keys=False).splitlines(keepends=True)
    after = yaml.safe_dump(mask_data(mutated), sort_keys=False).splitlines(keepends=True)
    return "".join(difflib.unified_diff(before, after, f"{label} (original)", f"{label} (mutated)"))


def _load(args: argparse.Namespace) -> tuple[PolicySet, list[str]]:
    """The policies and exceptions of the run, and the problems that left some out (each names its file)."""
    check_policy_sets(args.policy_set)
    paths, with_stdin = split_stdin(args.policies, "POLICY_PATH")
    policies = resolve_policies(args.policy_set, paths, defaults=False)
    if with_stdin:
        policies.extend(stdin_policies())
    exceptions = load_policies(args.exception)  # a PolicyException whose CEL does not compile is a problem
    policies.exceptions.extend(exceptions.exceptions)
    policies.issues.extend(exceptions.issues)
    return policies, [*load_errors(policies), *unsupported_rules(policies)]


def run(args: argparse.Namespace) -> int:
    """Execute ``pykyverno apply``."""
    if not args.policies and not args.policy_set:
        print("error: give policy files or folders, or --policy-set NAME", file=sys.stderr)
        return EXIT_USAGE
    if not args.resource:
        print("error: no resources to apply the policies to: give resource files or folders with -r/--resource "
              "('-' for standard input)", file=sys.stderr)
        return EXIT_USAGE
    try:
        policies, problems = _load(args)
    except PolicySetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    known_problems = len(problems)
    resources = manifests(args.resource, problems)
    if not resources and len(problems) == known_problems:  # nothing to evaluate (and no unreadable document that
        # says why) is not clean: the run is incomplete, and every output says so
        problems.append(f"no resources found in {', '.join(args.resource)}: nothing was evaluated")
    old = {object_key(o): o for o in read_manifests(args.old_resource, problems)}
    remember_sensitive([*resources, *old.values()])  # evaluated as written; secret values are masked in output
    try:
        inputs = read_inputs(
            resources=resources,
            base_path=Path.cwd(),
            context_path=Path(args.context_file) if args.context_file else None,
            values_paths=[Path(args.values_file)] if args.values_file else [],
            userinfo_path=Path(args.userinfo) if args.userinfo else None,
        )
    except EngineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    problems.extend(inputs.issues)
    index = PolicyIndex(policies.policies)
    outcome = apply_resources(
        index,
        resources,
        inputs,
        policies.exceptions,
        args.operation,
        old,
        EvaluationOptions(audit_warn=args.audit_warn),
    )
    results = outcome.results
    produced = [mutated for _, mutated in outcome.mutated] + outcome.generated
    if args.output_dir:
        for path in write_objects(Path(args.output_dir), produced):
            print(f"wrote {path}", file=sys.stderr)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    counts = summarize(results)
    if args.diff:
        for original, mutated in outcome.mutated:
            print(unified_diff(original, mutated), end="")
    if args.print_patched:
        print(yaml.safe_dump_all(mask_data(produced), sort_keys=False), end="")
    elif args.output_format == "sarif":
        print(sarif_text(results, args.resource, policies.sources, problems, normalize=True))
    elif args.output_format:
        payload = mask_data({"results": [r.to_report() for r in results], "summary": counts, "errors": problems})
        text = (
            json.dumps(payload, indent=2) if args.output_format == "json" else yaml.safe_dump(payload, sort_keys=False)
        )
        print(text)
    elif args.policy_report:
        print(yaml.safe_dump_all(mask_data(policy_reports(results)), sort_keys=False), end="")
    else:
        print_apply(results, counts, len(policies.names()), len(resources), table=args.table,
                    problems=len(problems))
    return results_exit_code(counts, incomplete=bool(problems), warn_exit_code=args.warn_exit_code,
                             warn_no_pass=args.warn_no_pass)
