// Outgoing Mail Control limits and their inheritance (reference/plesk.md §1.1,
// §1.3): server defaults (ServiceNodeConfiguration, section 'mailServer') →
// service plan (TmplData) → subscription (SubscriptionProperties). The value
// 'default' means "inherit" [V]; the most specific concrete value wins [V:
// "a custom value at one level becomes the default for the levels below it"].
// Pure: rows in, limits out; what it cannot read it reports, never guesses.

/** psa names of the settings, identical at all three levels [V psa dump]. */
export const OMC_SETTINGS = {
  mailbox: 'outgoing_messages_mbox_limit',
  domain: 'outgoing_messages_domain_limit',
  subscription: 'outgoing_messages_subscription_limit',
  enableSendmail: 'outgoing_messages_enable_sendmail',
  filterEnabled: 'outgoing_messages_filter_enabled',
} as const;

/** name → raw value, for one level of one object. */
export type OmcLayer = ReadonlyMap<string, string | null>;

export type EffectiveLimits = { subscription: number | null; domain: number | null; mailbox: number | null; enableSendmail: boolean | null };

type Parsed<T> = { value: T } | { inherit: true } | { invalid: string };

/**
 * A limit in messages per hour. '-1' (any negative) and 'unlimited' → -1
 * ("Unlimited" disables protection [V]; its stored form is [I]); '0' forbids sending [V].
 */
export function parseLimitValue(raw: string | null | undefined): Parsed<number> {
  const v = raw?.trim().toLowerCase() ?? '';
  if (v === '' || v === 'default') return { inherit: true };
  if (v === 'unlimited') return { value: -1 };
  if (/^-?\d{1,15}$/.test(v)) return { value: Math.max(Number(v), -1) };
  return { invalid: raw ?? '' };
}

export function parseFlagValue(raw: string | null | undefined): Parsed<boolean> {
  const v = raw?.trim().toLowerCase() ?? '';
  if (v === '' || v === 'default') return { inherit: true };
  if (v === 'true') return { value: true };
  if (v === 'false') return { value: false };
  return { invalid: raw ?? '' };
}

type Layer = { what: string; values: OmcLayer | undefined };

function resolveOne<T>(layers: Layer[], name: string, parse: (raw: string | null | undefined) => Parsed<T>, warnings: string[]): T | null {
  for (const { what, values } of layers) {
    if (!values?.has(name)) continue;
    const parsed = parse(values.get(name));
    if ('value' in parsed) return parsed.value;
    if ('invalid' in parsed) warnings.push(`psa: ${what} has ${name} = ${JSON.stringify(parsed.invalid.slice(0, 40))}, which is not a value sendtrace understands; inherited instead`);
  }
  return null;
}

/** Effective limits of one subscription; layers most specific first. */
export function resolveLimits(layers: Layer[], warnings: string[]): EffectiveLimits {
  return {
    subscription: resolveOne(layers, OMC_SETTINGS.subscription, parseLimitValue, warnings),
    domain: resolveOne(layers, OMC_SETTINGS.domain, parseLimitValue, warnings),
    mailbox: resolveOne(layers, OMC_SETTINGS.mailbox, parseLimitValue, warnings),
    enableSendmail: resolveOne(layers, OMC_SETTINGS.enableSendmail, parseFlagValue, warnings),
  };
}

/** The server's own settings (no inheritance above it). */
export function resolveServerLimits(server: OmcLayer | undefined, warnings: string[]) {
  const layers = [{ what: 'the server', values: server }];
  return {
    ...resolveLimits(layers, warnings),
    filterEnabled: resolveOne(layers, OMC_SETTINGS.filterEnabled, parseFlagValue, warnings),
  };
}
