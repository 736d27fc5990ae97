"""Broken variants of the generated 1,000-rule KB, for holding the checks across files to
what they reported before a change (tests/content/test_checks_unchanged.py).

Each variant is the generated KB with a few edits of its text: named ones, each aimed at
one check (numbers against quotes, references, validation, strata, certainty, citations,
versions, translations, misspelt declarations), and seeded random ones that stack edits
of numbers, operators, names, negations, statuses and quotes on random rules.
"""

from __future__ import annotations

import hashlib
import random
import re
import shutil
import sys
from pathlib import Path

from tests.benchmarks.generated_kb import write_generated_kb

from healthkb.content.loading.loader import check_content

S0 = "rules/synthetic_0000.yaml"
S1 = "rules/synthetic_0001.yaml"
S2 = "rules/synthetic_0002.yaml"
RUNNING = "rules/running_and_diet.yaml"
CONCLUSIONS = "kb/conclusions.yaml"
FACTS = "kb/facts.yaml"
SILENCES = "kb/silences.yaml"
SOURCE = "kb/sources/synthetic-benchmark.yaml"
QUOTE = "quote: A measure above its threshold may call for this advice."

# (file, old text, new text, how many times: -1 for all)
Edit = tuple[str, str, str, int]

_CERTAIN_0 = (
    "- id: measure_0_advice\n  kind: information\n  certainty: possible\n"
    "  statement: Synthetic measure 0 may call for advice.\n  because:\n"
    "  - source: synthetic-benchmark\n    " + QUOTE
)
_TOO_COMPLEX = "".join(
    f"    - any:\n      - {{fact: measure_0.level, gt: {i}}}\n"
    "      - {fact: measure_0.flagged, eq: true}\n"
    for i in range(7)
)

