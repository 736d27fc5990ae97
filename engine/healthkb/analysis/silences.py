"""`silence-contradicted`: a declared silence that a rule now reaches.

A silence says the sources are silent about some outcomes for some profiles. When a
rule (a new source's, say) concludes one of those outcomes for a profile inside the
silence, the declaration no longer holds: the silence, or the rule, must change. Each
such pair is a finding with a witness profile.
"""

from __future__ import annotations

from .encoding import Encoding
from .findings import Finding
from .prove import Prover, Witness


def contradicted_silences(
    encoding: Encoding, prover: Prover, witnesses: dict[str, Witness | None]
) -> list[Finding]:
    """Every (silence, rule) where the rule concludes one of the silence's outcomes
    for a profile the silence covers."""
    content = encoding.content
    findings = []
    for silence_id, silence in sorted(content.silences.items()):
        for conclusion in sorted(set(silence.about)):
            for rule in sorted(encoding.concluding.get(conclusion, [])):
                if witnesses.get(rule) is None:
                    continue
                found = prover.witness(encoding.silence(silence_id), encoding.fires(rule))
                if found is None:
                    continue
                findings.append(
                    Finding(
                        "silence-contradicted",
                        f"silence `{silence_id}` says the sources are silent about "
                        f"`{conclusion}` here, but rule `{rule}` concludes it for such a "
                        "profile",
                        "if the rule's source now speaks for these profiles, narrow or "
                        "remove the silence; if not, narrow the rule",
                        (
                            content.places[("silence", silence_id)],
                            content.places[("rule", rule)],
                        ),
                        rules=(rule,),
                        conclusions=(conclusion,),
                        witness=found.profile,
                    )
                )
    return findings
