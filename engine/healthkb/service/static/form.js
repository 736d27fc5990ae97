// The KB's FHIR Questionnaire as a form, and the form's answers as a profile.
//
// One fieldset per group (a fact), one labelled control per question (an attribute,
// `linkId` its dotted path): a text box for numbers (what the person typed is sent as
// typed, so the service's own problem document says what is wrong with it), a select
// for yes/no and for one choice, checkboxes for a choice that repeats. A question whose
// `enableWhen` does not hold is hidden and left out of the profile.

import { el, fill, withCode } from "./dom.js";

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const MIN = "http://hl7.org/fhir/StructureDefinition/minValue";
const MAX = "http://hl7.org/fhir/StructureDefinition/maxValue";
const UNIT = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit";

const TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation";

/**
 * `owner[field]` in `language` when FHIR's translation extension gives it
 * (`_text.extension`: `lang` and `content`), else as written.
 */
function translated(owner, field, language) {
  const written = owner[field];
  if (!language) return written;
  const wanted = language.toLowerCase();
  for (const extension of (owner[`_${field}`] || {}).extension || []) {
    if (extension.url !== TRANSLATION) continue;
    const parts = {};
    for (const part of extension.extension || []) {
      parts[part.url] = part.valueCode ?? part.valueString ?? part.valueMarkdown;
    }
    const lang = String(parts.lang || "").toLowerCase();
    if (parts.content && (lang === wanted || wanted.startsWith(`${lang}-`))) return parts.content;
  }
  return written;
}

function fieldId(linkId) {
  return "q-" + linkId.replace(/[^A-Za-z0-9_-]/g, "-");
}

function extension(item, url) {
  return (item.extension || []).find((e) => e.url === url);
}

function extensionValue(found) {
  if (!found) return undefined;
  const key = Object.keys(found).find((k) => k.startsWith("value"));
  return key ? found[key] : undefined;
}

function rangeText(item) {
  const low = extensionValue(extension(item, MIN));
  const high = extensionValue(extension(item, MAX));
  const unit = extensionValue(extension(item, UNIT));
  const parts = [];
  if (low !== undefined && high !== undefined) parts.push(`${low} to ${high}`);
  else if (low !== undefined) parts.push(`at least ${low}`);
  else if (high !== undefined) parts.push(`at most ${high}`);
  if (unit && unit.display) parts.push(unit.display);
  if (item.type === "integer") parts.push("(a whole number)");
  return parts.join(" ");
}

/** One question: its control(s), how to read and set its answer, where its problems go. */
function question(item, onChange, language) {
  const id = fieldId(item.linkId);
  const text = translated(item, "text", language);
  const problemId = `${id}-problem`;
  const problem = el("div", { id: problemId, class: "problem", "aria-live": "polite" });
  const codes = (item.answerOption || []).map((o) => o.valueCoding || {});
  let read;
  let write;
  let focusable;
  let body;
  if (item.type === "choice" && item.repeats) {
    const boxes = codes.map((coding, index) =>
      el("input", { type: "checkbox", id: `${id}-${index}`, value: coding.code, name: item.linkId }),
    );
    body = el(
      "fieldset",
      { class: "question", "aria-describedby": problemId },
      el("legend", {}, text),
      boxes.map((box, index) =>
        el("span", { class: "option" }, box, el("label", { for: box.id }, translated(codes[index], "display", language) || codes[index].code)),
      ),
      problem,
    );
    read = () => {
      const checked = boxes.filter((b) => b.checked).map((b) => b.value);
      return checked.length ? checked : undefined;
    };
    write = (value) => boxes.forEach((b) => { b.checked = Array.isArray(value) && value.includes(b.value); });
    focusable = boxes;
  } else {
    let control;
    const describedBy = [problemId];
    let hint = null;
    if (item.type === "integer" || item.type === "decimal") {
      const mode = item.type === "integer" ? "numeric" : "decimal";
      control = el("input", { type: "text", inputmode: mode, id, name: item.linkId, autocomplete: "off" });
      const range = rangeText(item);
      if (range) {
        hint = el("span", { id: `${id}-range`, class: "note" }, range);
        describedBy.push(hint.id);
      }
      read = () => {
        const raw = control.value.trim();
        if (!raw) return undefined;
        return NUMBER.test(raw) ? Number(raw) : raw;
      };
      write = (value) => { control.value = value === null || value === undefined ? "" : String(value); };
    } else {
      const options = item.type === "boolean"
        ? [["true", "yes"], ["false", "no"]]
        : codes.map((c) => [c.code, translated(c, "display", language) || c.code]);
      control = el(
        "select", { id, name: item.linkId },
        el("option", { value: "" }, "(no answer)"),
        options.map(([value, text]) => el("option", { value }, text)),
      );
      read = () => {
        if (!control.value) return undefined;
        if (item.type === "boolean") return control.value === "true";
        return control.value;
      };
      write = (value) => { control.value = value === null || value === undefined ? "" : String(value); };
    }
    control.setAttribute("aria-describedby", describedBy.join(" "));
    body = el("div", { class: "question" }, el("label", { for: id }, text), control, hint, problem);
    focusable = [control];
  }
  body.addEventListener("input", onChange);
  body.addEventListener("change", onChange);
  return { item, body, read, write, problem, focusable };
}

