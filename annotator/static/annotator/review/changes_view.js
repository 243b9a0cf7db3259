// Draws a change list (compare.js) as a <ul>: added things in <ins>, removed ones in <del>,
// edited texts as a word diff (jsdiff). Every piece of data goes in as
// textContent; <ins> and <del> are created with DOM calls.
import { el } from "../workspace/kit.js";

const SIGN = { added: "+", removed: "−", changed: "~" };

export function renderChanges(container, changes, { jsdiff = null, none = "No differences." } = {}) {
  if (!changes.length) {
    container.replaceChildren(el("p", { className: "muted small rv-diff__none", text: none }));
    return;
  }
  const items = changes.map((change) =>
    el(
      "li",
      { className: `rv-change rv-change--${change.op}`, dataset: { op: change.op } },
      el("span", { className: "rv-change__sign", text: SIGN[change.op], attrs: { "aria-hidden": "true" } }),
      el("span", { className: "rv-change__what", text: `${change.what} ${change.op === "changed" ? "" : change.op}`.trim() }),
      textOf(change),
      change.detail ? el("span", { className: "rv-change__detail", text: change.detail }) : null,
      change.before !== undefined ? wordDiff(change.before, change.after, jsdiff) : null,
    ),
  );
  container.replaceChildren(el("ul", { className: "rv-changes" }, ...items));
}

function textOf(change) {
  if (change.text === undefined) return null;
  const shown = change.text === "" ? "(empty)" : change.text;
  const tag = change.op === "added" ? "ins" : change.op === "removed" ? "del" : "span";
  return el(tag, { className: "rv-change__text", text: shown });
}

// Insertions and deletions of whole words, so a transcript reads naturally. diffWords keeps a
// run of changed words together ("shorter is better" → "warmer and complete" is one deletion and
// one insertion, not three of each); when white space is all that changed, it sees nothing, and
// diffWordsWithSpace shows the spaces.
export function wordDiff(before, after, jsdiff) {
  const box = el("div", { className: "rv-words" });
  if (!jsdiff) {
    // The library did not load: old and new side by side still tell the story.
    box.append(el("del", { text: before }), " ", el("ins", { text: after }));
    return box;
  }
  let parts = jsdiff.diffWords(before, after);
  if (!parts.some((part) => part.added || part.removed)) parts = jsdiff.diffWordsWithSpace(before, after);
  for (const part of parts) {
    if (part.added) box.append(el("ins", { text: part.value }));
    else if (part.removed) box.append(el("del", { text: part.value }));
    else box.append(document.createTextNode(part.value));
  }
  return box;
}
