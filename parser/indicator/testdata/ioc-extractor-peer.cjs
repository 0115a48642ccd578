// How the peer figures of TestCorpusPeer are made (Node 20):
//   npm install ioc-extractor@8.2.0
//   node ioc-extractor-peer.cjs ../../../../shared/corpus/ioc-cases.jsonl > /tmp/peer.json
//   INDICATOR_CORPUS_PEER=/tmp/peer.json go test -v -run TestCorpusPeer ./parser/indicator/
// Runs ninoseki's ioc-extractor over every text the corpus scorer asks
// about; prints one JSON object: text -> iocs.
const fs = require('fs');
const { extractIOC } = require('ioc-extractor');
const out = {};
for (const line of fs.readFileSync(process.argv[2], 'utf8').split('\n')) {
  if (!line.trim()) continue;
  const c = JSON.parse(line);
  const texts = [c.text];
  for (const k of ['refang', 'defang']) for (const v of ((c.expected || {})[k] || [])) texts.push(v);
  for (const t of texts) {
    if (t in out) continue;
    try { out[t] = extractIOC(t, { refang: true }); } catch (e) { out[t] = {}; }
  }
}
process.stdout.write(JSON.stringify(out));
