// How much the POSTs to one script look like a bot using it (DESIGN.md §3):
// POSTs without a prior page GET from the same IP, many IPs, no referrer,
// machine-regular timing; scripting-library user agents and a round-the-clock
// spread add a little. Pure.
import type { ScriptActivity } from './web-activity.ts';

export type BotScore = { score: number; reasons: string[] };

const WEIGHTS = { blind: 0.35, noReferrer: 0.2, manyIps: 0.15, regular: 0.15, toolAgent: 0.1, roundTheClock: 0.05 } as const;

const pct = (x: number) => `${Math.round(x * 100)}%`;

function describeGap(ms: number): string {
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

export function scoreBotLikelihood(s: ScriptActivity): BotScore {
  if (s.posts === 0) return { score: 0, reasons: [] };
  const reasons: string[] = [];
  const blind = s.blindPosts / s.posts;
  const noReferrer = s.postsNoReferrer / s.posts;
  const toolAgent = s.postsToolAgent / s.posts;
  // 1 IP → 0, 50 or more → 1 (log scale): one person re-sending a form is not a crowd.
  const manyIps = Math.min(1, Math.log10(Math.max(1, s.postIps.count)) / Math.log10(50));
  // Coefficient of variation of the gaps: ~1 for people arriving independently (more when bursty),
  // ≤ 0.2 for a timer, even one with some jitter; nothing below 10 POSTs.
  const cv = s.postGaps.n >= 9 ? s.postGaps.cv : null;
  const regular = cv === null ? 0 : Math.max(0, Math.min(1, (0.6 - cv) / 0.4));
  const hoursOfDay = new Set([...s.hourlyPosts.keys()].map((h) => Math.floor(h / 3_600_000) % 24)).size;
  const roundTheClock = hoursOfDay >= 20 ? 1 : 0;

  if (blind >= 0.5) reasons.push(`${s.blindPosts} of ${s.posts} POSTs (${pct(blind)}) came from IPs that had not loaded any page of the site in the 30 minutes before`);
  if (s.postIps.count >= 10) reasons.push(`POSTs came from ${s.postIps.count}${s.postIps.capped ? '+' : ''} different IP addresses`);
  if (noReferrer >= 0.5) reasons.push(`${pct(noReferrer)} of POSTs had no referrer`);
  if (regular >= 0.5 && cv !== null) reasons.push(`POSTs arrive at machine-regular intervals (about every ${describeGap(s.postGaps.mean)}, variation ${pct(cv)})`);
  if (toolAgent >= 0.5) reasons.push(`${pct(toolAgent)} of POSTs had no user agent or a scripting library's`);
  if (roundTheClock) reasons.push(`POSTs in ${hoursOfDay} of the 24 hours of the day`);

  const raw = WEIGHTS.blind * blind + WEIGHTS.noReferrer * noReferrer + WEIGHTS.manyIps * manyIps
    + WEIGHTS.regular * regular + WEIGHTS.toolAgent * toolAgent + WEIGHTS.roundTheClock * roundTheClock;
  // A handful of POSTs is thin evidence whatever they look like.
  const support = Math.sqrt(Math.min(1, s.posts / 10));
  if (support < 1) reasons.push(`only ${s.posts} POSTs: weak evidence`);
  return { score: Math.round(Math.min(1, raw * support) * 1000) / 1000, reasons };
}
