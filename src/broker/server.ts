import net from 'node:net';
import type { BrokerContext } from './context.js';
import { Connection } from './connection.js';

/** The binary-protocol listener. Each socket gets its own Connection; one client's failure stays its own. */
export class PulsarServer {
  private readonly server: net.Server;
  private readonly connections = new Set<Connection>();

  constructor(private readonly ctx: BrokerContext) {
    this.server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  connectionCount(): number {
    return this.connections.size;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const connection of this.connections) connection.close('broker shutting down');
    this.connections.clear();
    await closed;
  }

  private accept(socket: net.Socket): void {
    socket.setKeepAlive(true);
    const connection = new Connection(socket, this.ctx);
    this.connections.add(connection);
    socket.on('close', () => this.connections.delete(connection));
  }
}
