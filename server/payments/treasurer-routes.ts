import { asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { appeals, disputes, donations, ledgerAccounts, ledgerEntries, ledgerTransactions, organizations, type Donation } from '../../db/schema/index';
import { disputeFacts, disputeFactsSchema, type DisputeRouteOptions } from './dispute-routes';
import { hasRole, isPlatformTreasurer, organizationsWithRole, requireAccountTreasurer, requireViewer } from '../auth/permissions';
import { messageLanguageSchema, minorUnits } from '../appeals/schemas';
import { AppError } from '../errors';
import { errorResponses } from '../plugins/openapi';
import { donationIdParams } from './schemas';
import { isRefundable, refundableMinor, refundsAwaiting } from './refunds';
import { refundsSentBack } from './refunds-sent-back';
import { giftOfStripeId, stripeObjectId } from './stripe-id-lookup';
import { messageLanguageOf } from './donations-store';
import { pausedNow } from './collection-pause';
import { renewalAmountOf } from './renewal-amount';

const detailSchema = z.object({
  id: z.uuid(),
  appeal: z.object({
    slug: z.string(),
    title: z.string(),
    language: z.string().describe('the language the appeal, and so its title, is written in'),
    organization: z.object({ slug: z.string(), name: z.string() }),
  }),
  status: z.string(),
  frequency: z.enum(['one_off', 'monthly']),
  currency: z.string(),
  amountMinor: minorUnits,
  coverFeesMinor: minorUnits,
  feeMinor: minorUnits.nullable(),
  refundedMinor: minorUnits,
  /** Refunds asked of Stripe that its events have not yet brought into the ledger (nor reported failed). */
  refundsAwaiting: z.array(
    z.object({
      askId: z.uuid(),
      /** Null while Stripe's answer to the ask has not been seen: sending the ask again (its key, amount and reason) finds or makes it. */
      refundId: z.string().nullable(),
      amountMinor: minorUnits,
      askedAt: z.string(),
      idempotencyKey: z.string(),
      reason: z.string(),
    }),
  ),
  /**
   * Refunds that Stripe made and the card's bank sent back (a closed or lost card): the money is in
   * the appeal again and may be refunded again, but the donor has not got it. From the ledger's
   * reversals (`failedAt` when posted), and refunds asked here that failed before they were posted
   * (`failedAt` Stripe's time); `reason` Stripe's failure_reason ('canceled' for a canceled refund;
   * 'unknown' when Stripe gave none, or the reversal predates our keeping it).
   */
  failedRefunds: z.array(z.object({ refundId: z.string(), amountMinor: minorUnits, failedAt: z.string(), reason: z.string() })),
  /** Whether the caller may refund it: a treasurer of the appeal's organization (the platform's read it, as they read its ledger lines). */
  mayRefund: z.boolean(),
  /** What may still be refunded: paid, less refunded and awaiting; 0 when the gift's state allows no refund. */
  refundableMinor: minorUnits,
  donor: z.object({ name: z.string().nullable(), email: z.string().nullable(), anonymous: z.boolean() }),
  message: z.string().nullable(),
  messageLanguage: messageLanguageSchema,
  stripe: z.object({ checkoutSessionId: z.string().nullable(), paymentIntentId: z.string().nullable(), chargeId: z.string().nullable(), subscriptionId: z.string().nullable(), invoiceId: z.string().nullable() }),
  createdAt: z.string(),
  succeededAt: z.string().nullable(),
  /**
   * A monthly gift's own state (on its first donation): when it ended, a renewal Stripe could not
   * take, and what each renewal charges from now on (as Stripe last said), split as amountMinor
   * and coverFeesMinor are: the first gift's own amounts stay what its first charge was.
   */
  monthly: z
    .object({
      endedAt: z.string().nullable(),
      endsAt: z.string().nullable().describe('while Stripe is set to end it on a day to come (cancel at period end, in its Dashboard or at the donor\'s word): that day; no renewal comes after it'),
      renewalFailedAt: z.string().nullable(),
      nextAttemptAt: z.string().nullable(),
      renewalAmountMinor: minorUnits,
      renewalCoverFeesMinor: minorUnits,
      paused: z.boolean().describe("Stripe's collection is paused (its renewals are voided): by the donor, or in Stripe's Dashboard"),
      pausedUntil: z.string().nullable().describe('while paused: when Stripe resumes collecting; null for a pause with no end'),
      pausedNextChargeAt: z.string().nullable().describe('while paused: the first period end at or after then, when Stripe charges again'),
    })
    .nullable(),
  /** Its chargebacks and inquiries, newest first. */
  disputes: z.array(disputeFactsSchema),
  postings: z.array(
    z.object({
      transactionId: z.string(),
      idempotencyKey: z.string(),
      kind: z.string(),
      occurredAt: z.string(),
      entries: z.array(z.object({ accountId: z.string(), accountCode: z.string(), amountMinor: minorUnits })),
    }),
  ),
});

/** A gift as its treasurer sees it: who, how much, Stripe's ids and every ledger posting it caused. */
export const treasurerPaymentRoutes: FastifyPluginAsyncZod<DisputeRouteOptions> = async (app, opts) => {
  const db = app.database.db;
  app.get(
    '/api/donations/by-stripe-id/:stripeId',
    {
      schema: {
        tags: ['donations'],
        summary: "The gift a Stripe id belongs to (its checkout session, payment, charge, invoice, subscription, refund or dispute), for a treasurer of the appeal's organization",
        params: z.object({ stripeId: stripeObjectId }),
        response: { 200: z.object({ id: z.uuid() }), ...errorResponses },
      },
    },
    async (req) => {
      const viewer = requireViewer(await req.viewer());
      const platform = await isPlatformTreasurer(db, app.platform, viewer);
      // No treasurer anywhere, nothing to find: a member's lookups never reach the donations table.
      if (!platform && (await organizationsWithRole(db, viewer, 'treasurer')).length === 0) throw new AppError(404, 'donation_not_found', 'No gift of yours has this Stripe id.');
      const gift = await giftOfStripeId(db, req.params.stripeId);
      // Another organization's gift answers as none: a lookup must not tell which Stripe ids are ours.
      // The platform's treasurers find any: the Stripe account, and its ledger, are theirs.
      if (!gift || !(platform || (await hasRole(db, viewer, gift.organizationId, 'treasurer')))) {
        throw new AppError(404, 'donation_not_found', 'No gift of yours has this Stripe id.');
      }
      return { id: gift.id };
    },
  );
  app.get(
    '/api/donations/:id/detail',
    {
      schema: {
        tags: ['donations'],
        summary: "A gift's full detail with its ledger postings (treasurer of the appeal's organization)",
        params: donationIdParams,
        response: { 200: detailSchema, ...errorResponses },
      },
    },
    async (req) => {
      const [row] = await db
        .select({ d: donations, a: appeals, o: { slug: organizations.slug, name: organizations.name } })
        .from(donations)
        .innerJoin(appeals, eq(appeals.id, donations.appealId))
        .innerJoin(organizations, eq(organizations.id, appeals.organizationId))
        .where(eq(donations.id, req.params.id));
      if (!row) throw new AppError(404, 'donation_not_found', 'No such donation.');
      // Whoever reads the gift's ledger lines reads the gift behind them (requireAccountTreasurer,
      // as the statement does): the platform's treasurers reconcile Stripe's charges against the
      // ledger, and a line they cannot open is a difference they cannot resolve. Refunding stays
      // with the appeal's organization, whose money it is.
      const viewer = await requireAccountTreasurer(db, app.platform, await req.viewer(), row.a.organizationId);
      const mayRefund = await hasRole(db, viewer, row.a.organizationId, 'treasurer');
      const txs = await db
        .select()
        .from(ledgerTransactions)
        .where(sql`${ledgerTransactions.metadata} ? 'donationId' AND ${ledgerTransactions.metadata}->>'donationId' = ${row.d.id}`)
        .orderBy(asc(ledgerTransactions.id))
        .limit(200);
      const entries = txs.length
        ? await db
            .select({ transactionId: ledgerEntries.transactionId, accountId: ledgerEntries.accountId, code: ledgerAccounts.code, amountMinor: ledgerEntries.amountMinor })
            .from(ledgerEntries)
            .innerJoin(ledgerAccounts, eq(ledgerAccounts.id, ledgerEntries.accountId))
            .where(inArray(ledgerEntries.transactionId, txs.map((t) => t.id)))
            .orderBy(asc(ledgerEntries.id))
        : [];
      const ofGift = await db.select().from(disputes).where(eq(disputes.donationId, row.d.id)).orderBy(desc(disputes.openedAt), desc(disputes.id));
      const d = row.d;
      const awaiting = await refundsAwaiting(db, d.id);
      const refundable = isRefundable(d) ? refundableMinor(d, awaiting) : 0n;
      return {
        id: d.id,
        appeal: { slug: row.a.slug, title: row.a.title, language: row.a.language, organization: row.o },
        status: d.status,
        frequency: d.frequency,
        currency: d.currency,
        amountMinor: d.amountMinor.toString(),
        coverFeesMinor: d.coverFeesMinor.toString(),
        feeMinor: d.feeMinor?.toString() ?? null,
        refundedMinor: d.refundedMinor.toString(),
        refundsAwaiting: awaiting.map((r) => ({ askId: r.askId, refundId: r.refundId, amountMinor: r.amountMinor.toString(), askedAt: r.askedAt.toISOString(), idempotencyKey: r.idempotencyKey, reason: r.reason })),
        failedRefunds: await refundsSentBack(db, d.id, txs, entries),
        mayRefund,
        refundableMinor: refundable.toString(),
        donor: { name: d.donorName, email: d.donorEmail, anonymous: d.anonymous },
        message: d.message,
        messageLanguage: messageLanguageOf(d),
        stripe: { checkoutSessionId: d.checkoutSessionId, paymentIntentId: d.paymentIntentId, chargeId: d.chargeId, subscriptionId: d.subscriptionId, invoiceId: d.invoiceId },
        createdAt: d.createdAt.toISOString(),
        succeededAt: d.succeededAt?.toISOString() ?? null,
        monthly: d.frequency === 'monthly' && d.parentDonationId === null ? monthlyState(d) : null,
        disputes: ofGift.map((x) => disputeFacts(x, opts.stripeMode)),
        postings: txs.map((t) => ({
          transactionId: t.id.toString(),
          idempotencyKey: t.idempotencyKey,
          kind: t.kind,
          occurredAt: t.occurredAt.toISOString(),
          entries: entries
            .filter((e) => e.transactionId === t.id)
            .map((e) => ({ accountId: e.accountId.toString(), accountCode: e.code, amountMinor: e.amountMinor.toString() })),
        })),
      };
    },
  );
};

function monthlyState(d: Donation) {
  const renewal = renewalAmountOf(d);
  return {
    endedAt: d.subscriptionCanceledAt?.toISOString() ?? null,
    endsAt: d.subscriptionCanceledAt ? null : (d.subscriptionEndsAt?.toISOString() ?? null),
    // A pause whose end has passed is over, though Stripe's word of it may not be posted yet.
    paused: pausedNow(d, new Date()),
    pausedUntil: d.pausedUntil?.toISOString() ?? null,
    pausedNextChargeAt: d.pausedNextChargeAt?.toISOString() ?? null,
    renewalFailedAt: d.renewalFailedAt?.toISOString() ?? null,
    nextAttemptAt: d.renewalNextAttemptAt?.toISOString() ?? null,
    renewalAmountMinor: renewal.amountMinor.toString(),
    renewalCoverFeesMinor: renewal.coverFeesMinor.toString(),
  };
}
