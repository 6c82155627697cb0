// The web page in a real browser: Debian's chromium driven by playwright-core.
//
//   node chat_page_test.mjs                 # against $CHATD_BIN or ../../build/chatd
//   node chat_page_test.mjs --fake          # against fake_chatd.mjs (the page alone)
//   node chat_page_test.mjs --screenshots DIR
//
// Two pages chat with each other, with a JSON-lines client and (against chatd) a text
// user in one room; typing shows on the other page; a whisper arrives; the page's
// connection is cut while others keep sending, and the page reconnects and shows every
// message exactly once, in seq order; after a server restart the page reconnects and
// shows the gap notice (the room's epoch changed). Output is TAP.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startCutProxy } from './cut_proxy.mjs';
import { startFakeChatd } from './fake_chatd.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const useFake = args.includes('--fake');
const shotDir = args.includes('--screenshots') ? args[args.indexOf('--screenshots') + 1] : path.join(HERE, 'out');
const CHATD = process.env.CHATD_BIN || path.join(HERE, '..', '..', 'build', 'chatd');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let step = 0;
let failures = 0;
function ok(cond, what, detail = '') {
  step++;
  if (cond) console.log(`ok ${step} - ${what}`);
  else {
    failures++;
    console.log(`not ok ${step} - ${what}${detail ? `\n  # ${detail}` : ''}`);
  }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- servers

function startChatd() {
  return new Promise((resolve, reject) => {
    const proc = spawn(CHATD, ['--port', '0', '--bind', '127.0.0.1', '--metrics-port', '0', '--shards', '2'],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let seen = '';
    const onData = (d) => {
      seen += d;
      const m = /chatd ready:.*\bport=(\d+)/.exec(seen);
      if (m) resolve({ port: Number(m[1]), close: () => stop(proc) });
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`chatd exited (${code}) before ready:\n${seen}`)));
  });
}

function stop(proc) {
  return new Promise((resolve) => {
    proc.removeAllListeners('exit');
    proc.on('exit', () => resolve());
    proc.kill('SIGKILL');  // a crash, as far as the page can tell: no server_shutdown
  });
}

const startServer = () => (useFake ? startFakeChatd() : startChatd());

async function servesHttp(port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    return res.status === 200 && (await res.text()) === 'ok\n';
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- TCP clients

// A line-based TCP client: JSON lines (json: true) or chatd's text mode.
function lineClient(port, json) {
  const sock = net.connect(port, '127.0.0.1');
  const lines = [];
  let buf = '';
  sock.setEncoding('utf8');
  sock.on('data', (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).replace(/\r$/, '');
      buf = buf.slice(nl + 1);
      lines.push(json ? JSON.parse(line) : line);
    }
  });
  sock.on('error', () => {});
  return {
    lines,
    send: (x) => sock.write((json ? JSON.stringify(x) : x) + '\n'),
    async waitFor(pred, ms = 5000) {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        const hit = lines.find(pred);
        if (hit !== undefined) return hit;
        await sleep(20);
      }
      return undefined;
    },
    close: () => sock.destroy(),
  };
}

// ---------------------------------------------------------------- pages

async function openPage(browser, base, name, errors, viewport = { width: 1100, height: 720 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(`${name}: ${e.message}`));
  // The browser logs each refused WebSocket connect itself: expected while the link is cut.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/^WebSocket connection to .* failed/.test(m.text())) {
      errors.push(`${name}: console: ${m.text()}`);
    }
  });
  const res = await page.goto(base);
  await page.fill('#login-name', name);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#conn-status[data-state=open]');
  await page.waitForFunction(() => document.querySelector('#view-title').textContent === '#lobby');
  return { page, res };
}

async function say(page, text) {
  await page.fill('#compose-input', text);
  await page.press('#compose-input', 'Enter');
}

const shows = (page, text, timeout = 5000) => page.waitForFunction(
  (t) => [...document.querySelectorAll('#messages li.msg .text')].some((e) => e.textContent === t), text, { timeout },
).then(() => true, () => false);

