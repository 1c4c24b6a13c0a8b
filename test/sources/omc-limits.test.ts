import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OMC_SETTINGS, parseFlagValue, parseLimitValue, resolveLimits, resolveServerLimits } from '../../service/sources/omc-limits.ts';

const layer = (entries: Record<string, string | null>) => new Map(Object.entries(entries));

describe('parseLimitValue', () => {
  it("treats 'default' and an empty or NULL value as inherit", () => {
    for (const v of ['default', 'DEFAULT', ' default ', '', null]) assert.deepEqual(parseLimitValue(v), { inherit: true });
  });

  it('reads unlimited as -1 and 0 as a real limit (no sending)', () => {
    assert.deepEqual(parseLimitValue('-1'), { value: -1 });
    assert.deepEqual(parseLimitValue('unlimited'), { value: -1 });
    assert.deepEqual(parseLimitValue('0'), { value: 0 });
    assert.deepEqual(parseLimitValue('500'), { value: 500 });
  });

  it('reports what it cannot read instead of guessing', () => {
    assert.deepEqual(parseLimitValue('5e2'), { invalid: '5e2' });
    assert.deepEqual(parseFlagValue('yes'), { invalid: 'yes' });
  });
});

describe('resolveLimits', () => {
  const server = layer({
    [OMC_SETTINGS.subscription]: '100', [OMC_SETTINGS.domain]: '50', [OMC_SETTINGS.mailbox]: '10', [OMC_SETTINGS.enableSendmail]: 'true',
  });

  it('takes the most specific concrete value, skipping inherit at each level', () => {
    const warnings: string[] = [];
    const limits = resolveLimits(
      [
        { what: 'subscription 1', values: layer({ [OMC_SETTINGS.subscription]: '500', [OMC_SETTINGS.domain]: 'default' }) },
        { what: 'plan', values: layer({ [OMC_SETTINGS.subscription]: '9', [OMC_SETTINGS.domain]: '200', [OMC_SETTINGS.enableSendmail]: 'false' }) },
        { what: 'the server', values: server },
      ],
      warnings,
    );
    assert.deepEqual(limits, { subscription: 500, domain: 200, mailbox: 10, enableSendmail: false });
    assert.deepEqual(warnings, []);
  });

  it('inherits past an unreadable value and says so, naming the object and setting', () => {
    const warnings: string[] = [];
    const limits = resolveLimits([{ what: 'subscription 3 (direct.example)', values: layer({ [OMC_SETTINGS.subscription]: 'lots' }) }, { what: 'the server', values: server }], warnings);
    assert.equal(limits.subscription, 100);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /subscription 3 \(direct\.example\).*outgoing_messages_subscription_limit.*"lots"/);
  });

  it('gives null (unknown) when no level has a value', () => {
    assert.deepEqual(resolveLimits([{ what: 'plan', values: undefined }, { what: 'the server', values: layer({}) }], []), {
      subscription: null, domain: null, mailbox: null, enableSendmail: null,
    });
  });

  it('reads the server master switch only at server level', () => {
    assert.equal(resolveServerLimits(layer({ [OMC_SETTINGS.filterEnabled]: 'false' }), []).filterEnabled, false);
    assert.equal(resolveServerLimits(undefined, []).filterEnabled, null);
  });
});
