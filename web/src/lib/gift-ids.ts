/** Our id of a gift, as receipts, statements and Stripe's metadata (donation_id) carry it. */
export const giftIdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Stripe's ids of what a gift is at Stripe, by prefix: its Checkout Session, PaymentIntent, charge
 * (or payment), invoice, subscription, refund and dispute. A treasurer reconciling against Stripe's
 * Dashboard starts from one of these, not from our id. The API checks the same (one pattern).
 */
export const stripeGiftIdPattern = /^(cs|pi|ch|py|in|sub|re|pyr|dp|du)_[A-Za-z0-9_]{1,250}$/;
