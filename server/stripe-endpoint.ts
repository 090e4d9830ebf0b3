import Stripe from 'stripe';
import { runCli } from './cli';
import { ConfigError, configSchema } from './config';
import { createStripeClient } from './payments/stripe-client';
import { ensureWebhookEndpoint } from './payments/webhook-endpoint';

// `npm run stripe:endpoint`: makes (or brings up to date) the Stripe webhook endpoint this app
// needs, with STRIPE_SECRET_KEY and PUBLIC_URL from the environment, checked as the app checks them.
const settings = configSchema.pick({ STRIPE_SECRET_KEY: true, PUBLIC_URL: true }).required();

runCli(async () => {
  const parsed = settings.safeParse(process.env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${process.env[String(i.path[0])] === undefined ? 'is required' : i.message}`));
  }
  const { STRIPE_SECRET_KEY, PUBLIC_URL } = parsed.data;
  const result = await ensureWebhookEndpoint(createStripeClient({ secretKey: STRIPE_SECRET_KEY }), PUBLIC_URL);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const { endpoint } = result;
  const reenabled = 'reenabled' in result && result.reenabled;
  switch (result.outcome) {
    case 'created':
      out(`Made webhook endpoint ${endpoint.id} for ${endpoint.url} (API version ${Stripe.API_VERSION}, ${endpoint.enabled_events.length} events).`);
      // Shown once by Stripe: the operator puts it in the app's environment.
      out(`Set this in the app's environment:\nSTRIPE_WEBHOOK_SECRET=${result.secret}`);
      return 0;
    case 'events_added':
      out(`Webhook endpoint ${endpoint.id} for ${endpoint.url} now also sends: ${result.added.join(', ')}.`);
      break;
    case 'unchanged':
      out(`Webhook endpoint ${endpoint.id} for ${endpoint.url} already sends every event the app handles.`);
      break;
    case 'wrong_api_version':
      if (result.added.length > 0) out(`Webhook endpoint ${endpoint.id} for ${endpoint.url} now also sends: ${result.added.join(', ')}.`);
      process.stderr.write(
        `Warning: it sends API version ${endpoint.api_version ?? "the account's default"}, not ${Stripe.API_VERSION}, and Stripe cannot change that. ` +
          'The app reads each of its events again from Stripe (one more request each). To stop that, delete it in the Stripe Dashboard (Developers → Webhooks) and run this again.\n',
      );
      break;
  }
  if (reenabled) out('Stripe had disabled it; it is enabled again. Events it missed meanwhile are not sent again by themselves: resend them from the Dashboard.');
  return 0;
});