NAMED: dict[str, list[Edit]] = {
    "title_numbers": [
        (S0, "a level more than 2'", "a level more than 3'", 1),
        (S0, "a level at least 3'", "a level at most 3'", 1),
        (S1, "a level more than 10'", "a level between 10 and 12'", 1),
        (S1, "a level at least 11'", "a level 11 to 9'", 1),
        (S1, "a level more than 12'", "a level more than twelve or more'", 1),
        (S1, "a level at least 13'", "a level thirteen-fourteen'", 1),
        (RUNNING, "3–5 times a week", "3–6 times a week", 1),
    ],
    "title_numbers_many": [(S0, ": a level more than", ": a level under", -1)],
    "title_ranges_shared": [(S2, ": a level at least", ": a level 3-5, at least", -1)],
    "title_words": [
        (S0, "a level more than 4'", "a level more than four'", 1),
        (S0, "a level at least 5'", "a level five or more'", 1),
        (S0, "a level more than 6'", "a level over six'", 1),
        (S0, "a level at least 7'", "a level at least 7.0'", 1),
        (S0, "a level more than 8'", "a level 8'", 1),
    ],
    "numbers_in_quote": [
        (S0, "a level more than 20'", "a level'", 1),
        (S0, "a level at least 21'", "a level'", 1),
        (
            SOURCE,
            "may call for this advice.",
            "may call for this advice. Above 20 or 21 or more.",
            1,
        ),
    ],
    "negated_numbers": [
        (
            S0,
            "    - fact: measure_0.level\n      gt: 0\n",
            "    - not: {fact: measure_0.level, gt: 0}\n",
            1,
        ),
        (
            S0,
            "    - fact: measure_0.level\n      gt: 2\n",
            "    - not: {fact: measure_0.level, le: 2}\n",
            1,
        ),
        (
            S0,
            "    - fact: measure_0.level\n      ge: 3\n",
            "    - not: {not: {fact: measure_0.level, ge: 3}}\n",
            1,
        ),
        (
            S0,
            "    - fact: measure_0.level\n      gt: 4\n",
            "    - not: {fact: measure_0.level, between: [4, 9]}\n",
            1,
        ),
    ],
    "lists_and_floats": [
        (S0, "fact: measure_0.level\n      gt: 6", "fact: measure_0.level\n      in: [6, 7]", 1),
        (
            S0,
            "fact: measure_0.level\n      gt: 8",
            "fact: measure_0.level\n      not_in: [8, 80]",
            1,
        ),
        (S0, "fact: measure_0.level\n      gt: 10", "fact: measure_0.level\n      gt: 10.5", 1),
        (
            S0,
            "fact: measure_0.level\n      gt: 12",
            "fact: measure_0.level\n      between: [12, 12]",
            1,
        ),
        (S0, "fact: measure_0.level\n      gt: 14", "fact: measure_0.level\n      eq: 14", 1),
        (S0, "fact: measure_0.level\n      gt: 16", "fact: measure_0.level\n      ne: 16", 1),
    ],
    "references": [
        (S0, "fact: measure_0.level\n      gt: 0", "fact: measure_0.levl\n      gt: 0", 1),
        (S0, "fact: measure_0.flagged\n      eq: true", "fact: measure_0.flagged\n      eq: 3", 1),
        (S0, "fact: measure_1.level\n      ge: 1", "fact: measur_1.level\n      ge: 51", 1),
        (S0, "fact: measure_1.level\n      gt: 2", "fact: measure_1.level\n      contains: x", 1),
        (S0, "fact: measure_1.level\n      gt: 4", "fact: measure_1.level\n      gt: 1.0e+20", 1),
        (S0, "fact: measure_1.level\n      gt: 6", "fact: measure_1.level\n      gt: 101", 1),
        (S0, "conclude: measure_2_advice", "conclude: measure_2_advise", 1),
        (
            S0,
            "fact: measure_3_state\n      values:\n        state: high",
            "fact: measure_3_stat\n      values:\n        state: high",
            1,
        ),
        (
            S0,
            "fact: measure_4_state\n      values:\n        state: high",
            "fact: measure_4_state\n      values:\n        state: low",
            1,
        ),
        (RUNNING, "running.intensity, eq: low", "running.intensty, eq: low", 1),
    ],
    "values_shared": [
        (S0, "fact: measure_0.flagged\n      eq: true", "fact: measure_0.flagged\n      eq: 1", -1),
        (S2, "fact: measure_10.level\n      gt: 10", "fact: measure_10.level\n      gt: -1", -1),
        (S2, "fact: measure_11.level\n      ge: 11", "fact: measure_11.level\n      ge: '11'", -1),
        (
            S2,
            "fact: measure_12_state.state\n      eq: high",
            "fact: measure_12_state.state\n      eq: hihg",
            -1,
        ),
        (S1, "values:\n        state: high", "values:\n        state: high\n        level: 3", 2),
    ],
    "misspelt_declarations": [
        (FACTS, "measure_5:\n", "measure_5x:\n", 1),
        (
            FACTS,
            "measure_6:\n    description: Synthetic measure 6.\n    attributes:\n      level:",
            "measure_6:\n    description: Synthetic measure 6.\n    attributes:\n      levle:",
            1,
        ),
    ],
    "silences": [
        (SILENCES, "running_load.level, in", "running_lod.level, in", 1),
        (
            SILENCES,
            "diet_control.state, in: [controlled, uncontrolled]",
            "diet_control.state, in: [controlled, 3]",
            1,
        ),
    ],
    "validation": [
        (
            S0,
            "fact: measure_0.level\n      gt: 4",
            "fact: measure_0.level\n      gt: 4\n      lt: 9",
            1,
        ),
        (S1, "gt: 10", "between: [10, 3]", 1),
        (S1, "  title: 'Synthetic rule 262", "  titel: 'Synthetic rule 262", 1),
        (
            S1,
            "then:\n    conclude: measure_5_advice",
            "then:\n    conclude: measure_5_advice\n    derive: {fact: x}",
            1,
        ),
        (S1, "gt: 14", "gt: '14'", 1),
        (
            S1,
            "  version: 1\n  title: 'Synthetic rule 256",
            "  version: 0\n  title: 'Synthetic rule 256",
            1,
        ),
    ],
    "departures": [
        (RUNNING, "source_says: infrequently", "source_says: rarely", 1),
        (
            RUNNING,
            "{fact: running.minutes_per_session, lt: 20, source_says",
            "{fact: running.minutes_per_session, lt: 21, source_says",
            1,
        ),
    ],
    "departures_synthetic": [
        (
            S0,
            "a level more than 0'\n  status: active",
            "a level more than zero'\n  status: active\n  departures:\n"
            "  - {fact: measure_0.level, gt: 0, source_says: more than zero}\n"
            "  - {fact: measure_0.level, gt: 1, source_says: a level}",
            1,
        ),
        (
            S0,
            "a level more than 2'\n  status: active",
            "a level more than 2'\n  status: active\n  departures:\n"
            "  - {fact: measure_0.level, gt: 2, source_says: nowhere said}",
            1,
        ),
    ],
    "cycle": [
        (
            S0,
            "fact: measure_0.flagged\n      eq: true",
            "not:\n        fact: measure_0_state.state\n        eq: high",
            1,
        )
    ],
    "cycle_inactive": [
        (
            S0,
            "fact: measure_0.flagged\n      eq: true",
            "not:\n        fact: measure_0_state.state\n        eq: high",
            1,
        ),
        (S0, "a level more than 0'\n  status: active", "a level more than 0'\n  status: draft", 1),
    ],
    "certainty": [(CONCLUSIONS, "certainty: possible", "certainty: established", 3)],
    "along_proof": [
        (
            SOURCE,
            "may call for this advice.",
            "may call for this advice. Advice follows a measure above its threshold.",
            1,
        ),
        (
            CONCLUSIONS,
            _CERTAIN_0,
            _CERTAIN_0.replace("certainty: possible", "certainty: established")
            .replace("may call for advice", "calls for advice")
            .replace(
                "A measure above its threshold may call for this advice.",
                "Advice follows a measure above its threshold.",
            ),
            1,
        ),
        (
            CONCLUSIONS,
            _CERTAIN_0.replace("_0", "_1").replace(" 0 ", " 1 "),
            _CERTAIN_0.replace("_0", "_1")
            .replace(" 0 ", " 1 ")
            .replace("certainty: possible", "certainty: likely")
            .replace("may call for advice", "likely calls for advice")
            .replace(
                "A measure above its threshold may call for this advice.",
                "Advice follows a measure above its threshold.",
            ),
            1,
        ),
    ],
    "duplicates": [
        (S0, "id: synthetic_00003", "id: synthetic_00002", 1),
        (S2, "id: synthetic_00510", "id: synthetic_00002", 1),
    ],
    "too_complex": [
        (
            S0,
            "  when:\n    all:\n    - fact: measure_0.level\n      gt: 0\n"
            "    - fact: measure_0.flagged\n      eq: true\n",
            "  when:\n    all:\n" + _TOO_COMPLEX,
            1,
        ),
    ],
    "quote": [(S0, QUOTE, "quote: A measure above its threshold may call for advice.", 2)],
    "quote_sources": [
        (S1, "source: synthetic-benchmark", "source: synthetic-benchmarks", 3),
        (S2, QUOTE, "quote: A measure", 2),
    ],
    # Quotes that resolve, and do not, cited again and again among the rules, in turns
    # (the rules' citations are kept for the check only while they could be reported).
    "quotes_cited_again": [
        (
            SOURCE,
            "may call for this advice.",
            "may call for this advice. A measure above its threshold. A measure above its "
            "threshold. Another passage.",
            1,
        ),
        (S0, QUOTE, "quote: A measure above its threshold.", 3),
        (S1, QUOTE, "quote: Another passage.", 2),
        (S1, QUOTE, "quote: A measure above its threshold.", 2),
        (S2, QUOTE, "quote: Another  passage.", 1),
        (S2, QUOTE, "quote: Not there at all.", 2),
        (S2, "source: synthetic-benchmark", "source: synthetic-benchmarks", 2),
        (RUNNING, "source: cainiu-2025-running-thigh-fat", "source: synthetic-benchmark", 1),
    ],
    "source_unloaded": [
        (SOURCE, "published: 2026-01-01", "published: [2026", 1),
        (S0, QUOTE, "quote: Not there at all.", 2),
        (S1, "source: synthetic-benchmark", "source: synthetic-benchmarks", 2),
    ],
    "versions": [
        (S0, "a level more than 2'", "a level more than 2 '", 1),
        (
            S1,
            "  version: 1\n  title: 'Synthetic rule 251",
            "  version: 2\n  title: 'Synthetic rule 251",
            1,
        ),
    ],
}


