import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ByteReader,
  ByteWriter,
  MalformedBytesError,
  unzigzag,
  zigzag,
} from '../../src/wal/bytes.js';

/** What `write` puts into a fresh writer. */
function written(write: (writer: ByteWriter) => void, initialBytes?: number): Buffer {
  const writer = new ByteWriter(initialBytes);
  write(writer);

  return writer.take();
}

/** A reader over all of `bytes`. */
function readerOf(bytes: readonly number[] | Buffer): ByteReader {
  const buffer = Buffer.from(bytes);

  return new ByteReader(buffer, 0, buffer.length);
}

/** Writes `texts`, asserts they read back exactly and fill the bytes, and returns the bytes. */
function textsRoundTrip(texts: readonly string[]): Buffer {
  const bytes = written((writer) => {
    for (const text of texts) writer.text(text);
  });
  const reader = readerOf(bytes);

  assert.deepEqual(
    texts.map(() => reader.text()),
    texts,
  );
  assert.equal(reader.isDone, true);

  return bytes;
}

/** Asserts `read` throws MalformedBytesError with `message`. */
function assertMalformed(read: () => unknown, message: string): void {
  assert.throws(read, (error: unknown) => {
    assert.ok(error instanceof MalformedBytesError, String(error));
    assert.equal(error.message, message);
    assert.equal(error.name, 'MalformedBytesError');

    return true;
  });
}

describe('varints', () => {
  const cases: [number, number[]][] = [
    [0, [0x00]],
    [1, [0x01]],
    [127, [0x7f]],
    [128, [0x80, 0x01]],
    [255, [0xff, 0x01]],
    [16_383, [0xff, 0x7f]],
    [16_384, [0x80, 0x80, 0x01]],
    [2 ** 31 - 1, [0xff, 0xff, 0xff, 0xff, 0x07]],
    [2 ** 31, [0x80, 0x80, 0x80, 0x80, 0x08]],
    [2 ** 32, [0x80, 0x80, 0x80, 0x80, 0x10]],
    [2 ** 53 - 1, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]],
  ];

  it('write 7 bits a byte, lowest first, in at most 8 bytes', () => {
    for (const [value, bytes] of cases) {
      assert.deepEqual([...written((writer) => writer.varint(value))], bytes, String(value));
    }
  });

  it('read back what they wrote, each from where the last ended', () => {
    const all = written((writer) => {
      for (const [value] of cases) writer.varint(value);
    });
    const reader = readerOf(all);

    assert.deepEqual(
      cases.map(() => reader.varint()),
      cases.map(([value]) => value),
    );
    assert.equal(reader.isDone, true);
  });

  it('refuse a number that runs past the end, past 2^53, or past 8 bytes', () => {
    assertMalformed(() => readerOf([]).varint(), 'a number runs past the end');
    assertMalformed(() => readerOf([0x80, 0x80]).varint(), 'a number runs past the end');
    assertMalformed(
      () => readerOf([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10]).varint(),
      'a number past 2^53',
    );
    assertMalformed(() => readerOf(Array(9).fill(0x80)).varint(), 'a number longer than 8 bytes');
  });
});

describe('zigzag', () => {
  it('maps small magnitudes to small numbers, both ways', () => {
    const cases: [number, number][] = [
      [0, 0],
      [-1, 1],
      [1, 2],
      [-2, 3],
      [63, 126],
      [-64, 127],
      [64, 128],
      [2 ** 31, 2 ** 32],
      [-(2 ** 31), 2 ** 32 - 1],
      [2 ** 52 - 1, 2 ** 53 - 2],
      [-(2 ** 52), 2 ** 53 - 1],
    ];

    for (const [signed, unsigned] of cases) {
      assert.equal(zigzag(signed), unsigned, `zigzag(${signed})`);
      assert.equal(unzigzag(unsigned), signed, `unzigzag(${unsigned})`);
    }
  });
});