const pageMessages = (page) => page.$$eval('#messages li.msg', (els) => els.map((e) => ({
  seq: Number(e.dataset.seq), from: e.querySelector('.from').textContent, text: e.querySelector('.text').textContent,
})));

// axe-core's findings on the page as it is now, as "rule (impact): targets" strings.
async function accessibilityViolations(page) {
  await page.evaluate(AXE_SOURCE);  // devtools evaluation: not an inline script, so the CSP allows it
  const result = await page.evaluate(() => globalThis.axe.run());
  return result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

// ---------------------------------------------------------------- the test

async function main() {
  let server = await startServer();
  // chatd serves the page: a server that does not is a failure, never a skip
  // (run_page_test.sh skips only where node, npm or chromium is missing).
  if (!(await servesHttp(server.port))) {
    await server.close();
    console.log(`not ok 1 - ${useFake ? 'fake_chatd.mjs' : CHATD} answers GET /healthz with 200 ok`);
    console.log('1..1');
    process.exit(1);
  }
  const proxy = await startCutProxy(server.port);
  const base = `http://127.0.0.1:${proxy.port}/`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const errors = [];
  console.log(`# server: ${useFake ? 'fake_chatd.mjs' : CHATD}, browser: ${CHROMIUM} ${browser.version()}`);
  fs.mkdirSync(shotDir, { recursive: true });
  const loginPage = await browser.newPage();
  await loginPage.goto(base);
  const loginFindings = await accessibilityViolations(loginPage);
  ok(loginFindings.length === 0, 'axe-core finds nothing on the login screen', loginFindings.join(' | '));
  await loginPage.close();

  const { page: alice, res } = await openPage(browser, base, 'alice', errors);
  ok(/default-src 'self'/.test(res.headers()['content-security-policy'] || ''), 'the page is served with its CSP');
  const { page: bob } = await openPage(browser, base, 'bob', errors);
  ok(true, 'two pages logged in and joined lobby');

  const carol = lineClient(server.port, true);
  carol.send({ op: 'hello', user: 'carol' });
  carol.send({ op: 'join', room: 'lobby' });
  ok(!!(await carol.waitFor((e) => e.ev === 'joined')), 'a JSON client joined lobby');
  let dave = null;
  if (!useFake) {
    dave = lineClient(server.port, false);
    dave.send('dave');
    ok(!!(await dave.waitFor((l) => /lobby/.test(l))), 'a text user joined lobby');
  }

  await say(alice, 'hello from alice');
  ok(await shows(bob, 'hello from alice'), "bob's page shows alice's message");
  ok(!!(await carol.waitFor((e) => e.ev === 'msg' && e.text === 'hello from alice')), 'the JSON client got it');
  if (dave) ok(!!(await dave.waitFor((l) => l.includes('alice') && l.includes('hello from alice'))), 'the text user got it');

  carol.send({ op: 'msg', room: 'lobby', text: 'hi from carol' });
  ok(await shows(alice, 'hi from carol') && await shows(bob, 'hi from carol'), 'both pages show the JSON client');
  if (dave) {
    dave.send('hey from dave');
    ok(await shows(alice, 'hey from dave') && await shows(bob, 'hey from dave'), 'both pages show the text user');
  }

  await bob.type('#compose-input', 'typing…', { delay: 30 });
  ok(await alice.waitForFunction(() => document.querySelector('#typing').textContent.includes('bob is typing'))
    .then(() => true, () => false), "alice's page shows that bob is typing");
  await say(bob, 'and bob answers');
  ok(await shows(alice, 'and bob answers'), "alice's page shows bob's answer");

  await alice.click('#people button[aria-label="Whisper to bob"]');
  await say(alice, 'psst, bob');
  await bob.click('#my-rooms button[aria-label^="Whispers with alice"]');
  ok(await shows(bob, 'psst, bob'), 'a whisper reaches the other page');
  await alice.click('#my-rooms button[aria-label^="Room lobby"]');
  await bob.click('#my-rooms button[aria-label^="Room lobby"]');

  await alice.screenshot({ path: path.join(shotDir, 'web-page.png') });
  const phone = await openPage(browser, base, 'erin', errors, { width: 390, height: 780 });
  await say(phone.page, 'hello from a phone');
  await phone.page.screenshot({ path: path.join(shotDir, 'web-page-phone.png') });
  ok(await shows(alice, 'hello from a phone'), 'a phone-width page chats too');
  const chatFindings = [...await accessibilityViolations(alice), ...await accessibilityViolations(phone.page)];
  ok(chatFindings.length === 0, 'axe-core finds nothing on the chat screen, desktop and phone width',
    chatFindings.join(' | '));

  // ---- the page's connection is cut while the JSON client keeps sending
  const before = (await pageMessages(alice)).length;
  proxy.cut(3000);
  ok(await alice.waitForFunction(() => document.querySelector('#conn-status').dataset.state !== 'open')
    .then(() => true, () => false), "alice's page notices the cut");
  const burst = 30;
  for (let i = 0; i < burst; i++) {
    carol.send({ op: 'msg', room: 'lobby', text: `burst ${i}` });
    await sleep(100);
  }
  ok(await shows(alice, `burst ${burst - 1}`, 20000), "alice's page reconnected and caught up");
  await alice.waitForSelector('#conn-status[data-state=open]');
  await sleep(300);
  const after = await pageMessages(alice);
  const seqs = after.map((m) => m.seq);
  const inOrder = seqs.every((s, i) => i === 0 || s === seqs[i - 1] + 1);
  ok(inOrder, 'every message shown exactly once, in seq order, no gap', `seqs ${seqs.join(',')}`);
  const bursts = after.filter((m) => m.text.startsWith('burst ')).map((m) => m.text);
  ok(bursts.length === burst && new Set(bursts).size === burst, `all ${burst} messages sent during the cut, once each`,
    `got ${bursts.length}`);
  ok(after.length === before + burst, 'nothing else was added or lost', `${before} + ${burst} vs ${after.length}`);
  ok(await alice.$eval('#gap-notice', (e) => e.hidden), 'no gap notice after a recovered cut');

  // ---- the server restarts: rooms come back with a new epoch
  carol.close();
  if (dave) dave.close();
  await server.close();
  server = await startServer();
  proxy.setTarget(server.port);
  proxy.cut(200);
  ok(await alice.waitForFunction(() => {
    const n = document.querySelector('#gap-notice');
    return !n.hidden && /restarted/.test(n.textContent);
  }, null, { timeout: 30000 }).then(() => true, () => false), "after a restart alice's page shows the gap notice");
  ok(await alice.waitForFunction(() => !document.querySelector('#people button[aria-label="Whisper to carol"]'), null,
    { timeout: 15000 }).then(() => true, () => false), "after the restart alice's online list is fresh (carol is gone)");
  await alice.screenshot({ path: path.join(shotDir, 'web-page-gap.png') });
  await bob.waitForSelector('#conn-status[data-state=open]', { timeout: 30000 });
  await bob.waitForFunction(() => !document.querySelector('#gap-notice').hidden, null, { timeout: 30000 });
  await say(alice, 'back after the restart');
  ok(await shows(bob, 'back after the restart', 10000), 'the pages chat again after the restart');

  ok(errors.length === 0, 'no script errors in any page', errors.join(' | '));
  await browser.close();
  await proxy.close();
  await server.close();
  console.log(`1..${step}`);
  console.log(failures === 0 ? `# all ${step} passed` : `# ${failures} of ${step} failed`);
  process.exit(failures === 0 ? 0 : 1);
}

const guard = setTimeout(() => {
  console.log('not ok - the test took over 180 s');
  process.exit(1);
}, 180000);
guard.unref();
main().catch((e) => {
  console.log(`not ok - ${e.stack || e}`);
  process.exit(1);
});
