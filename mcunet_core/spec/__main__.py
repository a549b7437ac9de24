"""``python -m mcunet_core.spec check [paths...]`` (exit 2 on problems), ``list [kind]``,
``show KIND NAME`` (the merged spec after ``extends``)."""

from __future__ import annotations

import argparse
import json
import sys

from ..errors import EXIT_USER_ERROR, UserError, capped, run_cli
from .loader import KIND_DIRS, check_paths, list_specs, spec_file, check_file


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m mcunet_core.spec", description=__doc__)
    ap.add_argument("--specs-dir", help="the project's spec folder (default: specs/ of this checkout)")
    sub = ap.add_subparsers(dest="command", required=True)
    chk = sub.add_parser("check", help="validate spec files; none given: every spec and schema")
    chk.add_argument("paths", nargs="*", help="spec files or folders")
    chk.add_argument("--kind", choices=sorted(KIND_DIRS), help="kind of the given files (default: from their folder)")
    lst = sub.add_parser("list", help="list spec names")
    lst.add_argument("kind", nargs="?", choices=sorted(KIND_DIRS))
    show = sub.add_parser("show", help="print a spec after its extends chain is merged (JSON)")
    show.add_argument("kind", choices=sorted(KIND_DIRS))
    show.add_argument("name", help="spec name or path")
    return ap


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "check":
        count, problems = check_paths(args.paths, args.kind, args.specs_dir)
        for line in capped([str(p) for p in problems]):
            print(line, file=sys.stderr)
        if problems:
            print(f"{len(problems)} problem(s) in {count} spec file(s)", file=sys.stderr)
            return EXIT_USER_ERROR
        print(f"{count} spec file(s) checked: no problems")
        return 0
    if args.command == "list":
        for kind in [args.kind] if args.kind else KIND_DIRS:
            print(f"{kind}: {' '.join(list_specs(kind, args.specs_dir))}")
        return 0
    path = spec_file(args.kind, args.name, args.specs_dir)
    tree, problems = check_file(args.kind, path, args.specs_dir)
    if problems:
        raise UserError([str(p) for p in problems])
    json.dump(tree.plain(), sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
