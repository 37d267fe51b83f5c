/** Numbers, money and shares in the reader's locale. */
const locale = navigator.language || "en-US";
const integer = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
const percent = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 });
const signedPercent = new Intl.NumberFormat(locale, {
  style: "percent",
  maximumFractionDigits: 1,
  signDisplay: "exceptZero",
});
const moneyFormats = new Map<string, Intl.NumberFormat>();

export const formatInteger = (n: number | bigint): string => integer.format(n);
export const formatDecimal = (n: number): string => decimal.format(n);
export const formatPercent = (share: number): string => percent.format(share);

export function formatMoney(amount: number, currency: string): string {
  let format = moneyFormats.get(currency);
  if (!format) {
    try {
      format = new Intl.NumberFormat(locale, { style: "currency", currency, maximumFractionDigits: 2 });
    } catch {
      format = decimal;
    }
    moneyFormats.set(currency, format);
  }
  return format.format(amount);
}

/** Change against the previous period; undefined when there was nothing to compare with. */
export function change(current: number, previous: number): string | undefined {
  if (previous === 0) return current === 0 ? signedPercent.format(0) : undefined;
  return signedPercent.format((current - previous) / previous);
}
