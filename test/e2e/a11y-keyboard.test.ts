import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { focusStop, giftReaches, pastTheEdges, signInContext, startGift, tabTo, unseenStops } from './a11y-audit';
import { useE2E } from './harness';

// What axe cannot see (a11y.test.ts runs axe): a donor who gives with the keyboard alone sees where
// the focus is at every step, errors are said on the fields they are about, and text enlarged to
// 200% on a phone hides nothing.
const e2e = useE2E();

/** The focused element's attribute, or null. */
const focused = (page: Page, attribute: string) => page.evaluate((a) => document.activeElement?.getAttribute(a) ?? null, attribute);

/**
 * What a screen reader says of a field's error when it reaches the field: aria-invalid, and the
 * error texts (an alert, or an element of class error) that aria-describedby points to.
 */
const fieldError = (page: Page, selector: string) =>
  page.locator(selector).evaluate((el) => ({
    invalid: el.getAttribute('aria-invalid'),
    errors: (el.getAttribute('aria-describedby') ?? '')
      .split(/\s+/)
      .map((id) => document.getElementById(id))
      .filter((d): d is HTMLElement => Boolean(d && (d.closest('[role="alert"]') || /error/.test(d.className))))
      .map((d) => d.textContent!.trim()),
  }));

describe('with the keyboard alone', () => {
  it('a donor on a phone goes from the home page to the thank-you page, seeing the focus at every step', async () => {
    const context = await e2e.context({ viewport: { width: 360, height: 740 } });
    const page = await context.newPage();
    const unseen: string[] = [];
    await page.goto(e2e.url);
    // The first stop is the skip link, shown on the screen once focused.
    unseen.push(...unseenStops(await tabTo(page, 'a.skip', { maxPresses: 1 }), 'home'));
    unseen.push(...unseenStops(await tabTo(page, 'a[href="/appeals/buck-a-brick"]'), 'home'));
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/appeals\/buck-a-brick$/);

    // On a phone the form is below the story: "Give now" jumps to it, and Tab goes on from there.
    unseen.push(...unseenStops(await tabTo(page, 'a[href="#give"]'), 'appeal'));
    await page.keyboard.press('Enter');
    unseen.push(...unseenStops(await tabTo(page, 'input[name="units"]', { maxPresses: 1 }), 'appeal, after Give now'));
    await page.keyboard.press('ArrowRight');
    expect(await page.locator('input[name="units"]:checked').getAttribute('value')).toBe('50');
    unseen.push(...unseenStops(await tabTo(page, 'input[name="email"]'), 'appeal form'));
    // A mistyped address: the focus goes back to the field, which says what is wrong.
    await page.keyboard.type('ana@example');
    await page.keyboard.press('Enter');
    await page.locator('#give-error').waitFor();
    await expect.poll(() => focused(page, 'name')).toBe('email');
    expect(await fieldError(page, 'input[name="email"]')).toEqual({ invalid: 'true', errors: ['Please give an email address for your receipt, such as name@example.org.'] });
    expect(await page.locator('input[name="email"]').evaluate((el) => getComputedStyle(el).borderTopWidth)).toBe('2px');
    unseen.push(...unseenStops([await focusStop(page)], 'appeal form, email refused'));
    await page.keyboard.type('.org');
    unseen.push(...unseenStops(await tabTo(page, '#give button[type="submit"]'), 'appeal form'));
    await page.keyboard.press('Enter');

    // The emulator's checkout, standing in for Stripe's: a refused card takes the focus to the list
    // of errors, whose links lead to the fields.
    await page.waitForURL(/\/checkout\/cs_/);
    unseen.push(...unseenStops(await tabTo(page, '#card_number', { maxPresses: 3 }), 'checkout'));
    await page.keyboard.type('4242 4242 4242 4241');
    await tabTo(page, 'button[type="submit"]');
    await page.keyboard.press('Enter');
    await page.locator('#errors').waitFor();
    await expect.poll(() => focused(page, 'id')).toBe('errors');
    unseen.push(...unseenStops([await focusStop(page)], 'checkout, card refused'));
    expect(await page.locator('#errors').getAttribute('role')).toBe('alert');
    unseen.push(...unseenStops(await tabTo(page, '#errors a[href="#card_number"]', { maxPresses: 1 }), 'checkout errors'));
    await page.keyboard.press('Enter');
    await expect.poll(() => focused(page, 'id')).toBe('card_number');
    expect(await fieldError(page, '#card_number')).toEqual({ invalid: 'true', errors: ['Your card number is invalid.'] });
    await page.keyboard.type('4242 4242 4242 4242');
    for (const [field, typed] of [['#card_expiry', '12 / 34'], ['#card_cvc', '123'], ['#card_name', 'Ana Solidarity']] as const) {
      unseen.push(...unseenStops(await tabTo(page, field, { maxPresses: 1 }), 'checkout'));
      await page.keyboard.type(typed);
    }
    unseen.push(...unseenStops(await tabTo(page, 'button[type="submit"]', { maxPresses: 1 }), 'checkout'));
    await page.keyboard.press('Enter');

    // The thank-you page says the outcome in a status region, and leads back by keyboard too.
    await page.waitForURL(/\/thanks\?donation=/);
    await expect.poll(() => page.getByRole('status').first().textContent(), { timeout: 25_000 }).toContain('Your gift of $50.00 is confirmed.');
    unseen.push(...unseenStops(await tabTo(page, '.appeal-box a[href="/appeals/buck-a-brick"]'), 'thank-you'));
    expect(unseen).toEqual([]);
    await context.close();
  });

  it('every stop on the appeal page shows its focus, in Arabic on a desktop', async () => {
    const context = await e2e.context({ language: 'ar' });
    const page = await context.newPage();
    await page.goto(`${e2e.url}/appeals/osaka-care-strike-fund`);
    // From the top to the share box's copy button: the header, the form and the share links.
    const stops = await tabTo(page, '#share-url', { maxPresses: 60 });
    expect(stops.length).toBeGreaterThan(15);
    expect(unseenStops(stops, 'appeal in Arabic')).toEqual([]);
    await context.close();
  });
});

