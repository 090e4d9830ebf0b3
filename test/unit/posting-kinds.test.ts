import { describe, expect, it } from 'vitest';
import { lineDescription, postingKind } from '../../web/src/lib/accounts';
import { m } from '../../web/src/lib/paraglide/messages';
import { refundReturnedAfterLossKind } from '../../server/payments/handlers/refund';

// The postings a refund sent back after a lost chargeback makes (and undoes when the loss is won
// on appeal) are named on a treasurer's statement and gift page like every other kind, not by the
// kind as stored.
const kinds = [refundReturnedAfterLossKind, `${refundReturnedAfterLossKind}_reversed`];
const locales = ['en', 'fr', 'de', 'es', 'sv', 'ja', 'ru', 'ar'] as const;

describe('posting kinds of a refund returned after a lost chargeback', () => {
  it.each(kinds)('%s has a name and a line naming its appeal', (kind) => {
    expect(postingKind(kind)).not.toBe(kind);
    const line = lineDescription({ kind, description: 'stored English', appeal: { title: 'Buck-a-Brick' } });
    expect(line).toContain('Buck-a-Brick');
    expect(line).not.toBe('stored English');
  });

  it('is written in every campaign language', () => {
    const said = (locale: (typeof locales)[number]) => [
      m.posting_kind_refund_returned_after_loss({}, { locale }),
      m.posting_kind_refund_returned_after_loss_reversed({}, { locale }),
      m.posting_line_refund_returned_after_loss({ appeal: 'X' }, { locale }),
      m.posting_line_refund_returned_after_loss_reversed({ appeal: 'X' }, { locale }),
    ];
    const english = said('en');
    for (const locale of locales.filter((l) => l !== 'en')) {
      said(locale).forEach((text, i) => expect(text, `${locale} #${i}`).not.toBe(english[i]));
    }
  });
});
