// The playground: the questionnaire as a form, the conclusions updated as the person
// types (debounced calls to /evaluate), a chosen conclusion's proof or why-not with its
// passages highlighted in the source, and what would change it (/what-if).
//
// With authentication on, every call needs a CDS Hooks client JWT, and each token is
// accepted once (its `jti`): a refused call's problem shows beside the token field, and
// "Send with this token" sends that call again with the token pasted there.

import { ProblemAnswer, serviceClient } from "./api.js";
import { articleView, focusPassage } from "./article.js";
import { el, fill, withCode } from "./dom.js";
import { buildForm } from "./form.js";
import { citationsIn, conclusionList, proofView, whatIfView, whyNotView } from "./results.js";

const DEBOUNCE_MS = 300;
const QUESTIONNAIRE = "/fhir/Questionnaire";
const $ = (id) => document.getElementById(id);

const state = {
  questionnaire: null,
  kb: null,
  form: null,
  profile: null,
  result: null,
  chosen: null,
  evaluation: 0,
  explanation: 0,
  timer: null,
  scheduled: null,
  served: null,
  retry: null,
  sources: new Map(),
};

const client = serviceClient($("token"), () => $("language").value);

function problemView(problem, extra = []) {
  const items = [...(problem.problems || []), ...extra];
  return el(
    "div", { class: "problem-document", "data-type": problem.type || "" },
    el("p", {}, el("strong", {}, problem.title || "Error"), ": ", withCode(problem.detail || ""),
      problem.instance ? el("span", { class: "note" }, ` (${problem.instance})`) : null),
    items.length ? el("ul", {}, items.map((p) =>
      el("li", {}, `${p.code}: `, withCode(p.message), p.hint ? [" (", withCode(p.hint), ")"] : ""))) : null,
  );
}

/**
 * `action()`'s answer, or undefined after showing its problem: a 401 beside the token
 * field (and `retry` kept for "Send with this token"), any other in `place`.
 */
async function attempt(action, place, retry) {
  try {
    const answer = await action();
    fill($("token-problem"));
    $("retry").hidden = true;
    state.retry = null;
    return answer;
  } catch (error) {
    if (!(error instanceof ProblemAnswer)) throw error;
    if (error.status === 401) {
      fill($("token-problem"), problemView(error.problem));
      state.retry = retry;
      $("retry").hidden = false;
    } else if (place) {
      fill(place, problemView(error.problem));
    }
    return undefined;
  }
}

async function load() {
  const status = $("form-status");
  const waiting = () => state.retry && fill(status, "The service asks for a token: see the Token field above.");
  if (!state.questionnaire) {
    // Asked first with the browser's own Accept-Language: the language the service
    // chose from it (Content-Language) is the switch's first choice.
    const answer = await attempt(() => client.served(QUESTIONNAIRE), status, load);
    if (!answer) return waiting();
    [state.questionnaire, state.served] = answer;
  }
  state.kb ??= await attempt(() => client.get("/kb"), status, load);
  if (!state.kb) return waiting();
  showKB(state.kb);
  const kept = state.form ? state.form.answers() : new Map();
  state.form = buildForm($("answers"), state.questionnaire, scheduleEvaluation, $("language").value);
  for (const [linkId, value] of kept) state.form.setAnswer(linkId, value);
  fill(status, "Answer any question: the conclusions follow as you type.");
  evaluateNow();
}

function showKB(kb) {
  $("title").textContent = `${kb.title}: playground`;
  document.title = `${kb.title}: playground`;
  $("kb-stamp").textContent = `${kb.kb.id} ${kb.kb.version} (${kb.kb.digest.slice(0, 19)}…)`;
  const choice = $("conclusion-choice");
  const previous = choice.value;
  fill(choice, el("option", { value: "" }, "(choose a conclusion)"),
    kb.conclusions.map((c) => el("option", { value: c.id, title: c.statement }, `${c.id} (${c.kind})`)));
  choice.value = previous;
  // The language switch, shown when /kb offers several languages (`languages`:
  // `{default, available}`); the one chosen goes with every call as Accept-Language.
  const offered = kb.languages || {};
  const languages = Array.isArray(offered) ? offered : offered.available || [];
  const select = $("language");
  if (languages.length > 1 && !select.options.length) {
    fill(select, languages.map((tag) => el("option", { value: tag, lang: tag }, languageName(tag))));
    select.value = languages.includes(state.served) ? state.served : offered.default || languages[0];
    document.documentElement.lang = select.value;
    $("language-setting").hidden = false;
  }
}

function languageName(tag) {
  try {
    return `${new Intl.DisplayNames([tag], { type: "language" }).of(tag)} (${tag})`;
  } catch {
    return tag;
  }
}

function scheduleEvaluation() {
  // A text box's `change` (on leaving it) follows the `input` events already counted.
  const key = JSON.stringify(state.form.profile());
  if (key === state.scheduled) return;
  state.scheduled = key;
  clearTimeout(state.timer);
  $("conclusions").dataset.state = "waiting";
  state.timer = setTimeout(evaluateNow, DEBOUNCE_MS);
}

