"""Robustness checks + per-answer timing with the live MiniLM embedder (no cache)."""
import json, os, random, time
import numpy as np
import features as FX, model as M
from embedcache import load_model

rows = [json.loads(l) for l in open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "data", "asag", "mohler_dev.jsonl"))]
Q = {}
for r in rows:
    Q.setdefault(r["question_id"], (r["question"], r["reference_answer"], r["assignment"]))
params = M.load_params("params.json")
m = load_model()
embed = FX.make_embedder(m, batch_size=16)
embed(["warm up"], with_tokens=True)

def grade(q, ref, ans):
    f, pp = FX.extract(q, FX.split_points(ref), ans, embed)
    return 10 * M.predict(params, f), pp

qids = ["1.1", "2.3", "3.4", "4.1", "5.3", "7.2", "8.5", "10.6", "11.1", "12.5"]
qids = [q for q in qids if q in Q][:8] or list(Q)[:8]
random.seed(0)
print("| qid | empty | IDK | restate Q | off-topic (other assignment ref) | keywords | reference | shuffled ref |")
print("|---|---|---|---|---|---|---|---|")
for qid in qids:
    q, ref, asg = Q[qid]
    other = random.choice([v[1] for k, v in Q.items() if v[2] != asg])
    kw = " ".join(sorted(set(FX.content_lemmas(ref)))[:6])
    sents = FX.split_sentences(ref)
    shuf = " ".join(reversed(sents)) if len(sents) > 1 else ref
    res = [grade(q, ref, a)[0] for a in ["", "I don't know.", q, other, kw, ref, shuf]]
    print(f"| {qid} | " + " | ".join(f"{x:.1f}" for x in res) + " |")
# per-point evidence example
q, ref, _ = Q[qids[0]]
ans = [r for r in rows if r["question_id"] == qids[0]][1]["answer"]
s, pp = grade(q, ref, ans)
print("\nexample:", q, "| answer:", ans, "| score/10 = %.1f" % s)
for p in pp:
    print("  point: %-60s coverage %.2f  evidence: %s" % (p["point"][:60], p["coverage"], p["evidence"][:80]))
# timing: 150-word answers
long_ans = " ".join((" ".join(r["answer"] for r in rows[:40])).split()[:150])
q, ref, _ = Q["1.1"]
ts = []
for i in range(10):
    t = time.perf_counter(); f, pp = FX.extract(q, FX.split_points(ref), long_ans, embed); M.predict(params, f)
    ts.append(time.perf_counter() - t)
print("\n150-word answer: %d units; time per answer (incl. embedding) median %.0f ms, max %.0f ms"
      % (len(FX.answer_units(long_ans)), 1000 * np.median(ts), 1000 * max(ts)))
ts = []
for r in rows[:50]:
    t = time.perf_counter(); f, pp = FX.extract(r["question"], FX.split_points(r["reference_answer"]), r["answer"], embed)
    M.predict(params, f); ts.append(time.perf_counter() - t)
print("typical Mohler answer (%.0f words): median %.0f ms" % (np.mean([len(r['answer'].split()) for r in rows[:50]]), 1000 * np.median(ts)))
