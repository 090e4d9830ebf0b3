/**
 * The `data-id`s of the disclosures (`<details>`) matching `selector` that are open in the page as
 * the server drew it. A reader on a slow phone can open one before the page's script has run; read
 * as the script starts, before hydration draws the page's own state over the markup, they can be
 * kept open. None on the server, nor when the page is reached by a link within the app (the
 * document is then the page before, which has none of them).
 */
export function openedBeforeScript(selector: string): string[] {
  if (typeof document === 'undefined') return [];
  return [...document.querySelectorAll<HTMLDetailsElement>(selector)].flatMap((d) => (d.open && d.dataset.id ? [d.dataset.id] : []));
}
