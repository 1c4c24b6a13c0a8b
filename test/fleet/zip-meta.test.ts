// The package's identity, read from the zip without an unzip binary.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareVersions, parseExtensionMeta, readZipEntry } from '../../service/fleet/zip-meta.ts';
import { makeZip, metaXml } from './zip-writer.ts';

describe('extension package meta', () => {
  it('reads meta.xml from stored and deflated zips', () => {
    for (const deflate of [false, true]) {
      const zip = makeZip([{ name: 'plib/x.php', data: '<?php' }, { name: 'meta.xml', data: metaXml({ version: '1.2.0', release: '3' }), deflate }]);
      const xml = readZipEntry(zip, 'meta.xml')!.toString();
      assert.deepEqual(parseExtensionMeta(xml), { meta: { id: 'sendtrace', version: '1.2.0', release: '3' } });
    }
  });

  it('says what is wrong with a package that is not one', () => {
    assert.equal(readZipEntry(makeZip([{ name: 'other.txt', data: 'x' }]), 'meta.xml'), null);
    assert.throws(() => readZipEntry(Buffer.from('not a zip at all, just text'), 'meta.xml'), /not a zip archive/);
    assert.match(JSON.stringify(parseExtensionMeta('<module><id>sendtrace</id></module>')), /"error":"meta\.xml <version>/);
    assert.match(JSON.stringify(parseExtensionMeta('<module><id>../../etc</id><version>1</version></module>')), /<id> is not an extension id/);
  });

  it('orders versions numerically, then by release', () => {
    const v = (version: string, release = '1') => ({ version, release });
    assert.equal(compareVersions(v('1.10.0'), v('1.9.9')), 1);
    assert.equal(compareVersions(v('1.2'), v('1.2.0')), 0);
    assert.equal(compareVersions(v('1.2.0', '2'), v('1.2.0', '10')), -1);
  });
});