def write_named(base: Path, out: Path) -> list[Path]:
    """Each named variant of `base` (and one with all of them that can go together)."""
    roots = []
    for name, edits in NAMED.items():
        roots.append(_variant(base, out / name, edits, strict=True))
    together = [e for name, edits in NAMED.items() if name not in _ALONE for e in edits]
    roots.append(_variant(base, out / "all", together, strict=False))
    return roots


_ALONE = (
    "cycle",
    "cycle_inactive",
    "too_complex",
    "title_numbers_many",
    "title_ranges_shared",
    "quotes_cited_again",
    "source_unloaded",
)


def _variant(base: Path, root: Path, edits: list[Edit], *, strict: bool) -> Path:
    shutil.copytree(base, root)
    for file, old, new, count in edits:
        path = root / file
        text = path.read_text(encoding="utf-8")
        assert old in text or not strict, (root.name, old)
        path.write_text(text.replace(old, new, count), encoding="utf-8")
    return root


# Random edits, each a pattern of a line in a synthetic rules file and what may replace
# the part it matches.
_RANDOM: list[tuple[re.Pattern[str], list[str]]] = [
    (
        re.compile(r"(?<=      gt: )\d+$"),
        ["0", "49", "101", "-3", "2.5", "7.0", "'8'", "1.0e+20", "true"],
    ),
    (re.compile(r"(?<=      ge: )\d+$"), ["1", "48", "100", "-1", "0.5", "[1, 2]"]),
    (re.compile(r"^      gt(?=: )"), ["lt", "le", "ge", "eq", "ne", "contains"]),
    (re.compile(r"^      ge(?=: )"), ["le", "gt", "eq", "in"]),
    (
        re.compile(r"(?<=a level )(more than|at least)(?= \d+'$)"),
        ["under", "at most", "over", "no less than", "exactly"],
    ),
    (
        re.compile(r"(?<=a level more than )\d+(?='$)|(?<=a level at least )\d+(?='$)"),
        ["1", "99", "twelve", "3-5", "between 4 and 40", "7.5"],
    ),
    (
        re.compile(r"(?<=- fact: )measure_\d+(?=\.)"),
        ["measure_1", "measure_999", "measur_2", "measure_3_state"],
    ),
    (re.compile(r"(?<=\.)level$|(?<=\.)flagged$"), ["levl", "flagged", "level", "state"]),
    (re.compile(r"(?<=      eq: )true$"), ["false", "1", "'yes'", "[true]"]),
    (re.compile(r"(?<=      eq: )high$"), ["low", "[high]", "3"]),
    (
        re.compile(r"(?<=conclude: )measure_\d+_advice$"),
        ["measure_0_advice", "measure_0_advise", "measure_999_advice"],
    ),
    (re.compile(r"(?<=        state: )high$"), ["low", "3"]),
    (re.compile(r"(?<=  status: )active$"), ["draft", "retired"]),
    (re.compile(r"(?<=  id: synthetic_)\d+$"), ["00000", "00001", "00999"]),
    (
        re.compile(r"(?<=    quote: ).*$"),
        ["A measure above its threshold.", "may call for this advice.", "Nothing like it."],
    ),
]


