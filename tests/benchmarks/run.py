"""Run the benchmarks and print the figures: `python -m tests.benchmarks [--quick]`.

For the seed KB and generated KBs of 1,000 and 10,000 rules: load time, then the
latency (median, p99) and single-thread throughput of `KnowledgeBase.evaluate`, of
`evaluate` plus the explanation of every conclusion, of the bare durable_rules path
on the same compiled rules and facts, and of the plain-Python reference evaluator, all
in the same run. Then resident memory over many evaluations, and the time `healthkb
analyze` takes on the seed KB and the 1,000-rule KB. Each target of the
engine issue is printed as PASS or MISS; nothing here fails a build.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import yaml

import healthkb
from healthkb.analysis.analyze import analyze
from healthkb.content import reference_evaluator as reference
from healthkb.content.loading.loader import read_content

from . import batch
from .bare import BareEngine
from .generated_kb import ROOT, group_profile, write_generated_kb
from .measure import Latency, latency, paired, resident_mib, seconds

PROFILE_FILE = ROOT / "kb" / "examples" / "meets_conditions.yaml"


@dataclass
class KBFigures:
    name: str
    rules: int
    rulesets: int
    load_s: float
    paths: dict[str, Latency] = field(default_factory=dict)
    # evaluate() and the bare path timed in turn: (evaluate µs, bare µs) per profile.
    paired: dict[str, tuple[float, float]] = field(default_factory=dict)
    analysis: AnalysisFigures | None = None


@dataclass
class AnalysisFigures:
    """`healthkb analyze` on one KB: wall time, solver questions, findings by kind."""

    seconds: float
    questions: int
    findings: dict[str, int]


def measure_analysis(root: Path | None) -> AnalysisFigures:
    content = read_content(root)
    report = analyze(content)
    kinds: dict[str, int] = {}
    for finding in report.findings:
        kinds[finding.kind] = kinds.get(finding.kind, 0) + 1
    return AnalysisFigures(report.seconds, report.questions, dict(sorted(kinds.items())))


@dataclass
class Report:
    kbs: list[KBFigures] = field(default_factory=list)
    memory: list[tuple[int, float]] = field(default_factory=list)
    batch: batch.BatchFigures | None = None
    lines: list[str] = field(default_factory=list)

    def figures(self, name: str) -> KBFigures:
        return next(kb for kb in self.kbs if kb.name == name)


def running_profile() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(PROFILE_FILE.read_text(encoding="utf-8"))
    return data


def measure_kb(
    name: str, root: Path | None, profiles: dict[str, dict[str, Any]], repeats: int
) -> KBFigures:
    load_s, loaded = seconds(lambda: healthkb.load(root))
    kb: healthkb.KnowledgeBase = loaded  # type: ignore[assignment]
    figures = KBFigures(name, len(kb.content.active_rules()), len(kb.plan.rulesets), load_s)
    bare = BareEngine(kb)
    for label, profile in profiles.items():
        given = kb.validate_profile(profile).model_dump(exclude_none=True)
        _check_paths_agree(kb, bare, profile, given)

        def explained(profile: dict[str, Any] = profile) -> None:
            result = kb.evaluate(profile)
            for conclusion in result.conclusions:
                result.explain(conclusion.id).to_dict()

        paths = {
            "evaluate()": lambda profile=profile: kb.evaluate(profile),
            "evaluate() + explain every conclusion": explained,
            "bare durable_rules": lambda given=given: bare.run(given),
            "reference evaluator (plain Python)": (
                lambda given=given: reference.evaluate(kb.content, given)
            ),
        }
        for path, call in paths.items():
            figures.paths[f"{label}: {path}"] = latency(call, repeats)
        figures.paired[label] = paired(paths["evaluate()"], paths["bare durable_rules"], repeats)
    return figures


def _check_paths_agree(
    kb: healthkb.KnowledgeBase, bare: BareEngine, profile: dict[str, Any], given: dict[str, Any]
) -> None:
    """The three paths do the same work: the same rules fire, the same conclusions."""
    result = kb.evaluate(profile)
    expected = reference.evaluate(kb.content, given)
    if set(result.conclusion_ids) != expected.conclusions:
        raise AssertionError(f"engine and reference disagree on {profile}")
    fired_before = bare.fired
    bare.run(given)
    firings = len({(f.rule_id, f.alternative) for f in result.fired})
    if bare.fired - fired_before != firings:
        raise AssertionError(f"bare path fired {bare.fired - fired_before}, engine {firings}")


def measure_memory(evaluations: int) -> list[tuple[int, float]]:
    """Resident memory every tenth of `evaluations` evaluations on the seed KB.

    Measured in a fresh process, so the large KBs measured before do not count.
    """
    command = [sys.executable, "-m", "tests.benchmarks.memory", str(evaluations)]
    printed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return [(int(done), float(mib)) for done, mib in json.loads(printed.stdout)]


def memory_checkpoints(evaluations: int) -> list[tuple[int, float]]:
    """In this process: resident memory every tenth of `evaluations` evaluations."""
    kb = healthkb.load()
    profiles = [running_profile(), {"symptoms": {"physical_discomfort": True}}, {}]
    checkpoints = []
    step = max(evaluations // 10, 1)
    for done in range(1, evaluations + 1):
        kb.evaluate(profiles[done % len(profiles)])
        if done % step == 0:
            checkpoints.append((done, resident_mib()))
    return checkpoints


def run(
    sizes: tuple[int, ...],
    repeats: int,
    memory_evaluations: int,
    analysed: tuple[int, ...] = (1_000,),
    batch_lines: int = 0,
    batch_memory_lines: int = 0,
    dask: bool = True,
) -> Report:
    """`analysed`: the generated sizes `healthkb analyze` is timed on (and the seed KB)."""
    report = Report()
    running = running_profile()
    report.kbs.append(measure_kb("seed", None, {"running profile": running}, repeats))
    report.kbs[-1].analysis = measure_analysis(None)
    with tempfile.TemporaryDirectory() as scratch:
        for size in sizes:
            root = write_generated_kb(Path(scratch) / f"kb{size}", size)
            profiles = {
                "running profile": running,
                "running + one synthetic measure": {**running, **group_profile(0, 5)},
            }
            report.kbs.append(measure_kb(f"{size:,} rules", root, profiles, repeats))
            if size in analysed:
                report.kbs[-1].analysis = measure_analysis(root)
    report.memory = measure_memory(memory_evaluations)
    if batch_lines:
        report.batch = batch.measure(batch_lines, batch_memory_lines, dask)
    report.lines = render(report, sizes)
    return report


def render(report: Report, sizes: tuple[int, ...]) -> list[str]:
    lines = [
        f"healthkb benchmarks: Python {platform.python_version()}, durable_rules "
        f"{version('durable_rules')}, healthkb {version('healthkb')}, {os.cpu_count()} CPUs",
        f"profile: {PROFILE_FILE.relative_to(ROOT)}",
        "",
        f"{'KB':<14}{'rules':>7}{'rulesets':>10}{'load s':>9}",
    ]
    for kb in report.kbs:
        lines.append(f"{kb.name:<14}{kb.rules:>7}{kb.rulesets:>10}{kb.load_s:>9.2f}")
    lines += ["", f"{'KB':<14}{'profile: path':<72}{'median µs':>10}{'p99 µs':>9}{'per s':>8}"]
    for kb in report.kbs:
        for path, figures in kb.paths.items():
            lines.append(
                f"{kb.name:<14}{path:<72}{figures.median_us:>10.0f}{figures.p99_us:>9.0f}"
                f"{figures.per_second:>8.0f}"
            )
    lines += ["", f"{'KB':<14}{'healthkb analyze: s':>20}{'questions':>11}  findings"]
    for kb in report.kbs:
        if kb.analysis is not None:
            kinds = ", ".join(f"{n} {kind}" for kind, n in kb.analysis.findings.items())
            lines.append(
                f"{kb.name:<14}{kb.analysis.seconds:>20.2f}{kb.analysis.questions:>11}  "
                f"{kinds or 'none'}"
            )
    lines += ["", "targets"]
    lines += [f"  {line}" for line in targets(report, sizes)]
    lines += ["", "resident memory over evaluations (seed KB)"]
    lines += [f"  {done:>10,} evaluations  {mib:7.1f} MiB" for done, mib in report.memory]
    if report.batch is not None:
        lines += ["", *batch.render(report.batch)]
    return lines


def targets(report: Report, sizes: tuple[int, ...]) -> list[str]:
    seed = report.figures("seed")
    bare = seed.paths["running profile: bare durable_rules"].median_us
    found = []

    def check(passed: bool, what: str, figure: str) -> None:
        found.append(f"{'PASS' if passed else 'MISS'}  {what:<66}{figure}")

    ratio = seed.paths["running profile: evaluate()"].median_us / bare
    check(ratio <= 2, "seed: evaluate() <= 2x bare durable_rules", f"{ratio:.2f}x")
    evaluated, bare_turn = seed.paired["running profile"]
    ratio = evaluated / bare_turn
    check(ratio <= 1.3, "seed: evaluate() <= 1.3x bare, timed in turn", f"{ratio:.2f}x")
    # Not a target: the trees are built on demand, and the target is evaluate(),
    # whose result already names each conclusion's rule, facts used and citations.
    ratio = seed.paths["running profile: evaluate() + explain every conclusion"].median_us / bare
    found.append(
        f"info  {'seed: evaluate() + every proof tree, vs bare durable_rules':<66}{ratio:.2f}x"
    )
    if seed.analysis is not None:
        took = seed.analysis.seconds
        check(took < 2, "seed: healthkb analyze < 2 s", f"{took:.2f} s")
    if 1_000 in sizes and report.figures("1,000 rules").analysis is not None:
        analysis = report.figures("1,000 rules").analysis
        assert analysis is not None
        check(
            analysis.seconds < 60,
            "1,000 rules: healthkb analyze < 60 s",
            f"{analysis.seconds:.2f} s",
        )
    if 10_000 in sizes:
        big = report.figures("10,000 rules")
        check(big.load_s < 5, "10,000 rules: load < 5 s", f"{big.load_s:.2f} s")
        median = big.paths["running profile: evaluate()"].median_us
        check(median < 1000, "10,000 rules: evaluate() median < 1 ms", f"{median / 1000:.3f} ms")
    if len(report.memory) >= 2:
        growth = report.memory[-1][1] - report.memory[0][1]
        check(growth < 5, "memory flat: growth after the first tenth < 5 MiB", f"{growth:+.1f} MiB")
    if report.batch is not None:
        for passed, what, figure in batch.targets(report.batch):
            check(passed, what, figure)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks", description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000, 10_000])
    parser.add_argument("--repeats", type=int, default=2_000, help="timed calls per path")
    parser.add_argument("--memory-evaluations", type=int, default=200_000)
    parser.add_argument(
        "--analyse",
        type=int,
        nargs="*",
        default=[1_000],
        help="generated sizes to time `healthkb analyze` on (the seed KB always is)",
    )
    parser.add_argument(
        "--batch-lines", type=int, default=20_000, help="profiles per batch run timed (0: none)"
    )
    parser.add_argument(
        "--batch-memory-lines", type=int, default=1_000_000, help="lines of the batch memory run"
    )
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask batch figures")
    parser.add_argument("--quick", action="store_true", help="small run, for a smoke test")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.repeats, args.memory_evaluations = [200], 50, 300
        args.analyse = [200]
        args.batch_lines, args.batch_memory_lines = 1_000, 3_000
    report = run(
        tuple(args.sizes),
        args.repeats,
        args.memory_evaluations,
        tuple(args.analyse),
        args.batch_lines,
        args.batch_memory_lines,
        not args.no_dask,
    )
    print("\n".join(report.lines))
    sys.stdout.flush()
    return 0
