/**
 * The languages Stripe Checkout is shown in (`locale` of a Checkout Session, as the pinned SDK's
 * `Checkout.SessionCreateParams.Locale` lists them): any other value refuses the whole session.
 * Arabic is not among them.
 */
export const checkoutLocales: ReadonlySet<string> = new Set([
  'auto', 'bg', 'cs', 'da', 'de', 'el', 'en', 'en-GB', 'es', 'es-419', 'et', 'fi', 'fil', 'fr', 'fr-CA', 'hi-IN', 'hr', 'hu', 'id', 'it',
  'ja', 'ko', 'lt', 'lv', 'ms', 'mt', 'nb', 'nl', 'pl', 'pt', 'pt-BR', 'ro', 'ru', 'sk', 'sl', 'sv', 'th', 'tr', 'vi', 'zh', 'zh-HK', 'zh-TW',
]);