async function evaluateNow() {
  if (!state.form) return;
  const ticket = ++state.evaluation;
  const profile = state.form.profile();
  const key = JSON.stringify(profile);
  state.scheduled = key;
  const area = $("conclusions");
  area.setAttribute("aria-busy", "true");
  $("profile-sent").textContent = JSON.stringify(profile, null, 2);
  // Answers edited since this call was sent: a newer evaluation is on its way (or
  // scheduled), and this answer would show conclusions for answers no longer there.
  const outdated = () => ticket !== state.evaluation || state.scheduled !== key;
  let result;
  try {
    result = await client.post("/evaluate", profile);
  } catch (error) {
    if (outdated()) return;
    area.removeAttribute("aria-busy");
    refused(error, profile);
    return;
  }
  if (outdated()) return;
  if (state.kb && result.kb_digest !== state.kb.kb.digest) {
    // The service reloaded its KB (`serve --watch`): its questions may have changed too.
    state.questionnaire = null;
    state.kb = null;
    state.sources.clear();
    load();
    return;
  }
  area.removeAttribute("aria-busy");
  fill($("token-problem"));
  $("retry").hidden = true;
  state.form.showProblems([]);
  fill($("form-problems"));
  state.profile = profile;
  state.result = result;
  fill(area, conclusionList(result, choose));
  area.dataset.profile = JSON.stringify(profile);
  area.dataset.state = "answered";
  $("disclaimer").textContent = result.disclaimer || "";
  answersChanged();
}

function refused(error, profile) {
  if (!(error instanceof ProblemAnswer)) throw error;
  const area = $("conclusions");
  state.result = null;
  area.dataset.profile = JSON.stringify(profile);
  area.dataset.state = "refused";
  if (error.status === 401) {
    fill($("token-problem"), problemView(error.problem));
    state.retry = evaluateNow;
    $("retry").hidden = false;
    fill(area, el("p", { class: "none" }, "No answer yet: the service needs a token."));
    return;
  }
  if (state.chosen) {
    fill($("detail"), el("p", { class: "note" },
      "No proof while the service refuses the answers: put them right, and it comes back."));
    $("what-if-area").hidden = true;
  }
  const elsewhere = state.form.showProblems(error.problem.problems || []);
  const named = (error.problem.problems || []).length - elsewhere.length;
  fill($("form-problems"), named && !elsewhere.length ? null
    : problemView({ ...error.problem, problems: elsewhere }));
  fill(area, el("p", { class: "none" },
    "No answer: the service refused these answers (its problems are shown beside the questions)."));
}

function answersChanged() {
  fill($("what-if-answer"));
  if (!state.chosen) return;
  if ($("token").value.trim()) {
    $("detail").prepend(el("p", { class: "note" }, "The answers changed: press Explain again."));
  } else {
    explainChosen();
  }
}

function choose(id) {
  $("conclusion-choice").value = id;
  explainChosen({ focus: true });
}

async function explainChosen(options = {}) {
  const id = $("conclusion-choice").value;
  if (!id || !state.result) return;
  state.chosen = id;
  const ticket = ++state.explanation;
  const reached = state.result.conclusions.some((c) => c.id === id);
  const profile = state.profile;
  const tree = await attempt(
    () => client.post("/explain", { profile, conclusion: id, why_not: !reached }),
    $("detail"), () => explainChosen(options),
  );
  if (!tree || profile !== state.profile || ticket !== state.explanation) return;
  const statement = (state.kb.conclusions.find((c) => c.id === id) || {}).statement;
  fill($("detail"), reached ? proofView(tree, showPassage) : whyNotView(tree, statement, showPassage));
  const button = $("what-if");
  button.textContent = reached ? `What would stop ${id}?` : `What would it take to reach ${id}?`;
  button.dataset.avoid = reached ? "true" : "false";
  $("what-if-area").hidden = false;
  fill($("what-if-answer"));
  if (options.focus) $("detail").querySelector("h3").focus();
  await showArticle(citationsIn(tree));
}

async function showArticle(citations) {
  const ids = [...new Set(citations.map((c) => c.source))];
  for (const id of ids) {
    if (state.sources.has(id)) continue;
    const source = await attempt(
      () => client.get(`/sources/${encodeURIComponent(id)}`), $("article"), () => showArticle(citations),
    );
    if (!source) return;
    state.sources.set(id, source);
  }
  fill($("article"), ids.length
    ? ids.map((id) => articleView(state.sources.get(id), citations))
    : el("p", { class: "note" }, "This tree cites no passage."));
}

function showPassage(citation) {
  if (!focusPassage($("article"), citation)) {
    showArticle([citation]).then(() => focusPassage($("article"), citation));
  }
}

async function whatIf() {
  const conclusion = state.chosen;
  if (!conclusion || !state.profile) return;
  const avoid = $("what-if").dataset.avoid === "true";
  const profile = state.profile;
  fill($("what-if-answer"), el("p", { class: "note" }, "Looking for the smallest changes…"));
  const answer = await attempt(
    () => client.post("/what-if", { profile, conclusion, avoid, alternatives: 3 }),
    $("what-if-answer"), whatIf,
  );
  if (!answer || profile !== state.profile) return;
  fill($("what-if-answer"), whatIfView(answer, applyProposal));
}

function applyProposal(proposal) {
  for (const change of proposal.changes) state.form.setAnswer(change.attribute, change.to);
  scheduleEvaluation();
  const first = proposal.changes[0];
  if (first) document.querySelector(`[name="${first.attribute}"]`)?.focus();
}

function languageChanged() {
  document.documentElement.lang = $("language").value;
  state.questionnaire = null;
  state.kb = null;
  state.sources.clear();
  load();
}

document.addEventListener("DOMContentLoaded", () => {
  $("explain").addEventListener("click", () => explainChosen({ focus: true }));
  $("token").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && state.retry) state.retry();
  });
  $("what-if").addEventListener("click", whatIf);
  $("retry").addEventListener("click", () => state.retry && state.retry());
  $("language").addEventListener("change", languageChanged);
  $("answers").addEventListener("submit", (event) => { event.preventDefault(); evaluateNow(); });
  load();
});
