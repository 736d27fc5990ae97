// Building elements without innerHTML: every text the service sends is set as text,
// never parsed as markup.

/** `el("p", {class: "note"}, "text", child)`: an element with attributes and children. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** Replace everything inside `node` with `children`. */
export function fill(node, ...children) {
  node.replaceChildren();
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** A value as a person reads it: `true` as yes, a list joined, null as "no answer". */
export function shown(value) {
  if (value === null || value === undefined) return "no answer";
  if (value === true) return "yes";
  if (value === false) return "no";
  if (Array.isArray(value)) return value.length ? value.map(shown).join(", ") : "none";
  return String(value);
}

/** Text whose `backticked` names (as the service's messages write them) become code. */
export function withCode(text) {
  return String(text).split("`").map((part, index) => (index % 2 ? el("code", {}, part) : part));
}
