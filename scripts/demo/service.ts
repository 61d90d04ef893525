import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { type FastifyInstance } from 'fastify';
import { measureTps } from '../../src/index.js';

/** The demo's routes: one gateway each, to show the collector's figures side by side. */
export const ROUTES = [
  { gateway: 'payments', method: 'POST', path: '/pay' },
  { gateway: 'partner', method: 'GET', path: '/partner/quote' },
  { gateway: 'reports', method: 'GET', path: '/reports/daily' },
] as const;

/** The business code, measured with the decorator form, as a service would write it. */
class Shop {
  private quotes = 0;

  @measureTps({ gateway: 'payments', endpoint: 'POST /pay', tags: { region: 'eu' } })
  charge(amountCents: number): { status: string; amountCents: number } {
    return { status: 'charged', amountCents };
  }

  /** Every seventh quote fails, as a flaky partner would. */
  @measureTps({ gateway: 'partner', endpoint: 'GET /partner/quote' })
  async quote(): Promise<{ price: number }> {
    const quoteNumber = (this.quotes += 1);
    await sleep(1);
    if (quoteNumber % 7 === 0) throw new Error('partner timed out');
    return { price: 42 };
  }

  /** Slow: a report takes about 20 ms. */
  @measureTps({ gateway: 'reports', endpoint: 'GET /reports/daily' })
  async dailyReport(): Promise<{ rows: number }> {
    await sleep(20);
    return { rows: 1440 };
  }
}

/** Starts the demo service on a free loopback port. */
export async function startService(): Promise<{ app: FastifyInstance; url: string }> {
  const shop = new Shop();
  const app = Fastify({ logger: false });
  app.post('/pay', async () => shop.charge(1999));
  app.get('/partner/quote', async (_request, reply) => {
    try {
      return await shop.quote();
    } catch (error) {
      return reply.code(502).send({ error: (error as Error).message });
    }
  });
  app.get('/reports/daily', async () => shop.dailyReport());
  const url = await app.listen({ port: 0, host: '127.0.0.1' });

  return { app, url };
}
