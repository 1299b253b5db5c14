// Normalises what a CLI command printed so that two brokers can be compared: values that differ between runs
// and between brokers without meaning anything (times, ledger ids, addresses, run ids, sizes the storage
// chooses) are masked; everything else is kept.

/** Masks in a piece of text. Order matters: addresses and times before positions. */
export function maskText(text, runId) {
  return text
    .replaceAll(runId, '<R>')
    .replace(/\r/g, '')
    // the time prefix of the CLI's own log lines (its WARN lines carry the broker's HTTP status and reason: kept)
    .replace(/^\d\d:\d\d:\d\d\.\d{3} /gm, '')
    .replace(/\b(?:127\.0\.0\.1|localhost|[\w.-]+\.local)(?::\d+)?\b/g, '<HOST>')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?/g, '<TIME>')
    .replace(/\b1\d{12}\b/g, '<MS>')
    // message ids "ledger:entry[:partition[:batch]]": the ledger id is the storage's choice
    .replace(/\b\d+:(-?\d+)/g, '<L>:$1')
    // Java stack traces and timings are noise
    .replace(/^\s+at [\w.$<>]+\(.*\)$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function pickPath(value, parts, out, prefix, maskValue) {
  if (parts.length === 0) {
    out[prefix] = maskValue ? (value === undefined ? '<absent>' : '<any>') : value === undefined ? '<absent>' : value;
    return;
  }
  const [head, ...rest] = parts;
  if (head === '*') {
    if (value && typeof value === 'object') {
      for (const key of Object.keys(value).sort()) pickPath(value[key], rest, out, `${prefix}.${key}`, maskValue);
    }
    return;
  }
  const next = value && typeof value === 'object' ? value[head] : undefined;
  pickPath(next, rest, out, prefix ? `${prefix}.${head}` : head, maskValue);
}

/** JSON output reduced to the picked paths, string values masked like text. */
export function pickJson(text, picks, runId) {
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { '<not json>': maskText(text, runId) };
  }
  const out = {};
  for (const pick of picks) {
    const masked = pick.endsWith('~');
    pickPath(parsed, (masked ? pick.slice(0, -1) : pick).split('.'), out, '', masked);
  }
  return JSON.parse(maskText(JSON.stringify(out), runId));
}
