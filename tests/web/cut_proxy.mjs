// A TCP proxy between the browser and the server, so the test can cut the page's
// connection as a network or server failure would — every open connection reset at
// once, new ones refused for a while — and point the page at a restarted server on
// another port without the page's address changing.
import net from 'node:net';

export function startCutProxy(targetPort) {
  let target = targetPort;
  let refuseUntil = 0;
  const pairs = new Set();
  const server = net.createServer((client) => {
    if (Date.now() < refuseUntil) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(target, '127.0.0.1');
    const pair = { client, upstream };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({
      port: server.address().port,
      setTarget(port) { target = port; },
      // Resets every open connection and refuses new ones for `ms`.
      cut(ms) {
        refuseUntil = Date.now() + ms;
        for (const { client, upstream } of [...pairs]) {
          client.resetAndDestroy();
          upstream.destroy();
        }
      },
      openConnections() { return pairs.size; },
      close() {
        for (const { client, upstream } of pairs) { client.destroy(); upstream.destroy(); }
        return new Promise((done) => server.close(() => done()));
      },
    }));
  });
}