describe('errors are said on their fields', () => {
  // Each form answers a mistake with an alert (read out as it appears) and marks the field it is
  // about as invalid, pointing to the alert, so a screen reader says it again on the field.
  const cases: { who: string; path: string; fill: [string, string][]; submit: string; field: string }[] = [
    { who: 'admin@federation.demo', path: '/manage/ue-local-222/people', fill: [['form[action^="?/invite"] input[name="email"]', 'not-an-address']], submit: 'form[action^="?/invite"] button[type="submit"]', field: 'form[action^="?/invite"] input[name="email"]' },
    { who: 'organizer@ue222.demo', path: '/manage/appeals/buck-a-brick', fill: [['form[action^="?/update"] input[name="title"]', 'Hi']], submit: 'form[action^="?/update"] button[type="submit"]', field: 'form[action^="?/update"] input[name="title"]' },
    { who: 'organizer@ue222.demo', path: '/manage/appeals/buck-a-brick', fill: [['#translation-form input[name="title"]', 'x']], submit: '#translation-form button[type="submit"]', field: '#translation-form input[name="title"]' },
    { who: 'organizer@ue222.demo', path: '/manage/ue-local-222/new', fill: [], submit: '#appeal-form .actions button', field: '#f-title' },
    { who: '', path: '/signin', fill: [['input[name="email"]', 'nobody']], submit: 'form button.btn', field: 'input[name="email"]' },
  ];
  for (const javaScriptEnabled of [true, false]) {
    it(`on every form${javaScriptEnabled ? '' : ', without JavaScript'}`, async () => {
      const wrong: string[] = [];
      for (const c of cases) {
        const context = await e2e.context({ javaScriptEnabled });
        if (c.who) await signInContext(e2e, context, c.who);
        const page = await context.newPage();
        await page.goto(`${e2e.url}${c.path}`);
        for (const [selector, value] of c.fill) await page.locator(selector).fill(value);
        await page.locator(c.submit).click();
        await page.locator('[role="alert"]').first().waitFor();
        const said = await fieldError(page, c.field);
        if (said.invalid !== 'true' || said.errors.length === 0) wrong.push(`${c.path} ${c.field}: ${JSON.stringify(said)}`);
        // And a sighted reader sees which field it is: the error's border, not every field's.
        const border = await page.locator(c.field).evaluate((el) => getComputedStyle(el).borderTopWidth);
        if (border !== '2px') wrong.push(`${c.path} ${c.field}: drawn as a valid field (border ${border})`);
        await context.close();
      }
      expect(wrong).toEqual([]);
    });
  }

  it('a treasurer’s refund of nothing is said on the amount', async () => {
    const context = await e2e.context();
    await signInContext(e2e, context, 'treasurer@federation.demo');
    const page = await context.newPage();
    const gift = await startGift(e2e, { donorEmail: 'refund@example.org' }, '4242 4242 4242 4242');
    await giftReaches(e2e, gift.id, 'succeeded');
    await page.goto(`${e2e.url}/treasury/donations/${gift.id}`);
    await page.getByRole('button', { name: 'Review the refund' }).click();
    await page.locator('#refund-error').waitFor();
    expect(await fieldError(page, '#refund-amount')).toEqual({ invalid: 'true', errors: ['Type an amount to refund, or tick “Refund the whole gift”.'] });
    await context.close();
  });
});

