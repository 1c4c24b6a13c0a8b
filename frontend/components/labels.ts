// Human names for the API's identifiers (action names, evidence signals, account kinds).
import type { I18n, MessageKey } from '../i18n/index.ts';

const ACTIONS: Record<string, MessageKey> = {
  quarantine: 'actions.quarantine', restore: 'actions.restore', 'reset-passwords': 'actions.reset', 'purge-queue': 'actions.purge',
};

export function actionLabel(i18n: Pick<I18n, 't'>, name: string): string {
  const key = ACTIONS[name];
  return key ? i18n.t(key) : name;
}

const SIGNALS = new Set(['php-mail-log', 'x-php-originating-script', 'access-log-post', 'pickup-uid', 'smtp-auth', 'code', 'bots', 'omc']);

export function signalLabel(i18n: Pick<I18n, 't'>, signal: string): string {
  return SIGNALS.has(signal) ? i18n.t(`signal.${signal}` as MessageKey) : i18n.t('signal.other');
}

const ACCOUNTS = new Set(['mailbox', 'system-user', 'panel-login', 'panel-user']);

export function accountLabel(i18n: Pick<I18n, 't'>, kind: string): string {
  return ACCOUNTS.has(kind) ? i18n.t(`account.${kind}` as MessageKey) : kind;
}
