import { error, json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { storyPreview } from '$lib/server/appeal-form';

// The live preview beside the story field: the same renderer and sanitizer as a saved story. Only
// for signed-in people, and small, so it is no general-purpose HTML service.
export const POST: RequestHandler = async ({ request, locals }) => {
  if (!locals.user) error(401, 'Sign in to preview.');
  const text = await request.text();
  if (text.length > 20_000) error(413, 'The story is too long.');
  return json({ html: storyPreview(text) });
};
