// A source's text (`GET /sources/{id}`) with the passages a tree cites highlighted.
//
// Citations give `start` and `end` in Unicode code points (Python's offsets), so the
// text is sliced as `Array.from(text)`, never as JavaScript's UTF-16 string.

import { el } from "./dom.js";

/** Overlapping or touching spans merged, sorted by start. */
function merged(spans) {
  const sorted = [...spans].sort((a, b) => a.start - b.start || a.end - b.end);
  const out = [];
  for (const span of sorted) {
    const last = out[out.length - 1];
    if (last && span.start <= last.end) last.end = Math.max(last.end, span.end);
    else out.push({ start: span.start, end: span.end });
  }
  return out;
}

function paragraphView(source, chars, paragraph, marks) {
  const node = el("p", { id: `${source.id}-${paragraph.anchor}`, "data-anchor": paragraph.anchor });
  node.append(el("span", { class: "anchor", "aria-hidden": "true" }, paragraph.anchor));
  let at = paragraph.start;
  for (const mark of marks) {
    const start = Math.max(mark.start, paragraph.start);
    const end = Math.min(mark.end, paragraph.end);
    if (end <= start) continue;
    if (start > at) node.append(chars.slice(at, start).join(""));
    node.append(el(
      "mark",
      { tabindex: "-1", "data-source": source.id, "data-start": start, "data-end": end },
      chars.slice(start, end).join(""),
    ));
    at = end;
  }
  if (at < paragraph.end) node.append(chars.slice(at, paragraph.end).join(""));
  return node;
}

/** The source as an article, with `citations` (of this source) marked. */
export function articleView(source, citations) {
  const chars = Array.from(source.text);
  const marks = merged(citations.filter((c) => c.source === source.id));
  return el(
    "article", { class: "source", lang: source.language, "data-source": source.id },
    el("h3", {}, source.title),
    source.paragraphs.map((p) => paragraphView(source, chars, p, marks)),
  );
}

/** Move focus to the mark holding `citation`'s start (in `container`), and show it. */
export function focusPassage(container, citation) {
  const marks = container.querySelectorAll("mark[data-source]");
  for (const mark of marks) {
    const start = Number(mark.dataset.start);
    const end = Number(mark.dataset.end);
    if (mark.dataset.source === citation.source && start <= citation.start && citation.start < end) {
      mark.focus();
      mark.scrollIntoView({ block: "center" });
      return true;
    }
  }
  return false;
}