describe('text enlarged to 200% on a 360 px phone', () => {
  // Chrome's text size setting (and Android's) scales the rem, as this does; 320 px at 100% is a
  // 1280 px screen zoomed to 400% (WCAG 1.4.10). Tables that scroll sideways on purpose are exempt.
  const pages: Record<string, string[]> = {
    '': ['/', '/appeals/buck-a-brick', '/appeals/osaka-care-strike-fund', '/signin', '/no/such/page'],
    'member@ue222.demo': ['/account'],
    'organizer@ue222.demo': ['/manage', '/manage/ue-local-222/new', '/manage/appeals/buck-a-brick'],
    'treasurer@federation.demo': ['/treasury', '/treasury/disputes'],
    'admin@federation.demo': ['/manage/ue-local-222/people'],
  };
  for (const language of ['en', 'ar']) {
    it(`hides nothing and scrolls nothing sideways, in ${language}`, async () => {
      const found: string[] = [];
      for (const [who, paths] of Object.entries(pages)) {
        const context = await e2e.context({ language, viewport: { width: 360, height: 740 } });
        if (who) await signInContext(e2e, context, who);
        const page = await context.newPage();
        for (const path of paths) {
          await page.goto(`${e2e.url}${path}`);
          for (const [width, textSize] of [[360, '200%'], [320, '100%']] as const) {
            await page.setViewportSize({ width, height: 740 });
            await page.evaluate((size) => (document.documentElement.style.fontSize = size), textSize);
            found.push(...(await pastTheEdges(page)).map((f) => `${f} @ ${path} [${language}, ${width}px, text ${textSize}]`));
          }
          await page.setViewportSize({ width: 360, height: 740 });
        }
        await context.close();
      }
      expect(found).toEqual([]);
    });
  }
});

