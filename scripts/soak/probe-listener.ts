import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';

/** Connection attempts the dead collector's port received, by what the request was for. */
export interface ProbeCounts {
  /** Every connection accepted. */
  connections: number;
  /** Requests that started `POST /api/v1/metrics/batch`. */
  batches: number;
  /** Requests that started `POST /api/v1/agent/heartbeat`. */
  heartbeats: number;
}

/**
 * Stands in for a collector that is down: listens on its port, reads the request line of each
 * connection to tell batches from heartbeats, then destroys the socket unanswered. The agent
 * sees a reset, as from a crashed server, and the soak sees how often it knocked.
 */
export class ProbeListener {
  readonly counts: ProbeCounts = { connections: 0, batches: 0, heartbeats: 0 };
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  private constructor() {
    this.server = createServer((socket) => this.accept(socket));
  }

  /** Listens on `127.0.0.1:<port>`. */
  static async listen(port: number): Promise<ProbeListener> {
    const listener = new ProbeListener();
    listener.server.listen(port, '127.0.0.1');
    await once(listener.server, 'listening');

    return listener;
  }

  /** Stops listening and drops every connection still open. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
    await once(this.server, 'close');
  }

  private accept(socket: Socket): void {
    this.counts.connections += 1;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.once('data', (chunk: Buffer) => {
      const requestLine = chunk.toString('latin1', 0, 80);
      if (requestLine.startsWith('POST /api/v1/metrics/batch')) this.counts.batches += 1;
      if (requestLine.startsWith('POST /api/v1/agent/heartbeat')) this.counts.heartbeats += 1;
      socket.destroy();
    });
  }
}
