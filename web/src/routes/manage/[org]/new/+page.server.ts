import { fail, redirect } from '@sveltejs/kit';
import { randomBytes } from 'node:crypto';
import type { Actions, PageServerLoad } from './$types';
import { APPEAL_CURRENCIES } from '../../../../../../server/ledger/money';
import { apiGet, apiSend, signInPath } from '$lib/server/api';
import { needsSignIn } from '$lib/server/who-is-asking';
import { managedOrgs, runsDrivesGrants } from '$lib/server/managed-orgs';
import { appealApiErrors, appealBody, readAppealValues, slugFrom, storyPreview, type AppealValues } from '$lib/server/appeal-form';
import type { ManagedAppeal } from '$lib/types';
import { m } from '$lib/paraglide/messages';
import { readForm } from '$lib/server/form-text';

interface Org {
  slug: string;
  name: string;
  parentSlug: string | null;
  defaultCurrency: string;
}

export const load: PageServerLoad = async ({ fetch, params, locals, url }) => {
  if (!locals.user) needsSignIn(locals, signInPath(url));
  const { organizations } = await apiGet<{ organizations: Org[] }>(fetch, '/api/organizations');
  const org = organizations.find((o) => o.slug === params.org);
  if (!org) redirect(303, '/manage');
  const values: AppealValues = { title: '', slug: '', summary: '', story: '', beneficiary: '', language: locals.locale, currency: org.defaultCurrency, goal: '', unitName: '', unitPrice: '', deadline: '' };
  // As /manage lists where a person runs drives (the API decides again on saving): one who may not
  // launch a drive here is told so, not handed a form that fails once it is filled in.
  const forbidden = !managedOrgs(organizations, runsDrivesGrants(locals.memberships)).some((o) => o.slug === org.slug);
  return { org: { slug: org.slug, name: org.name }, values, currencies: [...APPEAL_CURRENCIES], locale: locals.locale, forbidden };
};

export const actions: Actions = {
  // "Preview" re-renders the form with the story as it will look; nothing is saved.
  preview: async ({ request }) => {
    const values = readAppealValues(await readForm(request));
    return { values, errors: {}, previewHtml: storyPreview(values.story) };
  },
  // Launching saves a draft: the organizer reads it over, adds a cover and translations, then publishes.
  save: async ({ request, fetch, params, locals, url }) => {
    const values = readAppealValues(await readForm(request));
    const { body, errors } = appealBody(values, locals.locale);
    const previewHtml = storyPreview(values.story);
    if (!body) return fail(400, { values, errors, previewHtml });
    const slug = values.slug || slugFrom(values.title) || `appeal-${randomBytes(3).toString('hex')}`;
    if (!/^[a-z0-9][a-z0-9-]{1,79}$/.test(slug)) return fail(400, { values, errors: { slug: m.appeal_error_slug() }, previewHtml });
    const sent = await apiSend<ManagedAppeal>(fetch, 'POST', `/api/organizations/${encodeURIComponent(params.org)}/appeals`, { ...body, slug });
    // Signed out in another tab, or the role taken away since the page loaded.
    if (sent.status === 401) redirect(303, signInPath(url));
    if (sent.status === 403) return fail(403, { values: { ...values, slug }, errors: {}, previewHtml, forbidden: true });
    if (!sent.ok) return fail(sent.status === 409 ? 409 : 400, { values: { ...values, slug }, errors: appealApiErrors(sent.error, { currency: body.currency, locale: locals.locale }), previewHtml });
    redirect(303, `/manage/appeals/${sent.body.slug}?created=1#main`);
  },
};
