// A `node --import` preload for gatecheck's interop run: every server this process opens
// listens on loopback only. The Portkey gateway has no host option (its start-server calls
// @hono/node-server's serve({fetch, port}), which listens on every interface), and
// gatecheck's traffic never leaves the machine. GATECHECK_LISTEN_HOST overrides the address.
import net from "node:net";

const HOST = process.env.GATECHECK_LISTEN_HOST || "127.0.0.1";
const listen = net.Server.prototype.listen;

net.Server.prototype.listen = function (...args) {
  const first = args[0];
  if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) {
    // listen(port[, host][, backlog][, callback]): put HOST in the host slot
    if (args.length > 1 && (typeof args[1] === "string" || args[1] == null)) {
      args[1] = HOST;
    } else {
      args.splice(1, 0, HOST);
    }
  } else if (first !== null && typeof first === "object" && !("_handle" in first)
             && !("fd" in first) && !("path" in first)) {
    // listen({port, host, ...}): a handle, fd or unix socket path is left alone
    args[0] = { ...first, host: HOST };
  }
  return listen.apply(this, args);
};
