import { error, redirect } from '@sveltejs/kit';
import type { LayoutServerLoad } from './$types';
import { slugPattern } from '../../../../../server/appeals/schemas';

/**
 * An address typed from a poster in capitals ("/appeals/Buck-a-Brick") is the appeal's own: its
 * name is lower case, so the browser is sent there. One that can be no appeal's name is a missing
 * page, not "something went wrong".
 */
export const load: LayoutServerLoad = ({ params, url }) => {
  const slug = params.slug.toLowerCase();
  if (!slugPattern.test(slug)) error(404, 'No such appeal.');
  if (slug !== params.slug) redirect(301, `${url.pathname.replace(/^\/appeals\/[^/]+/, `/appeals/${slug}`)}${url.search}`);
};
