import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Meter, measureTps } from '../../src/meter/index.js';
import type { RecordDraft } from '../../src/protocol/types.js';
import { FakeClock } from '../helpers/fake-clock.js';

// Compiled with `experimentalDecorators: true`, as NestJS projects are: the decorator receives
// (target, propertyKey, descriptor) and must return the descriptor with `value` wrapped.

const clock = new FakeClock();
const meter = new Meter({ clock });
const agent = { meter };

function byEndpoint(drafts: RecordDraft[]): Record<string, RecordDraft> {
  return Object.fromEntries(drafts.map((d) => [d.endpoint, d]));
}

class OrdersController {
  static created = 0;
  private readonly prefix = 'order';

  @measureTps({ gateway: 'orders', agent })
  find(id: number, verbose?: boolean): string {
    return `${this.prefix}-${id}${verbose === true ? '!' : ''}`;
  }

  @measureTps({ gateway: 'orders', endpoint: 'create-order', tags: { version: 2 }, agent })
  async create(name: string): Promise<string> {
    await Promise.resolve();
    clock.advance(12);
    OrdersController.created++;
    return `${this.prefix}:${name}`;
  }

  @measureTps({ gateway: 'orders', agent })
  remove(): never {
    throw new RangeError('no such order');
  }

  @measureTps({ gateway: 'orders', agent })
  async cancel(): Promise<never> {
    throw new Error('too late');
  }

  @measureTps({ gateway: 'orders', agent })
  static health(): string {
    return this === OrdersController ? 'ok' : 'wrong this';
  }
}

describe('measureTps as a legacy decorator', () => {
  it('keeps `this`, arguments and return values of several decorated methods', async () => {
    meter.drain();
    const controller = new OrdersController();

    assert.equal(controller.find(7), 'order-7');
    assert.equal(controller.find(8, true), 'order-8!');
    assert.equal(await controller.create('pen'), 'order:pen');
    assert.equal(OrdersController.created, 1);

    const drafts = byEndpoint(meter.drain());
    assert.equal(drafts.find?.count, 2);
    assert.equal(drafts['create-order']?.count, 1);
    assert.equal(drafts['create-order']?.duration_max_ms, 12);
    assert.deepEqual(drafts['create-order']?.tags, { version: '2' });
  });

  it('rethrows errors of sync and async methods unchanged and counts them', async () => {
    meter.drain();
    const controller = new OrdersController();

    assert.throws(() => controller.remove(), { name: 'RangeError', message: 'no such order' });
    await assert.rejects(controller.cancel(), { name: 'Error', message: 'too late' });

    const drafts = byEndpoint(meter.drain());
    assert.deepEqual(drafts.remove?.error_kinds, { 'RangeError: no such order': 1 });
    assert.deepEqual(drafts.cancel?.error_kinds, { 'Error: too late': 1 });
  });

  it('measures static methods with the class as `this`', () => {
    meter.drain();

    assert.equal(OrdersController.health(), 'ok');
    assert.equal(byEndpoint(meter.drain()).health?.count, 1);
  });

  it('keeps the method name and length, and the descriptor flags', () => {
    const descriptor = Object.getOwnPropertyDescriptor(OrdersController.prototype, 'find');

    assert.equal(descriptor?.enumerable, false);
    assert.equal(descriptor?.writable, true);
    assert.equal(OrdersController.prototype.find.name, 'find');
    assert.equal(OrdersController.prototype.find.length, 2);
  });

  it('refuses an accessor, naming what it got', () => {
    const decorate = measureTps({ gateway: 'g', agent }) as unknown as (
      target: object,
      key: string,
      descriptor: PropertyDescriptor,
    ) => unknown;
    const accessor: PropertyDescriptor = { get: () => 1, configurable: true };

    assert.throws(() => decorate({}, 'total', accessor), {
      code: 'ERR_TPS_CONFIG',
      message: /got an accessor/,
    });
  });

  it('names a symbol-keyed method after its description', () => {
    meter.drain();
    const key = Symbol('lookup');
    class Registry {
      @measureTps({ gateway: 'registry', agent })
      [key](): string {
        return 'found';
      }
    }

    assert.equal(new Registry()[key](), 'found');
    assert.equal(meter.drain()[0]?.endpoint, 'lookup');
  });

  it('counts failures without kinds when trackErrors is false', () => {
    meter.drain();
    class Vault {
      @measureTps({ gateway: 'vault', trackErrors: false, agent })
      open(): never {
        throw new Error('code 1234 is wrong');
      }
    }

    assert.throws(() => new Vault().open(), { message: 'code 1234 is wrong' });
    const [draft] = meter.drain();
    assert.equal(draft?.errors, 1);
    assert.deepEqual(draft?.error_kinds, {});
  });

  it('runs decorated methods unmeasured without an agent', () => {
    class Plain {
      @measureTps({ gateway: 'plain' })
      double(n: number): number {
        return n * 2;
      }
    }

    assert.equal(new Plain().double(21), 42);
  });

  it('refuses options that name no gateway when the class is defined', () => {
    assert.throws(
      () => {
        class Broken {
          @measureTps({ gateway: '' })
          run(): void {}
        }
        return Broken;
      },
      { code: 'ERR_TPS_CONFIG', field: 'gateway' },
    );
  });
});
