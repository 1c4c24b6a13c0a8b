import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { passwordsCsv, passwordsFileName } from '../../frontend/components/passwords-csv.ts';

const H: [string, string, string, string] = ['Kind', 'Account', 'New password', 'Result'];

describe('password CSV', () => {
  it('writes one row per account with a BOM and CRLF line ends', () => {
    const csv = passwordsCsv([{ kind: 'Mailbox', name: 'info@sk-seikan.jp', password: 'Ab3_xY9%kLm2@pQr7sTu5vWz', error: null }], H);
    assert.ok(csv.startsWith('\uFEFFKind,Account,New password,Result\r\n'));
    assert.ok(csv.includes('Mailbox,info@sk-seikan.jp,Ab3_xY9%kLm2@pQr7sTu5vWz,\r\n'));
  });

  it('quotes commas and quotes, and defuses cells a spreadsheet would run as formulas', () => {
    const csv = passwordsCsv([{ kind: 'Panel user', name: '=HYPERLINK("x")', password: null, error: 'failed, "exit 1"' }], H);
    assert.ok(csv.includes(`"'=HYPERLINK(""x"")"`), csv);
    assert.ok(csv.includes('"failed, ""exit 1"""'), csv);
  });

  it('names the file by subscription and day only', () => {
    assert.equal(passwordsFileName('sk-seikan.jp', '2022-02-03'), 'passwords-sk-seikan.jp-2022-02-03.csv');
    assert.equal(passwordsFileName('../../etc/x y', '2022-02-03'), 'passwords-.._.._etc_x_y-2022-02-03.csv');
  });
});
