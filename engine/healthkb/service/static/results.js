// What the service answered, as the page shows it: the conclusions of `/evaluate`,
// a proof or a why-not tree of `/explain`, the proposals of `/what-if`. Data in,
// elements out; every text is set as text.

import { el, shown } from "./dom.js";

function condition(node) {
  return el("code", {}, `${node.fact} ${node.op} ${JSON.stringify(node.value)}`);
}

/** Buttons that show each cited passage in the source (`onPassage(citation)`). */
function withPassageButtons(citations, onPassage) {
  const list = el("ul", { class: "citations" });
  for (const c of citations) {
    const button = el(
      "button",
      { type: "button", class: "passage-link", "aria-label": `Show passage ${c.sentence} in the source` },
      c.sentence,
    );
    button.addEventListener("click", () => onPassage(c));
    list.append(el(
      "li", {}, button, " ", el("q", {}, c.quote),
      c.interpretation ? el("span", { class: "note" }, ` Interpretation: ${c.interpretation}`) : null,
    ));
  }
  return list;
}

function ruleHead(rule, extra) {
  return el(
    "p", { class: "rule-head" },
    "Rule ", el("code", {}, rule.id), ` (version ${rule.version}): ${rule.title}`,
    el("span", { class: "note" }, ` ${rule.file}${extra || ""}`),
  );
}

/** The conclusions reached, each with a button for its proof (`onChoose(id)`). */
export function conclusionList(result, onChoose) {
  if (!result.conclusions.length) {
    return el("p", { class: "none" }, "No conclusion: no rule applies to these answers.");
  }
  const list = el("ul", { class: "conclusion-list" });
  for (const c of result.conclusions) {
    const button = el("button", { type: "button", "aria-label": `Proof of ${c.id}` }, "Proof");
    button.addEventListener("click", () => onChoose(c.id));
    list.append(el(
      "li", { class: `conclusion kind-${c.kind}`, "data-conclusion": c.id },
      el("span", { class: "kind" }, c.kind), " ",
      el("span", { class: "statement" }, c.statement), " ",
      el("span", { class: "certainty" }, `(${c.certainty})`), " ",
      button,
    ));
  }
  return list;
}

function proofRule(rule, onPassage) {
  const conditions = el("ul", { class: "conditions" });
  for (const node of rule.conditions || []) {
    const item = el(
      "li", {}, node.negated ? "not " : "", condition(node),
      `: seen ${shown(node.seen)} (${node.origin})`,
    );
    if (node.support && node.support.rule) {
      item.append(el("div", { class: "support" }, `${node.support.fact} was derived:`, proofRule(node.support.rule, onPassage)));
    }
    conditions.append(item);
  }
  return el("div", { class: "rule", "data-rule": rule.id }, ruleHead(rule), conditions,
    withPassageButtons(rule.citations, onPassage));
}

/** A proof tree (`/explain` of a conclusion reached). */
export function proofView(tree, onPassage) {
  const c = tree.conclusion;
  return el(
    "div", { class: "proof" },
    el("h3", { tabindex: "-1" }, `Proof of ${c.id}`),
    el("p", {}, el("strong", {}, c.kind), " ", c.statement, ` (${c.certainty})`),
    c.evidence ? el("p", { class: "note" }, `Evidence: ${c.evidence.level} (${c.evidence.scale})`) : null,
    el("p", {}, "Cited for the conclusion:"),
    withPassageButtons(c.citations, onPassage),
    proofRule(tree.rule, onPassage),
  );
}

function failure(node, onPassage) {
  if (!node) return null;
  if (node.all || node.any) {
    return el("div", { class: "failure" }, el("p", {}, node.reason),
      el("ul", {}, (node.all || node.any).map((child) => el("li", {}, failure(child, onPassage)))));
  }
  if (node.see) return el("p", { class: "failure" }, "Rule ", el("code", {}, node.see), `: ${node.reason}`);
  if (node.not) return el("p", { class: "failure" }, el("code", {}, `not (${node.not})`), `: ${node.reason}`);
  if (!node.fact) return el("p", { class: "failure" }, node.reason);
  const line = el("p", { class: "failure" }, condition(node), `: seen ${shown(node.seen)}; ${node.reason}`);
  if (!node.because || !node.because.length) return line;
  return el("div", {}, line, el("ul", { class: "because" },
    node.because.map((rule) => el("li", {}, whyNotRule(rule, onPassage)))));
}

function whyNotRule(rule, onPassage) {
  return el("div", { class: "rule", "data-rule": rule.id }, ruleHead(rule, rule.status !== "active" ? ` (${rule.status})` : ""),
    failure(rule.failed, onPassage), withPassageButtons(rule.citations, onPassage));
}

/** A why-not tree (`/explain` of a conclusion not reached). */
export function whyNotView(tree, statement, onPassage) {
  const rules = tree.rules || [];
  return el(
    "div", { class: "why-not" },
    el("h3", { tabindex: "-1" }, `Why not ${tree.conclusion}`),
    statement ? el("p", {}, statement) : null,
    el("p", {}, rules.length
      ? "Not reached. Each rule that could reach it, and what stops it:"
      : "Not reached, and no rule concludes it."),
    rules.map((rule) => whyNotRule(rule, onPassage)),
  );
}

/** The proposals of `/what-if`, each with a button applying its changes (`onApply`). */
export function whatIfView(answer, onApply) {
  const aim = answer.avoid ? "stop" : "reach";
  if (!answer.proposals.length) {
    return el("p", { class: "none" }, `No change of the answers a person can change would ${aim} ${answer.conclusion}.`);
  }
  const list = el("ol", { class: "proposals" });
  answer.proposals.forEach((proposal, index) => {
    const changes = proposal.changes.map((c) =>
      el("li", {}, el("code", {}, c.attribute), `: ${shown(c.from)} → ${shown(c.to)}`));
    const apply = el("button", { type: "button" }, `Apply proposal ${index + 1}`);
    apply.addEventListener("click", () => onApply(proposal));
    list.append(el(
      "li", { class: "proposal", "data-changes": JSON.stringify(proposal.changes) },
      el("p", {}, `Cost ${proposal.cost}; then reached: ${proposal.reaches.join(", ") || "nothing"}`
        + (proposal.loses.length ? `; lost: ${proposal.loses.join(", ")}` : "")),
      el("ul", {}, changes),
      apply,
    ));
  });
  return el("div", {}, el("p", {}, `The smallest changes that would ${aim} ${answer.conclusion}, cheapest first:`), list);
}

/** Every citation anywhere in a tree (proof or why-not), in the order met. */
export function citationsIn(tree) {
  const found = [];
  const walk = (node) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === "object") {
      if (typeof node.source === "string" && Number.isInteger(node.start) && typeof node.quote === "string") {
        found.push(node);
      }
      Object.values(node).forEach(walk);
    }
  };
  walk(tree);
  return found;
}
