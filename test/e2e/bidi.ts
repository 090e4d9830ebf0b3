import type { Locator } from 'playwright-core';

/**
 * The Latin code-like tokens in an element's text ("pi_", "https://…", an id) that a reader sees in
 * another order than they are written: a token with a neutral end (the underscore of "pi_"), or one
 * that starts with a digit, is laid out right to left by its Arabic neighbours unless it is isolated.
 * Each comes back as `written → seen`. A token is a run of printable ASCII (or "…") with a Latin
 * letter; the brackets around it and the sentence's punctuation after it belong to the sentence.
 */
export async function misreadTokens(element: Locator): Promise<string[]> {
  return element.evaluate((root) => {
    // One line: a token the line breaks at a hyphen or a slash would read as two pieces.
    (root as HTMLElement).style.whiteSpace = 'nowrap';
    const found: string[] = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent ?? '';
      for (const match of text.matchAll(/[\x21-\x7e\u2026]+/g)) {
        let start = match.index;
        let end = start + match[0].length;
        while (start < end && '([{'.includes(text[start]!)) start++;
        while (end > start && ')]}.,:;!?'.includes(text[end - 1]!)) end--;
        const token = text.slice(start, end);
        if (!/[A-Za-z]/.test(token)) continue;
        const centres = [...token].map((_, i) => {
          const range = document.createRange();
          range.setStart(node, start + i);
          range.setEnd(node, start + i + 1);
          const box = range.getBoundingClientRect();
          return box.left + box.width / 2;
        });
        const seen = [...token].map((c, i) => ({ c, x: centres[i]! })).sort((a, b) => a.x - b.x).map((p) => p.c).join('');
        if (seen !== token) found.push(`${token} → ${seen}`);
      }
    }
    return found;
  });
}