def write_random(base: Path, out: Path, seeds: range) -> list[Path]:
    """One variant per seed: two to six random edits of lines of the synthetic rules."""
    files = sorted((base / "rules").glob("synthetic_*.yaml"))
    roots = []
    for seed in seeds:
        chance = random.Random(seed)
        root = out / f"random_{seed:03d}"
        shutil.copytree(base, root)
        for _ in range(chance.randint(2, 6)):
            path = root / "rules" / chance.choice(files).name
            lines = path.read_text(encoding="utf-8").split("\n")
            pattern, replacements = chance.choice(_RANDOM)
            places = [i for i, line in enumerate(lines) if pattern.search(line)]
            if not places:
                continue
            for i in chance.sample(places, min(len(places), chance.choice((1, 1, 2, 5)))):
                lines[i] = pattern.sub(chance.choice(replacements), lines[i], count=1)
            path.write_text("\n".join(lines), encoding="utf-8")
        roots.append(root)
    return roots


def write_variants(out: Path, rules: int = 1000, seeds: range = range(40)) -> list[Path]:
    """The generated KB intact, its named variants, and one random variant per seed."""
    base = write_generated_kb(out / "intact", rules)
    return [base, *write_named(base, out), *write_random(base, out, seeds)]


def checked_text(root: Path) -> str:
    """What the checks report on the KB at `root`: every problem, departure, pending
    change and warning with all its fields, in order, whether it is analysable, and the
    digest of its strata (sha256 of their `repr`, in rule order)."""
    checked = check_content(root)
    lines = [f"analysable {checked.analysable}"]
    content = checked.content
    groups = {
        "problem": checked.problems,
        "departure": checked.departures,
        "pending": checked.pending,
        "warning": content.translation_warnings if content is not None else [],
    }
    for kind, problems in groups.items():
        lines += [f"{kind} {problem!r}" for problem in problems]
    if content is not None:
        strata = repr(list(content.strata.items())).encode()
        lines.append(f"strata {hashlib.sha256(strata).hexdigest()}")
    return "\n".join(lines) + "\n"


def expected_texts(path: Path) -> dict[str, str]:
    """`checked_text` of each variant, by name, as `write_expected` wrote them."""
    texts: dict[str, str] = {}
    for part in path.read_text(encoding="utf-8").split("=== ")[1:]:
        name, _, text = part.partition("\n")
        texts[name] = text
    return texts


def write_expected(out: Path, path: Path) -> None:
    """Write `checked_text` of every variant (made in `out`) to `path`."""
    parts = [f"=== {root.name}\n{checked_text(root)}" for root in write_variants(out)]
    path.write_text("".join(parts), encoding="utf-8")


if __name__ == "__main__":  # python -m tests.support.broken_kbs OUT EXPECTED
    write_expected(Path(sys.argv[1]), Path(sys.argv[2]))