function compare(answer, condition) {
  const key = Object.keys(condition).find((k) => k.startsWith("answer"));
  let expected = condition[key];
  if (expected && typeof expected === "object") expected = expected.code;
  if (condition.operator === "exists") return (answer !== undefined) === expected;
  if (answer === undefined) return false;
  const values = Array.isArray(answer) ? answer : [answer];
  const test = {
    "=": (v) => v === expected,
    "!=": (v) => v !== expected,
    ">": (v) => v > expected,
    "<": (v) => v < expected,
    ">=": (v) => v >= expected,
    "<=": (v) => v <= expected,
  }[condition.operator];
  return test ? values.some(test) : true;
}

/**
 * Build the form for `questionnaire` inside `form`, its texts in `language` where the
 * Questionnaire translates them; `onChange()` is called on every edit. Returns what the
 * page needs of it.
 */
export function buildForm(form, questionnaire, onChange, language) {
  const questions = new Map();
  const wrappers = [];
  const changed = () => { applyEnableWhen(); onChange(); };
  for (const group of questionnaire.item || []) {
    const children = group.type === "group" ? group.item || [] : [group];
    const built = children.map((item) => question(item, changed, language));
    built.forEach((q) => questions.set(q.item.linkId, q));
    const groupBody = group.type === "group"
      ? el("fieldset", { class: "group" },
        el("legend", {}, translated(group, "text", language) || group.linkId), built.map((q) => q.body))
      : built[0].body;
    wrappers.push(groupBody);
  }
  fill(form, wrappers);

  function answers() {
    const found = new Map();
    for (const [linkId, q] of questions) {
      if (q.body.hidden) continue;
      const value = q.read();
      if (value !== undefined) found.set(linkId, value);
    }
    return found;
  }

  function applyEnableWhen() {
    const current = new Map([...questions].map(([id, q]) => [id, q.read()]));
    for (const q of questions.values()) {
      const conditions = q.item.enableWhen || [];
      if (!conditions.length) continue;
      const results = conditions.map((c) => compare(current.get(c.question), c));
      const enabled = q.item.enableBehavior === "any" ? results.some(Boolean) : results.every(Boolean);
      q.body.hidden = !enabled;
    }
  }
  applyEnableWhen();

  return {
    /** Every answered, enabled question's answer by `linkId`. */
    answers,
    /** The profile: `{fact: {attribute: value}}` of every answered, enabled question. */
    profile() {
      const profile = {};
      for (const [linkId, value] of answers()) {
        const dot = linkId.indexOf(".");
        const fact = linkId.slice(0, dot);
        (profile[fact] ||= {})[linkId.slice(dot + 1)] = value;
      }
      return profile;
    },
    /** Set one answer (a what-if proposal applied); null clears it. */
    setAnswer(linkId, value) {
      const q = questions.get(linkId);
      if (!q) return false;
      q.write(value);
      applyEnableWhen();
      return true;
    },
    /** Show each located problem beside the question it names; return the others. */
    showProblems(problems) {
      const elsewhere = [];
      for (const q of questions.values()) {
        fill(q.problem);
        q.focusable.forEach((c) => c.removeAttribute("aria-invalid"));
      }
      for (const problem of problems) {
        const named = /^`([^`]+)`/.exec(problem.message || "");
        const q = named && questions.get(named[1]);
        if (!q || q.body.hidden) {
          elsewhere.push(problem);
          continue;
        }
        q.problem.append(el("p", {}, withCode(problem.message),
          problem.hint ? el("span", { class: "hint" }, " (", withCode(problem.hint), ")") : null));
        q.focusable.forEach((c) => c.setAttribute("aria-invalid", "true"));
      }
      return elsewhere;
    },
  };
}
