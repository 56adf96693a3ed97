import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { md5, md5Hex } from '../../atari/md5';

function nodeMd5(data: Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

describe('md5', () => {
  it('matches the RFC 1321 test suite', () => {
    const enc = new TextEncoder();
    const cases: [string, string][] = [
      ['', 'd41d8cd98f00b204e9800998ecf8427e'],
      ['a', '0cc175b9c0f1b6a831c399e269772661'],
      ['abc', '900150983cd24fb0d6963f7d28e17f72'],
      ['message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
      ['abcdefghijklmnopqrstuvwxyz', 'c3fcd3d76192e4007dfb496cca67e13b'],
      [
        '12345678901234567890123456789012345678901234567890123456789012345678901234567890',
        '57edf4a22be3c955ac49da2e2107b67a',
      ],
    ];
    for (const [text, digest] of cases) expect(md5Hex(enc.encode(text))).toBe(digest);
  });

  it('matches node:crypto on every length around the block boundaries and on ROM-sized inputs', () => {
    let seed = 12345;
    const rand = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed >>> 24;
    };
    const lengths = [...Array.from({ length: 200 }, (_, i) => i), 2048, 4096, 8192, 16384, 32768, 100800];
    for (const n of lengths) {
      const data = new Uint8Array(n);
      for (let i = 0; i < n; i++) data[i] = rand();
      expect(md5Hex(data), `length ${n}`).toBe(nodeMd5(data));
    }
  });

  it('returns 16 raw bytes', () => {
    const d = md5(new Uint8Array([1, 2, 3]));
    expect(d.length).toBe(16);
    expect(Buffer.from(d).toString('hex')).toBe(nodeMd5(new Uint8Array([1, 2, 3])));
  });
});
