/**
 * The stand-in kubelet's DNS (loaded with `node --import` into every pod process it starts, and
 * into the operator the tests run): names listed in the hosts file named by
 * RINGCACHE_STANDIN_HOSTS (`<ip> <name>` lines, rewritten by kubelet.ts as pods come and go)
 * resolve to their pod's loopback address; other names under `.svc` do not exist, as in a
 * cluster's DNS; everything else resolves as usual. node:http, node:net and fetch all look names
 * up through dns.lookup.
 */
import dns from 'node:dns';
import { readFileSync } from 'node:fs';

const hostsFile = process.env.RINGCACHE_STANDIN_HOSTS;
const original = dns.lookup;
const originalPromise = dns.promises.lookup;

/** The address of `name`; null when it is a cluster name nobody serves; undefined when not ours. */
function resolve(name) {
  if (!hostsFile) return undefined;
  let text = '';
  try {
    text = readFileSync(hostsFile, 'utf8');
  } catch {
    // no pods yet
  }
  for (const line of text.split('\n')) {
    const [ip, host] = line.trim().split(/\s+/);
    if (host === name) return ip;
  }
  return /\.svc(\.cluster\.local)?\.?$/.test(name) ? null : undefined;
}

function notFound(name) {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), {
    code: 'ENOTFOUND',
    errno: -3008,
    syscall: 'getaddrinfo',
    hostname: name,
  });
}

dns.lookup = function lookup(name, options, callback) {
  const cb = typeof options === 'function' ? options : callback;
  const opts = typeof options === 'object' && options !== null ? options : {};
  const ip = resolve(name);
  if (ip === undefined) return original.call(this, name, options, callback);
  process.nextTick(() => {
    if (ip === null) cb(notFound(name));
    else if (opts.all) cb(null, [{ address: ip, family: 4 }]);
    else cb(null, ip, 4);
  });
  return {};
};

dns.promises.lookup = async function lookup(name, options) {
  const ip = resolve(name);
  if (ip === undefined) return originalPromise.call(this, name, options);
  if (ip === null) throw notFound(name);
  return options?.all ? [{ address: ip, family: 4 }] : { address: ip, family: 4 };
};
