import { error, json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { storyPreview } from '$lib/server/appeal-form';
import { apiUnanswered } from '$lib/server/api';

// The live preview beside the story field: the same renderer and sanitizer as a saved story. Only
// for signed-in people, and small, so it is no general-purpose HTML service.
export const POST: RequestHandler = async ({ request, locals }) => {
  // The API not saying who is asking is its failure, not a signed-out caller.
  if (!locals.user) error(locals.sessionUnknown ?? 401, locals.sessionUnknown ? apiUnanswered.error.message : 'Sign in to preview.');
  const text = await request.text();
  if (text.length > 20_000) error(413, 'The story is too long.');
  return json({ html: storyPreview(text) });
};