describe('what a reader must make out', () => {
  /** WCAG's contrast ratio of two CSS rgb() colours. */
  const contrast = (a: string, b: string) => {
    const luminance = (css: string) => {
      const [r, g, bl] = css.match(/\d+(\.\d+)?/g)!.slice(0, 3).map((c) => {
        const v = Number(c) / 255;
        return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
    };
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi! + 0.05) / (lo! + 0.05);
  };

  // axe lets a small target pass when nothing else is near it; the header's "Sign in" is the one
  // link a signed-out member on a phone must hit, so it gets the 24 px itself (WCAG 2.5.8).
  it('the header’s Sign in link is at least 24 px high', async () => {
    const context = await e2e.context({ viewport: { width: 360, height: 740 } });
    const page = await context.newPage();
    await page.goto(`${e2e.url}/`);
    const box = await page.locator('header .who a[href^="/signin"]').boundingBox();
    await context.close();
    expect(box!.height).toBeGreaterThanOrEqual(24);
  });

  // How much of the goal is left is the empty part of the bar: its edge, and the share links'
  // outlines, stand 3:1 against the page (WCAG 1.4.11).
  it('the progress bar’s outline and the share links’ borders have 3:1 contrast', async () => {
    const context = await e2e.context({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${e2e.url}/appeals/buck-a-brick`);
    const seen = await page.evaluate(() => {
      /** The colour an element is drawn on: its own background, else the nearest ancestor's. */
      const backdrop = (el: Element | null): string => {
        for (; el; el = el.parentElement) {
          const bg = getComputedStyle(el).backgroundColor;
          if (bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent') return bg;
        }
        return 'rgb(255, 255, 255)';
      };
      const bar = document.querySelector('.progress')!;
      const share = document.querySelector('a[href^="https://wa.me/"]')!;
      const border = getComputedStyle(share);
      return {
        shadow: getComputedStyle(bar).boxShadow,
        page: backdrop(bar.parentElement),
        shareBorder: `${border.borderTopStyle} ${border.borderTopWidth} ${border.borderTopColor}`,
        shareBackground: backdrop(share.parentElement),
      };
    });
    await context.close();
    // An inset ring at least 1 px wide, and a solid border at least 1 px wide, in a colour.
    const ring = seen.shadow.match(/^(rgba?\([^)]*\)) 0px 0px 0px (\d+(?:\.\d+)?)px inset$/);
    expect(ring, seen.shadow).not.toBeNull();
    expect(Number(ring![2])).toBeGreaterThanOrEqual(1);
    const edge = seen.shareBorder.match(/^solid (\d+(?:\.\d+)?)px (rgba?\([^)]*\))$/);
    expect(edge, seen.shareBorder).not.toBeNull();
    expect(Number(edge![1])).toBeGreaterThanOrEqual(1);
    expect(contrast(ring![1]!, seen.page)).toBeGreaterThanOrEqual(3);
    expect(contrast(edge![2]!, seen.shareBackground)).toBeGreaterThanOrEqual(3);
  });

  // A message in Japanese on an English page is read in Japanese by a screen reader only when it
  // says so: the organizer's table and the treasurer's gift carry the language the donor gave in.
  it('a donor’s message is marked with its language for the organizer and the treasurer', async () => {
    const gift = await startGift(e2e, { donorEmail: 'kenji@example.org', message: '連帯を込めて', locale: 'ja' }, '4242 4242 4242 4242');
    await giftReaches(e2e, gift.id, 'succeeded');
    const seen: Record<string, string | null> = {};
    for (const [who, path, selector] of [
      ['organizer@ue222.demo', '/manage/appeals/buck-a-brick', 'p.typed'],
      ['treasurer@federation.demo', `/treasury/donations/${gift.id}`, 'dd'],
    ] as const) {
      const context = await e2e.context();
      await signInContext(e2e, context, who);
      const page = await context.newPage();
      await page.goto(`${e2e.url}${path}`);
      seen[who] = await page.locator(selector, { hasText: '連帯を込めて' }).first().getAttribute('lang');
      await context.close();
    }
    expect(seen).toEqual({ 'organizer@ue222.demo': 'ja', 'treasurer@federation.demo': 'ja' });
  });
});
