import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The account page's heading and its two sections' headings are what a screen reader's list of
// headings offers: the same words twice there ("Mes dons", "Mes dons") leave a reader guessing.
const messagesDir = join(import.meta.dirname, '../../web/messages');
const locales = readdirSync(messagesDir).filter((f) => f.endsWith('.json'));

describe('the account page’s headings', () => {
  it.each(locales)('differ from one another in %s', (file) => {
    const m = JSON.parse(readFileSync(join(messagesDir, file), 'utf8')) as Record<string, string>;
    const headings = [m.account_title, m.monthly_title, m.gifts_title];
    expect(headings.every((h) => typeof h === 'string' && h.trim() !== '')).toBe(true);
    expect(new Set(headings.map((h) => h!.trim().toLowerCase())).size).toBe(3);
  });
});
