import { once } from 'node:events';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionRecord } from '#shared/history/record.ts';
import { eventually, markerAction, startResponderHarness, startTestResponder, timesActed, type ResponderHarness } from '#test/support/responder-harness.ts';

// A responder that finished an action but whose outcome never reached the service (the network
// dropped every attempt), and which then stopped. No real server loses a connection on demand, so
// the responder talks to the service through a pass-through proxy that cuts the connection of the
// one request under test (the final report) and forwards everything else untouched.

let harness: ResponderHarness;
let markers: string;
let proxy: Server;
/** While true, the proxy cuts every POST of a final report (Completed or Error). */
let cutFinalReports = true;

beforeAll(async () => {
  harness = await startResponderHarness({ env: { PICKUP_DEADLINE_SECONDS: '120', COMPLETION_DEADLINE_SECONDS: '600' } });
  markers = await mkdtemp(join(tmpdir(), 'report-lost-markers-'));
  const service = new URL(harness.service.url);
  proxy = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      const final = (incoming.url ?? '').endsWith('/reports') && /"status":"(Completed|Error)"/.test(body.toString('utf8'));
      if (cutFinalReports && final) {
        incoming.socket.destroy();
        return;
      }
      const forwarded = httpRequest({ host: service.hostname, port: service.port, method: incoming.method, path: incoming.url, headers: incoming.headers }, (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      });
      forwarded.on('error', () => incoming.socket.destroy());
      forwarded.end(body);
    });
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
});

afterAll(async () => {
  proxy.closeAllConnections();
  proxy.close();
  await harness.close();
});

describe('an outcome the service never received', () => {
  it('is reported when the responder starts again, so the action ends Completed (not at its deadline), applied once', { timeout: 120_000 }, async () => {
    // Prepare: the responder reaches the API only through the proxy, which loses its Completed report.
    const stateDir = join(harness.dataDir, 'report-lost', 'lost-1');
    const proxied = `http://127.0.0.1:${String((proxy.address() as AddressInfo).port)}`;
    // (apiUrl is not among startTestResponder's typed options, which point at the service; it is spread last, so it wins.)
    const throughProxy = { name: 'lost-1', actions: [markerAction(markers)], stateDir, apiUrl: proxied };
    const lossy = await startTestResponder(harness, throughProxy);
    await eventually(() => lossy.logs.some((line) => line.includes('"responder registered"')), 30_000);
    const created = await harness.createHostAction('lost-1');
    await eventually(() => lossy.logs.some((line) => line.includes('report not applied') && line.includes('"outcome Completed"')), 60_000);
    await lossy.stop();
    const stranded = (await harness.call('GET', `/v1/actions/${created.id}`, await harness.analyst())).body as ActionRecord;

    // Act: started again, straight to the service.
    cutFinalReports = false;
    const again = await startTestResponder(harness, { name: 'lost-1', actions: [markerAction(markers)], stateDir });
    const done = await harness.until(created.id, (record) => record.status === 'Completed' || record.status === 'Error', 60_000);
    await again.stop();

    // Assess
    expect(stranded.status).toBe('Running');
    expect(done.status).toBe('Completed');
    expect(done.statusHistory.map((change) => change.status)).toEqual(['Created', 'Enqueued', 'Running', 'Completed']);
    expect(await timesActed(markers, created.id)).toBe(1);
    expect(again.logs.some((line) => line.includes('restart: outcome never answered for'))).toBe(true);
    const journal = JSON.parse(await readFile(join(stateDir, 'journal', `${created.id}.json`), 'utf8')) as Record<string, unknown>;
    expect(journal).toMatchObject({ state: 'done', reported: true, outcome: { status: 'Completed' } });
  });
});
