import { isLocale } from '$lib/locale';
import { overwriteGetLocale } from '$lib/paraglide/runtime';

// The server chose the language (see hooks.server.ts) and wrote it on <html lang>; the
// browser renders in the same one, so hydration never disagrees with the server.
const lang = document.documentElement.lang;
overwriteGetLocale(() => (isLocale(lang) ? lang : 'en'));