describe('doubles, u32s and text', () => {
  it('write doubles as 8 bytes, little-endian, and read back every bit', () => {
    const values = [0, -0, 1 / 3, -1.5, Number.MAX_VALUE, Number.MIN_VALUE, Infinity, -Infinity];
    const bytes = written((writer) => {
      for (const value of values) writer.double(value);
    });
    const reader = readerOf(bytes);

    values.forEach((value, i) => {
      assert.equal(bytes.readDoubleLE(8 * i), value);
      assert.ok(Object.is(reader.double(), value), String(value));
    });
    assert.ok(Number.isNaN(readerOf(written((writer) => writer.double(Number.NaN))).double()));
  });

  it('write u32s little-endian, also over bytes already written', () => {
    const bytes = written((writer) => {
      writer.u32(0);
      writer.u32(0xdeadbeef);
      writer.u32At(0, 7);
    });

    assert.deepEqual([...bytes], [7, 0, 0, 0, 0xef, 0xbe, 0xad, 0xde]);
    assert.equal(readerOf(bytes.subarray(4)).u32(), 0xdeadbeef);
  });

  it('write text as its UTF-8 byte length and bytes, and read it back', () => {
    const texts = ['', 'payments', 'ünïcödé 🚀', 'x'.repeat(300)];
    const bytes = textsRoundTrip(texts);

    assert.equal(bytes[0], 0);
    assert.equal(
      bytes.length,
      texts.reduce((sum, text) => sum + 1 + Buffer.byteLength(text), 1),
    );
  });
});

describe('text that is not well-formed UTF-16', () => {
  it('goes as JSON with an odd length header and reads back exactly', () => {
    const bytes = textsRoundTrip([
      'a\ud800b',
      '\udc00',
      'cut \ud83d',
      '\ud83d\ude80 pair',
      'plain',
    ]);

    // The first has a lone surrogate: marked JSON.
    assert.equal((bytes[0] as number) % 2, 1);
    assert.deepEqual(readerOf(written((writer) => writer.text('\ud83d\ude80'))).text(), '🚀');
  });

  it('refuses text marked as JSON that is not a JSON string', () => {
    const marked = (json: string): ByteReader =>
      readerOf([Buffer.byteLength(json) * 2 + 1, ...Buffer.from(json)]);

    assertMalformed(() => marked('{"a":1}').text(), 'text marked as JSON is not a string');
    assertMalformed(() => marked('"open').text(), 'text marked as JSON does not parse');
    assertMalformed(() => marked('').text(), 'text marked as JSON does not parse');
  });
});

describe('ByteReader', () => {
  it('refuses every field that runs past its end, even inside a longer buffer', () => {
    const buffer = Buffer.alloc(16, 1);
    const at = (start: number, end: number): ByteReader => new ByteReader(buffer, start, end);

    assertMalformed(() => at(16, 16).byte(), 'a field runs past the end');
    assertMalformed(() => at(0, 7).double(), 'a field runs past the end');
    assertMalformed(() => at(4, 7).u32(), 'a field runs past the end');
    assertMalformed(() => at(0, 3).skip(4), 'a field runs past the end');
    // A text whose length goes past the end of the range, not of the buffer.
    const text = new ByteReader(Buffer.from([4, 1, 1, 1]), 0, 2);
    assertMalformed(() => text.text(), 'a field runs past the end');
  });

  it('reads only inside its range and tells when it is done', () => {
    const reader = new ByteReader(Buffer.from([9, 8, 7, 6]), 1, 3);

    assert.equal(reader.isDone, false);
    assert.deepEqual([reader.byte(), reader.byte()], [8, 7]);
    assert.equal(reader.isDone, true);
    assertMalformed(() => reader.byte(), 'a field runs past the end');
  });
});

describe('ByteWriter', () => {
  it('grows past its first buffer and keeps what it wrote', () => {
    const bytes = written((writer) => {
      for (let i = 0; i < 1000; i++) writer.varint(i * 1000);
      writer.text('z'.repeat(5000));
    }, 4);
    const reader = readerOf(bytes);

    for (let i = 0; i < 1000; i++) assert.equal(reader.varint(), i * 1000);
    assert.equal(reader.text(), 'z'.repeat(5000));
    assert.equal(reader.isDone, true);
  });

  it('writes unchecked varints into room reserved first', () => {
    const writer = new ByteWriter(2);
    writer.reserve(16);
    writer.varintUnchecked(2 ** 53 - 1);
    writer.varintUnchecked(300);

    assert.deepEqual(
      [...writer.take()],
      [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 0xac, 0x02],
    );
  });

  it('hands out copies that later writes do not touch', () => {
    const writer = new ByteWriter(8);
    writer.copy(Buffer.from([1, 2, 3, 4]), 1, 3);
    const first = writer.take();
    writer.reset();
    writer.byte(9);

    assert.deepEqual([...first], [2, 3]);
    assert.deepEqual([...writer.take()], [9]);
  });
});
