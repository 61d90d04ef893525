import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Meter, measureTps } from '../../src/meter/index.js';
import type { RecordDraft } from '../../src/protocol/types.js';
import { FakeClock } from '../helpers/fake-clock.js';

const clock = new FakeClock();
const meter = new Meter({ clock });
const agent = { meter };

function byEndpoint(drafts: RecordDraft[]): Record<string, RecordDraft> {
  return Object.fromEntries(drafts.map((d) => [d.endpoint, d]));
}

class PaymentService {
  static instances = 0;
  private readonly fee = 2;

  @measureTps({ gateway: 'payments', agent })
  charge(amount: number, currency = 'EUR'): string {
    return `${amount + this.fee} ${currency}`;
  }

  @measureTps({ gateway: 'payments', endpoint: 'refund-v2', tags: { region: 'eu' }, agent })
  async refund(id: string): Promise<string> {
    await Promise.resolve();
    clock.advance(5);
    return `${id}:${this.fee}`;
  }

  @measureTps({ gateway: 'payments', agent })
  fail(message: string): never {
    throw new Error(message);
  }

  @measureTps({ gateway: 'payments', agent })
  async rejectLater(): Promise<never> {
    throw new TypeError('declined');
  }

  @measureTps({ gateway: 'payments', agent })
  static create(): PaymentService {
    PaymentService.instances++;
    return new this();
  }

  @measureTps({ gateway: 'payments', agent })
  #secret(): number {
    return this.fee * 10;
  }

  callSecret(): number {
    return this.#secret();
  }

  @measureTps({ gateway: 'payments', agent })
  [Symbol.for('symbolic')](): string {
    return 'sym';
  }
}

describe('measureTps as a standard decorator', () => {
  it('keeps `this`, arguments and return values of several decorated methods', async () => {
    meter.drain();
    const service = new PaymentService();

    assert.equal(service.charge(3), '5 EUR');
    assert.equal(service.charge(3, 'USD'), '5 USD');
    assert.equal(await service.refund('r1'), 'r1:2');

    const drafts = byEndpoint(meter.drain());
    assert.equal(drafts.charge?.count, 2);
    assert.equal(drafts['refund-v2']?.count, 1);
    assert.deepEqual(drafts['refund-v2']?.tags, { region: 'eu' });
    assert.equal(drafts['refund-v2']?.duration_max_ms, 5);
  });

  it('rethrows errors of sync and async methods unchanged and counts them', async () => {
    meter.drain();
    const service = new PaymentService();

    assert.throws(() => service.fail('boom'), { name: 'Error', message: 'boom' });
    await assert.rejects(service.rejectLater(), { name: 'TypeError', message: 'declined' });

    const drafts = byEndpoint(meter.drain());
    assert.deepEqual(drafts.fail?.error_kinds, { 'Error: boom': 1 });
    assert.deepEqual(drafts.rejectLater?.error_kinds, { 'TypeError: declined': 1 });
  });

  it('measures static methods with the class as `this`', () => {
    meter.drain();

    const made = PaymentService.create();

    assert.ok(made instanceof PaymentService);
    assert.equal(PaymentService.instances, 1);
    assert.equal(byEndpoint(meter.drain()).create?.count, 1);
  });

  it('names private and symbol-keyed methods after their key', () => {
    meter.drain();
    const service = new PaymentService();

    assert.equal(service.callSecret(), 20);
    assert.equal(
      (service as unknown as Record<symbol, () => string>)[Symbol.for('symbolic')]?.(),
      'sym',
    );

    const endpoints = meter.drain().map((d) => d.endpoint);
    assert.deepEqual(endpoints.sort(), ['#secret', 'symbolic']);
  });

  it('keeps the method name and length', () => {
    assert.equal(PaymentService.prototype.charge.name, 'charge');
    assert.equal(PaymentService.prototype.charge.length, 1);
    assert.equal(PaymentService.prototype.refund.length, 1);
  });

  it('refuses to decorate a getter, naming what it got', () => {
    const decorate = measureTps({ gateway: 'g', agent }) as unknown as (
      value: unknown,
      context: { kind: string; name: string },
    ) => unknown;

    assert.throws(() => decorate(() => 1, { kind: 'getter', name: 'total' }), {
      code: 'ERR_TPS_CONFIG',
      message: /methods .* got a getter/,
    });
  });

  it('measures the decorated method when a subclass calls it through super', () => {
    meter.drain();
    class Premium extends PaymentService {
      override charge(amount: number): string {
        return `premium ${super.charge(amount)}`;
      }
    }

    assert.equal(new Premium().charge(1), 'premium 3 EUR');
    assert.equal(byEndpoint(meter.drain()).charge?.count, 1);
  });

  it('names a method series by method name, so same-named methods of two classes share one', () => {
    meter.drain();
    class Other {
      @measureTps({ gateway: 'payments', agent })
      charge(): string {
        return 'other';
      }
    }

    new Other().charge();
    new PaymentService().charge(1);

    const drafts = meter.drain();
    assert.equal(drafts.length, 1);
    assert.equal(drafts[0]?.count, 2);
  });
});
