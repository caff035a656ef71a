"""Stratified sample of 120 units for the second annotator (seed 13).

Allocation: at least 15 from the EU regional privacy notice (if that many exist), at least one
per document, the rest proportional to each document's share (largest remainders); at least 15
from French documents is checked. Units are drawn with random.Random(13), one rng.sample per
document in sorted document order; the sample is listed in the dump's order.
Writes sample.json (keys) and sheet.md (texts + word-level edit).

How eval/second-annotator.toml was made: in a folder outside the project (the sheet holds
corpus text), `python benchmarks/classification_units.py --dump DIR/units.jsonl`, then this
script copied to DIR and run there; the annotator labelled sheet.md blind (without
eval/classification.toml or the classifier's output), per change, by
docs/classification-labelling.md.
"""
import difflib, json, random
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
N, SEED, EU, MIN_EU, MIN_FR = 120, 13, "linkedin/eu-regional-privacy-notice", 15, 15

units = [json.loads(l) for l in (HERE / "units.jsonl").open(encoding="utf-8")]
by_doc = defaultdict(list)
for u in units:
    by_doc[u["document"]].append(u)
docs = sorted(by_doc)

if len(units) <= N:
    alloc = {d: len(by_doc[d]) for d in docs}
else:
    alloc = {d: 1 for d in docs}
    alloc[EU] = min(MIN_EU, len(by_doc[EU]))
    rest = [d for d in docs if d != EU]
    left = N - sum(alloc.values())
    pool = sum(len(by_doc[d]) - alloc[d] for d in rest)
    quota = {d: left * (len(by_doc[d]) - alloc[d]) / pool for d in rest}
    for d in rest:
        alloc[d] += int(quota[d])
    short = N - sum(alloc.values())
    for d in sorted(rest, key=lambda d: -(quota[d] - int(quota[d])))[:short]:
        alloc[d] += 1
    assert sum(alloc.values()) == N
fr = sum(n for d, n in alloc.items() if by_doc[d][0]["lang"] == "fr")
assert fr >= min(MIN_FR, sum(len(v) for v in by_doc.values() if v[0]["lang"] == "fr")), fr

rng = random.Random(SEED)
chosen = set()
for d in docs:
    chosen.update(u["key"] for u in rng.sample(by_doc[d], alloc[d]))
sample = [u for u in units if u["key"] in chosen]
(HERE / "sample.json").write_text(json.dumps([u["key"] for u in sample], indent=0))


def word_diff(old, new):
    a, b = (old or "").split(), (new or "").split()
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(" ".join(a[i1:i2]))
        if op in ("delete", "replace"):
            out.append("[-" + " ".join(a[i1:i2]) + "-]")
        if op in ("insert", "replace"):
            out.append("{+" + " ".join(b[j1:j2]) + "+}")
    return " ".join(out)


def ctx(side):
    if not side:
        return "—"
    return (f"headings: {' > '.join(side['section'])} | kind: {side['kind']} | "
            f"column: {side['column']} | row: {side['row']}")


lines = [f"# Sheet: {len(sample)} units\n", "allocation: " + json.dumps(alloc) + "\n"]
for i, u in enumerate(sample, 1):
    o, n = u["old"], u["new"]
    lines += [
        f"## {i}. {u['key']}  ({u['document']}, {u['change']}, {u['significance']}, "
        f"{u['old_version']} → {u['new_version']})",
        f"- old context: {ctx(o)}",
        f"- new context: {ctx(n)}",
        f"\n**OLD:** {o['text'] if o else '—'}",
        f"\n**NEW:** {n['text'] if n else '—'}",
        f"\n**EDIT:** {word_diff(o and o['text'], n and n['text'])}\n",
    ]
(HERE / "sheet.md").write_text("\n".join(lines), encoding="utf-8")
print(json.dumps(alloc, indent=1), "french:", fr, "total:", len(sample))
