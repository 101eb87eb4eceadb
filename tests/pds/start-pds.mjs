// Start the reference AT Protocol PDS (plus an in-memory PLC) for socialhub's tests.
//
// Prints ONE JSON line on stdout once the PDS answers, e.g.
//   {"url":"http://127.0.0.1:41234","plcUrl":"http://127.0.0.1:40111","startupMs":812,...}
// then stays up until stdin closes or it gets SIGTERM/SIGINT, and removes every
// file it wrote. It needs Node.js >= 22 (see scripts/setup-pds.sh).
//
// Nothing here reaches outside the machine: the PLC is in memory, the blob
// store and databases live in a private temp dir, email is never configured,
// the AppView/moderation URLs are ".invalid" and no test path calls them.
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'

const started = Date.now()

// Everything dev-env writes (PDS data dir, blob store, port locks) goes under
// os.tmpdir(); pointing TMPDIR at a private dir lets us delete it all on exit.
const workDir = mkdtempSync(path.join(os.tmpdir(), 'socialhub-pds-'))
process.env.TMPDIR = workDir

// The PDS and the PLC call listen(port) with no host, i.e. on every interface.
// Tests must only ever be reachable on loopback, so default the host here.
const origListen = net.Server.prototype.listen
net.Server.prototype.listen = function listen(...args) {
  if (typeof args[0] === 'number' && (args.length === 1 || typeof args[1] === 'function')) {
    args.splice(1, 0, '127.0.0.1')
  } else if (args[0] && typeof args[0] === 'object' && args[0].port !== undefined && !args[0].host) {
    args[0] = { ...args[0], host: '127.0.0.1' }
  }
  return origListen.apply(this, args)
}

// The package entry also loads the AppView, Ozone and friends (~2 s more);
// the file holding TestNetworkNoAppView needs only the PDS and the PLC. The
// version is pinned in package.json, so the dist layout is known.
const loadDevEnv = async () => {
  try {
    return await import(
      new URL('./node_modules/@atproto/dev-env/dist/network-no-appview.js', import.meta.url).href
    )
  } catch {
    return await import('@atproto/dev-env')
  }
}

let network
let closing = false
const shutdown = async (code) => {
  if (closing) return
  closing = true
  try {
    if (network) await network.close()
  } catch (err) {
    process.stderr.write(`start-pds: error while closing: ${err?.stack ?? err}\n`)
  } finally {
    rmSync(workDir, { recursive: true, force: true })
    process.exit(code)
  }
}

process.on('SIGTERM', () => shutdown(0))
process.on('SIGINT', () => shutdown(0))
process.stdin.on('end', () => shutdown(0))
process.stdin.on('error', () => shutdown(0))
process.stdin.resume()

try {
  const { TestNetworkNoAppView } = await loadDevEnv()
  // TestPds puts its databases and blob store in fresh dirs under os.tmpdir(),
  // which is workDir now.
  network = await TestNetworkNoAppView.create({})
  const port = network.pds.port
  const line = {
    url: `http://127.0.0.1:${port}`,
    publicUrl: network.pds.url,
    plcUrl: `http://127.0.0.1:${network.plc.port}`,
    serviceDid: network.pds.ctx.cfg.service.did,
    handleDomains: network.pds.ctx.cfg.identity.serviceHandleDomains,
    node: process.version,
    startupMs: Date.now() - started,
  }
  process.stdout.write(JSON.stringify(line) + '\n')
} catch (err) {
  process.stderr.write(`start-pds: could not start the PDS: ${err?.stack ?? err}\n`)
  await shutdown(1)
}
