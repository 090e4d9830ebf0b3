import { redirect } from '@sveltejs/kit';
import { signInPath } from '$lib/server/api';

/** This page's own address, without the action's `?/name`: where signing in comes back to. */
export const pageHere = (url: URL) => new URL(url.pathname, url);
/** To sign in, and back to this page, not to the action's address. */
export const signInHere = (url: URL) => signInPath(pageHere(url));
/** The session ended (the API said so): to sign in, and back. */
export const toSignIn = (url: URL) => redirect(303, signInHere(url));
