// The stop link's shape, shared by the API and the page it opens (no imports: the web bundles it).

/** 24 random bytes in base64url: what a stop link carries. */
export const stopTokenPattern = /^[A-Za-z0-9_-]{32}$/;
/** The API's stop link: GET says what it stops, POST stops it (a mail client's one click, RFC 8058). */
export const updateStopPath = '/api/appeal-updates/stop';
/** The page the mail's text links to: what the link stops, and a button that stops it. */
export const updateStopPage = '/updates/stop';
