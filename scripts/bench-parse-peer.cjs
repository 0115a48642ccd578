// The peer's half of scripts/bench-parse-peer: runs ninoseki's
// ioc-extractor over the decoded texts of each mail (from
// scripts/peertexts), as that script's README line says, and prints the
// mails per second of one timed pass, after an untimed warm-up pass that
// lets V8 compile the extractor's regular expressions.
//   node bench-parse-peer.cjs texts.jsonl
const fs = require('fs');
const { extractIOC } = require('ioc-extractor');

const mails = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l).texts);

function pass() {
  let found = 0;
  for (const texts of mails) {
    // One call per mail, as a user of the library would make: the
    // mail's texts joined, refanging on (our parser refangs too).
    const iocs = extractIOC(texts.join('\n'), { refang: true });
    for (const k in iocs) if (Array.isArray(iocs[k])) found += iocs[k].length;
  }
  return found;
}

pass();
const start = process.hrtime.bigint();
const found = pass();
const secs = Number(process.hrtime.bigint() - start) / 1e9;
process.stdout.write(`${mails.length} ${secs.toFixed(3)} ${(mails.length / secs).toFixed(1)} ${found}\n`);
