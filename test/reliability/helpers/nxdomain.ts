// A loopback DNS server that answers every query with NXDOMAIN at once, so commands that look up
// SRV records (the kms backend's /ato) end quickly and never leave the machine.

import { createSocket } from 'node:dgram';
import packet from 'dns-packet';

export interface NxdomainServer {
  address: string;
  queries: number;
  close(): Promise<void>;
}

export async function startNxdomainServer(): Promise<NxdomainServer> {
  const socket = createSocket('udp4');
  const state = { queries: 0 };
  socket.on('message', (message, remote) => {
    state.queries += 1;
    try {
      const query = packet.decode(message);
      const answer = packet.encode({
        id: query.id,
        type: 'response',
        flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | 3,
        questions: query.questions,
      });
      socket.send(answer, remote.port, remote.address);
    } catch {
      // Not a DNS query: no answer.
    }
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  return {
    address: `127.0.0.1:${port}`,
    get queries() {
      return state.queries;
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
