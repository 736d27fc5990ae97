"""The `healthkb` command: argument parsing and exit codes over the library, nothing more.

Exit codes: 0 success; 1 a check found problems (validate); 2 unusable input or usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .errors import HealthKBError, KBError, ProfileError, UnknownConclusionError
from .knowledge_base import KnowledgeBase, load
from .loader import read_content
from .render import result_json, result_markdown, result_text

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="healthkb", description="Explainable health guidance from published articles."
    )
    parser.add_argument("--version", action="version", version=f"healthkb {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser("validate", help="check a KB and list every problem")
    validate.add_argument(
        "path", nargs="?", help="folder holding kb/ and rules/ (default: bundled)"
    )
    validate.add_argument("--format", choices=["text", "json"], default="text")

    evaluate = commands.add_parser("evaluate", help="evaluate a profile and print conclusions")
    evaluate.add_argument("profile", help="profile file (.yaml or .json)")
    evaluate.add_argument("--kb", help="folder holding kb/ and rules/ (default: bundled)")
    evaluate.add_argument("--format", choices=["text", "json", "markdown"], default="text")

    explain = commands.add_parser("explain", help="print the proof (or why-not) of a conclusion")
    explain.add_argument("profile", help="profile file (.yaml or .json)")
    explain.add_argument("--conclusion", required=True, help="conclusion id")
    explain.add_argument("--why-not", action="store_true", help="explain why it was not reached")
    explain.add_argument("--kb", help="folder holding kb/ and rules/ (default: bundled)")
    explain.add_argument("--format", choices=["text", "json"], default="text")
    return parser


def _load(path: str | None) -> KnowledgeBase:
    if path is not None and not Path(path).is_dir():
        raise _UsageError(f"{path}: not a folder (give the folder that holds kb/ and rules/)")
    return load(path)


class _UsageError(Exception):
    pass


def _validate(args: argparse.Namespace) -> int:
    if args.path is not None and not Path(args.path).is_dir():
        raise _UsageError(f"{args.path}: not a folder (give the folder that holds kb/ and rules/)")
    try:
        content = read_content(args.path)
    except KBError as error:
        if args.format == "json":
            print(json.dumps([p.to_dict() for p in error.problems], indent=2, ensure_ascii=False))
        else:
            for problem in error.problems:
                print(problem)
            print(f"{len(error.problems)} problem(s) found", file=sys.stderr)
        return EXIT_PROBLEMS
    active = len(content.active_rules())
    if args.format == "json":
        print("[]")
    else:
        print(
            f"ok: {content.manifest.id} {content.manifest.version}: {len(content.rules)} rules "
            f"({active} active), {len(content.conclusions)} conclusions, "
            f"{len(content.sources)} source(s), {len(content.citations.resolved)} quotes resolved"
        )
    return EXIT_OK


def _evaluate(args: argparse.Namespace) -> int:
    kb = _load(args.kb)
    result = kb.evaluate_file(args.profile)
    render = {"text": result_text, "json": result_json, "markdown": result_markdown}[args.format]
    print(render(result))
    return EXIT_OK


def _explain(args: argparse.Namespace) -> int:
    kb = _load(args.kb)
    result = kb.evaluate_file(args.profile)
    if args.conclusion not in kb.content.conclusions:
        raise UnknownConclusionError(f"unknown conclusion `{args.conclusion}`")
    if not args.why_not and args.conclusion not in result.conclusion_ids:
        print(
            f"{args.conclusion} was not concluded for this profile; showing why not",
            file=sys.stderr,
        )
        args.why_not = True
    tree = result.why_not(args.conclusion) if args.why_not else result.explain(args.conclusion)
    if args.format == "json":
        print(json.dumps(tree.to_dict(), indent=2, ensure_ascii=False, sort_keys=True))
    else:
        print(tree)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handler = {"validate": _validate, "evaluate": _evaluate, "explain": _explain}[args.command]
    try:
        return handler(args)
    except (KBError, ProfileError) as error:
        kind = "invalid profile" if isinstance(error, ProfileError) else "broken knowledge base"
        print(f"healthkb: {kind}:", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_USAGE
    except (HealthKBError, _UsageError) as error:
        print(f"healthkb: {error}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
