/**
 * Formats an amount given as a string of minor units, exactly (no float on the way): Intl
 * formats a decimal string at full precision.
 */
export function formatMinor(amountMinor: string, currency: string, locale: string): string {
  const nf = new Intl.NumberFormat(locale, { style: 'currency', currency });
  const digits = nf.resolvedOptions().maximumFractionDigits ?? 2;
  return nf.format(minorToDecimalString(amountMinor, digits) as unknown as number);
}

export function minorToDecimalString(amountMinor: string, exponent: number): string {
  const negative = amountMinor.startsWith('-');
  const digits = (negative ? amountMinor.slice(1) : amountMinor).padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent);
  const fraction = exponent > 0 ? `.${digits.slice(-exponent)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

export function formatInteger(n: number, locale: string): string {
  return new Intl.NumberFormat(locale).format(n);
}
