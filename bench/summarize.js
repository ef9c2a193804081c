#!/usr/bin/env node
// Medians and ratios from bench/run.sh's results.jsonl, as a markdown table.
// usage: node bench/summarize.js results.jsonl [env.txt]
'use strict';
const fs = require('fs');

const [file, envFile] = process.argv.slice(2);
const rows = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('{'))
  .map((l) => { try { return JSON.parse(l); } catch { return null; } }).filter(Boolean);

// [label, mode, phase, key, better ('higher' | 'lower' | ''), decimals, aim]
const metrics = [
  ['Burst fan-out, deliveries/s (median burst)', 'fanout', 'burst', 'deliveries_per_s_median', 'higher', 0, '>= 3x'],
  ['Burst fan-out, server CPU ns per delivery', 'fanout', 'burst', 'server_cpu_ns_per_delivery', 'lower', 0, ''],
  ['Burst fan-out, server CPU % while a burst is in flight', 'fanout', 'burst', 'server_cpu_pct_busy', '', 0, ''],
  ['Burst fan-out, load generator CPU % while a burst is in flight', 'fanout', 'burst', 'client_cpu_pct_busy', '', 0, ''],
  ['Paced fan-out, latency p50 (us)', 'fanout', 'paced', 'lat_p50_us', 'lower', 0, ''],
  ['Paced fan-out, latency p99 (us)', 'fanout', 'paced', 'lat_p99_us', 'lower', 0, ''],
  ['Paced fan-out, server CPU ns per delivery', 'fanout', 'paced', 'server_cpu_ns_per_delivery', 'lower', 0, ''],
  ['Paced fan-out, server CPU %', 'fanout', 'paced', 'server_cpu_pct', 'lower', 1, ''],
  ['Ack round trip (paced), p50 (us)', 'ack', 'paced', 'rtt_p50_us', 'lower', 0, ''],
  ['Ack round trip (paced), p99 (us)', 'ack', 'paced', 'rtt_p99_us', 'lower', 0, ''],
  ['Ack (paced), server CPU ns per ack', 'ack', 'paced', 'server_cpu_ns_per_delivery', 'lower', 0, ''],
  ['Ack closed loop, acks/s', 'ack', 'closed', 'acks_per_s', 'higher', 0, ''],
  ['Ack closed loop, p99 (us)', 'ack', 'closed', 'rtt_p99_us', 'lower', 0, ''],
  ['Idle, server RSS per connection (bytes)', 'idle', undefined, 'bytes_per_conn', 'lower', 0, '<= 0.2x'],
  ['Idle, server RSS with all connections (kB)', 'idle', undefined, 'rss_after_kb', 'lower', 0, ''],
  ['Idle, server CPU us per connect', 'idle', undefined, 'server_cpu_us_per_connect', 'lower', 0, ''],
];

function values(server, m) {
  return rows.filter((r) => r.server === server && r.mode === m[1] && (m[2] === undefined || r.phase === m[2])
    && typeof r[m[3]] === 'number' && r[m[3]] >= 0).map((r) => r[m[3]]);
}
function median(v) {
  const s = [...v].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}
function fmt(x, d) {
  if (!Number.isFinite(x)) return '–';
  return x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}
function cell(v, d) {
  if (v.length === 0) return '–';
  const lo = Math.min(...v), hi = Math.max(...v);
  return `${fmt(median(v), d)} (${fmt(lo, d)}–${fmt(hi, d)}, n=${v.length})`;
}

const out = [];
if (envFile && fs.existsSync(envFile)) {
  for (const l of fs.readFileSync(envFile, 'utf8').trim().split('\n')) out.push(`    ${l}`);
  out.push('');
}
out.push('| Metric | Hubbub median (min–max) | Node ref median (min–max) | Hubbub / Node | Better | Aim |');
out.push('|---|---|---|---|---|---|');
for (const m of metrics) {
  const h = values('hubbub', m), n = values('node', m);
  if (h.length === 0 && n.length === 0) continue;
  const ratio = h.length && n.length && median(n) !== 0 ? median(h) / median(n) : NaN;
  out.push(`| ${m[0]} | ${cell(h, m[5])} | ${cell(n, m[5])} | ${Number.isFinite(ratio) ? fmt(ratio, 2) + 'x' : '–'} | ${m[4]} | ${m[6]} |`);
}

// Correctness: totals over all recorded runs.
out.push('');
out.push('| Correctness (sum over runs) | Hubbub | Node ref |');
out.push('|---|---|---|');
const sum = (server, mode, key) => rows.filter((r) => r.server === server && r.mode === mode && typeof r[key] === 'number')
  .reduce((a, r) => a + r[key], 0);
const count = (server, pred) => rows.filter((r) => r.server === server && pred(r)).length;
const corr = [
  ['fan-out deliveries expected', 'fanout', 'expected'], ['fan-out deliveries received', 'fanout', 'delivered'],
  ['fan-out lost', 'fanout', 'lost'], ['fan-out duplicates', 'fanout', 'dups'], ['fan-out sequence gaps', 'fanout', 'gaps'],
  ['fan-out echoed to sender', 'fanout', 'sender_echo'], ['acks lost', 'ack', 'lost'], ['acks with wrong id', 'ack', 'bad_id'],
  ['idle connections failed', 'idle', 'failed'], ['idle connections closed by server', 'idle', 'closed'],
];
for (const [label, mode, key] of corr) out.push(`| ${label} | ${fmt(sum('hubbub', mode, key), 0)} | ${fmt(sum('node', mode, key), 0)} |`);
out.push(`| phases that reported an error | ${count('hubbub', (r) => r.error)} | ${count('node', (r) => r.error)} |`);
process.stdout.write(out.join('\n') + '\n');
