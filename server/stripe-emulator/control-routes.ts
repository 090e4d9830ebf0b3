import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { EmulatorControls } from './controls';
import { SAVED_CARD_DECLINES, type SavedCardDecline } from './cards';
import { invalidRequest } from './errors';
import { payoutFailures, type PayoutFailureCode } from './flows/balance';
import { refundFailureReasons, type RefundFailureReason } from './flows/refund';
import { renewalDraftSecondsMax } from './renewal-draft';
import { afterLastRetryChoices, type AfterLastRetry } from './context';

const delivery = z.strictObject({
  times: z.number().int().min(1).max(10).optional(),
  shuffle: z.boolean().optional(),
  delayMs: z.number().int().min(0).max(60_000).optional(),
});
const webhook = z.union([
  z.null(),
  z.strictObject({
    url: z.url(),
    secret: z.string().min(1).max(200),
    baseDelayMs: z.number().int().min(1).max(60_000).optional(),
    maxAttempts: z.number().int().min(1).max(20).optional(),
  }),
]);
const dispute = z.strictObject({ charge: z.string().min(1).max(100), inquiry: z.boolean().optional() });
const close = z.strictObject({ status: z.enum(['won', 'lost', 'warning_closed']), feeReturned: z.boolean().optional() });
const failRefund = z.strictObject({ reason: z.enum(refundFailureReasons as [RefundFailureReason, ...RefundFailureReason[]]).optional() });
const failPayout = z.strictObject({ code: z.enum(Object.keys(payoutFailures) as [PayoutFailureCode, ...PayoutFailureCode[]]).optional() });
const decline = z.strictObject({ code: z.enum(Object.keys(SAVED_CARD_DECLINES) as [SavedCardDecline, ...SavedCardDecline[]]).optional() });
const renewalDraft = z.strictObject({ seconds: z.number().int().min(0).max(renewalDraftSecondsMax) });
const afterLastRetry = z.strictObject({ choice: z.enum(afterLastRetryChoices as [AfterLastRetry, ...AfterLastRetry[]]) });
const pay = z.strictObject({
  card: z.string().max(40).optional(),
  name: z.string().max(200).optional(),
  email: z.email().optional(),
});

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    throw invalidRequest(`Invalid control request: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
  }
  return r.data;
}

const id = (params: unknown) => (params as { id: string }).id;

// The test controls over HTTP (JSON), for e2e tests and the demo running in another process.
export function registerControlRoutes(app: FastifyInstance, controls: EmulatorControls): void {
  app.get('/_emulator/health', async () => ({ ok: true }));
  app.post('/_emulator/delivery', async (req) => controls.setDelivery(parse(delivery, req.body)));
  app.post('/_emulator/pause', async () => (controls.pause(), { ok: true }));
  app.post('/_emulator/resume', async () => (controls.resume(), { ok: true }));
  app.post('/_emulator/flush', async () => (await controls.flush(), { ok: true }));
  app.get('/_emulator/deliveries', async () => ({ data: controls.deliveries }));
  app.post('/_emulator/webhook', async (req) => (controls.setWebhook(parse(webhook, req.body)), { ok: true }));
  app.post('/_emulator/disputes', async (req) => {
    const { charge, inquiry } = parse(dispute, req.body);
    return controls.disputeCharge(charge, { inquiry });
  });
  app.post('/_emulator/disputes/:id/escalate', async (req) => controls.escalateInquiry(id(req.params)));
  app.post('/_emulator/disputes/:id/appeal', async (req) => controls.appealDispute(id(req.params)));
  app.post('/_emulator/disputes/:id/close', async (req) => {
    const { status, feeReturned } = parse(close, req.body);
    return controls.closeDispute(id(req.params), status, { feeReturned });
  });
  app.post('/_emulator/funds/available', async () => controls.makeFundsAvailable());
  app.post('/_emulator/payouts/pay', async () => ({ data: controls.payPayouts() }));
  app.post('/_emulator/payouts/:id/fail', async (req) => controls.failPayout(id(req.params), parse(failPayout, req.body).code));
  app.post('/_emulator/refunds/:id/fail', async (req) => controls.failRefund(id(req.params), parse(failRefund, req.body).reason));
  app.post('/_emulator/subscriptions/:id/decline', async (req) => controls.declineSubscriptionPayments(id(req.params), parse(decline, req.body).code));
  app.post('/_emulator/renewal-draft', async (req) => controls.setRenewalDraftSeconds(parse(renewalDraft, req.body).seconds));
  app.post('/_emulator/after-last-retry', async (req) => controls.setAfterLastRetry(parse(afterLastRetry, req.body).choice));
  app.post('/_emulator/checkout/sessions/:id/pay', async (req) => {
    const b = parse(pay, req.body);
    return controls.payCheckoutSession(id(req.params), b.card, { name: b.name, email: b.email });
  });
  app.post('/_emulator/reset', async () => (controls.reset(), { ok: true }));
}
