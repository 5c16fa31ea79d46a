"""`python -m bot grader train`: fine-tune the claim checker on pairs built from the rubrics.

Seeded and CPU-only. The pairs come from claimdata.py (the project's own rubrics; never the
measuring data). A slice of the *questions* is held out and measured (F1 per label). Neutral pairs outnumber the others about two to one; a seeded sample of them is kept, so
one pass takes well under an hour on two cores. Writes the weights (one fp16 safetensors file)
and a JSON record of what they were trained on.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from bot.grading.claimdata import (
    FLAG_STATEMENTS_PATH,
    GRADED_PAIRS_PATH,
    LABELS,
    NEUTRAL,
    REVERSALS_PATH,
    SOFT_TARGETS,
    STATEMENTS_PATH,
    Pair,
    build_pairs,
    clause_pairs,
    context_pairs,
    cross_pairs,
    flag_pairs,
    load_flag_statements,
    load_pairs,
    load_reversals,
    load_statements,
    pairs_digest,
    reversal_pairs,
    split_by_question,
    story_pairs,
)
from bot.grading.claims import (
    RECORD_PATH,
    WEIGHTS_PATH,
    ClaimChecker,
    Thresholds,
    base_model_path,
    build_model,
    save_weights,
    sha256_file,
)

log = logging.getLogger(__name__)
SETTINGS = {"epochs": 1, "batch_size": 32, "lr": 4e-5, "warmup": 0.06, "neutral_kept": 20000,
            "contradicts_weight": 1.3, "max_tokens": 96}


def _f1(pred: np.ndarray, gold: np.ndarray) -> float:
    tp = float(np.sum(pred & gold))
    return 2 * tp / max(1.0, float(pred.sum() + gold.sum()))


def held_out_figures(probs: np.ndarray, labels: np.ndarray) -> dict:
    """F1 of each label (the most probable one taken) and accuracy on the held-out questions' pairs."""
    pred = probs.argmax(axis=1)
    return {**{f"{LABELS[c]}_f1": round(_f1(pred == c, labels == c), 4) for c in range(3)},
            "accuracy": round(float(np.mean(pred == labels)), 4)}


def sample_training(pairs: list[Pair], neutral_kept: int, seed: int) -> list[Pair]:
    """Every entails and contradicts pair, a seeded sample of the neutral ones, shuffled."""
    rng = random.Random(seed + 1)
    neutral = [p for p in pairs if p.label == NEUTRAL]
    kept = [p for p in pairs if p.label != NEUTRAL] + rng.sample(neutral, min(len(neutral), neutral_kept))
    rng.shuffle(kept)
    return kept


def train(corpus, *, seed: int = 0, threads: int = 2, weights_path: Path = WEIGHTS_PATH,
          record_path: Path = RECORD_PATH, pairs_path: Path | None = None, progress=print, **overrides) -> dict:
    """Build the pairs, fine-tune, choose thresholds on held-out questions, write weights and record."""
    import torch

    settings = {**SETTINGS, **overrides}
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    rng = random.Random(seed)
    started = time.perf_counter()
    statements = {} if pairs_path else load_statements()  # pairs from a file: their own sources say what they hold
    pairs = load_pairs(pairs_path) if pairs_path else build_pairs(corpus, seed=seed, statements=statements)
    train_pairs, val_pairs = split_by_question(pairs)  # the same questions for every seed
    train_pairs = sample_training(train_pairs, settings["neutral_kept"], seed)
    progress(f"{len(pairs)} pairs; training on {len(train_pairs)}, {len(val_pairs)} held out by question")

    model, tokenizer = build_model()
    history = _fit(model, tokenizer, train_pairs, settings, rng, progress, started)
    model.eval()
    save_weights(model, weights_path)
    checker = ClaimChecker(model, tokenizer, Thresholds())
    probs = checker.probabilities([p.hypothesis for p in val_pairs], [p.premise for p in val_pairs])
    figures = held_out_figures(probs, np.array([p.label for p in val_pairs]))
    progress(f"held-out questions: {figures} ({time.perf_counter() - started:.0f} s)")
    return write_record(corpus, pairs, train_pairs, val_pairs, statements, figures, history, weights_path, record_path,
                        settings={"seed": seed, "threads": threads, **settings},
                        seconds=time.perf_counter() - started)


# the refining pass (`refine`): its learning rate, its own pairs per new one, and whether the new pairs are balanced with
# right statements of the flags' points (`flag_pairs`)
REFINE = {"lr": 1e-5, "replay": 4, "balance": True, "facts": False, "rights": False, "hard": False, "said": False,
          "cross": False, "clauses": False, "made_false": True, "context": False, "stories": False,
          "reversals": False, "graded": False, "graded_pairs": None, "interpolate": None}
# the kinds of new pairs a refining pass can take instead of the red flags said in other words (one at most), each with
# the name its held-out figures go by
NEW_PAIRS = {"hard": "misread", "cross": "cross", "clauses": "clauses", "context": "context", "stories": "stories",
             "reversals": "reversals", "graded": "graded"}
# `interpolate` A: the pass's weights are (1 - A) x its starting checker's + A x the refined ones, element-wise, as
# `average` mixes checkers (WiSE-FT, Wortsman et al., 2022: part of the new pairs' gain, less of what they cost elsewhere)

# the pairs whose labels are sure (the rubric's and the written statements'): what `refine --hard` takes the checker's
# misreadings from (session 29); rule-made false versions and other points' examples and false statements are left out
SURE_SOURCES = frozenset({
    "point", "example", "model-answer", "model-answer-window", "written-says", "written-false", "red-flag", "written-near",
    "written-other-point", "other-point-text", "other-question", "question", "vague", "flag-self", "flag-vs-point",
    "flag-vs-fact", "flag-vs-written", "flag-vs-model-answer", "flag-vs-question"})


def misread(checker: ClaimChecker, pairs: list[Pair]) -> list[Pair]:
    """The pairs from SURE_SOURCES (spoken or not) whose most probable label, as `checker` reads them, is not theirs."""
    sure = [p for p in pairs if p.source.split("+")[0] in SURE_SOURCES]
    probs = checker.probabilities([p.hypothesis for p in sure], [p.premise for p in sure])
    return [p for p, row in zip(sure, probs, strict=True) if int(row.argmax()) != p.label]


def refine(corpus, *, init: Path = WEIGHTS_PATH, seed: int = 0, threads: int = 2, weights_path: Path = WEIGHTS_PATH,
           record_path: Path = RECORD_PATH, flags_path: Path = FLAG_STATEMENTS_PATH, progress=print, **overrides) -> dict:
    """One more pass of a trained checker (`init`) over the red flags said in other words (flag_statements.jsonl,
    `flag_pairs`) and a seeded sample of its own training pairs, `replay` times as many, so that it learns the new
    pairs without forgetting the old (session 27). The held-out questions are the same as training's."""
    import torch
    from safetensors.torch import load_file

    settings = {**SETTINGS, **REFINE, **overrides}
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    rng = random.Random(seed)
    started = time.perf_counter()
    statements = load_statements()
    base = build_pairs(corpus, seed=seed, statements=statements)
    base_train, base_val = split_by_question(base)
    base_train = sample_training(base_train, settings["neutral_kept"], seed)
    model, tokenizer = build_model()
    model.load_state_dict({k: v.float() for k, v in load_file(str(init)).items()}, strict=False)
    # which new pairs (`grader refine` takes one kind at most), and the name their held-out figures go by
    kind = next((k for k in NEW_PAIRS if settings[k]), "flags")
    new_name = NEW_PAIRS.get(kind, "flag_written")
    if kind == "hard":  # its own pairs it misreads (the held-out questions' only measured)
        reader = ClaimChecker(model.eval(), tokenizer, Thresholds())
        new_train, new_val = misread(reader, base_train), misread(reader, base_val)
    elif kind == "cross":  # false statements of a question's other points against each point (session 30)
        new_train, new_val = split_by_question(cross_pairs(corpus, statements, load_flag_statements(flags_path), seed))
    elif kind == "clauses":  # the clauses of its points' right and false statements (session 32)
        reader = ClaimChecker(model.eval(), tokenizer, Thresholds())
        new_train, new_val = split_by_question(clause_pairs(corpus, statements, load_flag_statements(flags_path),
                                                            reader.probabilities, seed, settings["made_false"]))
    elif kind == "context":  # its points' right and false statements beside another point's sentence (session 33)
        new_train, new_val = split_by_question(context_pairs(corpus, statements, load_flag_statements(flags_path),
                                                             seed))
    elif kind == "stories":  # vague stories against behavioral questions' points (session 34)
        new_train, new_val = split_by_question(story_pairs(corpus, statements, seed))
    elif kind == "graded":  # the choosing sets' answers, labelled by their raters' verdicts (session 40)
        new_train, new_val = split_by_question(load_pairs(_graded_path(settings)))
    elif kind == "reversals":  # each point's minimal pairs: stated, and stated in reverse (session 37)
        new_train, new_val = split_by_question(reversal_pairs(corpus, load_reversals(), seed,
                                                              statements if settings["rights"] else None))
    else:
        new = flag_pairs(corpus, load_flag_statements(flags_path), seed,
                         balance=statements if settings["balance"] else None, facts=settings["facts"],
                         rights=load_flag_statements(flags_path, "rights") if settings["rights"] else None,
                         said=settings["said"])
        new_train, new_val = split_by_question(new)
    replayed = random.Random(seed + 2).sample(base_train, min(len(base_train), settings["replay"] * len(new_train)))
    train_pairs = new_train + replayed
    random.Random(seed + 3).shuffle(train_pairs)
    progress(f"refining on {len(new_train)} new pairs and {len(replayed)} of its own")
    val = base_val + new_val

    def read(model) -> dict:
        """The held-out questions' pairs as `train` measures them, and apart, their new pairs (flag pairs, with
        --hard those the starting checker misread, with --cross the other points' false statements)."""
        probs = ClaimChecker(model.eval(), tokenizer, Thresholds()).probabilities([p.hypothesis for p in val],
                                                                                  [p.premise for p in val])
        labels = np.array([p.label for p in val])
        return {**held_out_figures(probs[:len(base_val)], labels[:len(base_val)]),
                new_name: held_out_figures(probs[len(base_val):], labels[len(base_val):])}

    before = read(model)
    progress(f"held-out questions before: {before}")
    history = _fit(model, tokenizer, train_pairs, settings, rng, progress, started)
    model.eval()
    save_weights(model, weights_path)
    if settings["interpolate"] is not None:  # the weights as shipped (fp16), mixed with the starting checker's
        mixed = interpolate(init, weights_path, settings["interpolate"])
        model.load_state_dict({k: v.float() for k, v in mixed.items()}, strict=False)
    figures = {**read(model), "before": before}
    progress(f"held-out questions: {figures} ({time.perf_counter() - started:.0f} s)")
    made = base if settings["hard"] else base + new_train + new_val  # --hard's new pairs are among the base ones
    return write_record(corpus, made, train_pairs, val, statements, figures, history, weights_path, record_path,
                        settings={"seed": seed, "threads": threads, "refined_from": sha256_file(init),
                                  **({} if settings["hard"] else {"flag_statements_sha256": sha256_file(flags_path)}),
                                  **({"reversals_sha256": sha256_file(REVERSALS_PATH)} if kind == "reversals" else {}),
                                  **({"graded_pairs_sha256": sha256_file(_graded_path(settings))} if kind == "graded" else {}),
                                  **settings},
                        seconds=time.perf_counter() - started, extra=_settings_of(init))


def _graded_path(settings: dict) -> Path:
    """The graded pairs a `--graded` pass reads: the shipped file, or `graded_pairs` (a file `grader graded-pairs`
    wrote)."""
    return Path(settings["graded_pairs"]) if settings.get("graded_pairs") else GRADED_PAIRS_PATH


def _targets(batch: list[Pair]):
    """The batch's labels, or, where a pair's source has a soft target (SOFT_TARGETS), every pair's label shares (with
    shares, `cross_entropy` averages the class-weighted loss over the batch, not over the weights: such a batch's
    sure pairs count a little differently from a batch of sure pairs alone)."""
    import torch

    if not any(p.source in SOFT_TARGETS for p in batch):
        return torch.tensor([p.label for p in batch])
    one_hot = [tuple(float(k == p.label) for k in range(len(LABELS))) for p in batch]
    return torch.tensor([SOFT_TARGETS.get(p.source, hot) for p, hot in zip(batch, one_hot, strict=True)])


def _settings_of(init: Path) -> dict:
    """The settings of the checker a pass starts from, where its record lies beside it (`refined_from_settings`)."""
    record = init.with_name(RECORD_PATH.name)
    if not record.is_file():
        return {}
    return {"refined_from_settings": json.loads(record.read_text(encoding="utf-8")).get("settings")}


def interpolate(init: Path, weights_path: Path, share: float) -> dict:
    """Rewrite `weights_path` as (1 - share) x `init`'s weights + share x its own, element-wise in float32, stored in
    its own precision; returns the new state."""
    from safetensors.torch import load_file, save_file

    start, new = load_file(str(init)), load_file(str(weights_path))
    mixed = {k: (start[k].float() * (1 - share) + v.float() * share).to(v.dtype).contiguous() for k, v in new.items()}
    save_file(mixed, str(weights_path))
    return mixed


def average(folders: list[Path], *, weights_path: Path = WEIGHTS_PATH, record_path: Path = RECORD_PATH) -> dict:
    """A checker whose weights are the element-wise mean of the points' checkers in `folders` (their
    claim_checker.*), which must share their shape, as checkers refined from the same one do: a "model soup" (Wortsman
    et al., 2022), which often keeps part of each member's gain (session 38). No training: the record names the members
    (their sha256 and how each was made) and keeps the first one's thresholds."""
    from safetensors.torch import load_file, save_file

    if len(folders) < 2:
        raise ValueError("Give two checkers or more to average")
    states = [load_file(str(f / WEIGHTS_PATH.name)) for f in folders]
    if any(set(st) != set(states[0]) or any(st[k].shape != states[0][k].shape for k in st) for st in states[1:]):
        raise ValueError("These checkers' weights differ in shape; only checkers of one design can be averaged")
    weights_path.parent.mkdir(parents=True, exist_ok=True)
    mean = {k: (sum(st[k].float() for st in states) / len(states)).to(states[0][k].dtype).contiguous()
            for k in states[0]}
    save_file(mean, str(weights_path))
    members = [json.loads((f / RECORD_PATH.name).read_text(encoding="utf-8")) for f in folders]
    record = {"weights": weights_path.name, "weights_sha256": sha256_file(weights_path),
              "weights_bytes": weights_path.stat().st_size, "design": members[0].get("design"),
              "base_model": members[0].get("base_model"), "corpus_hash": members[0].get("corpus_hash"),
              "averaged_from": [{"weights_sha256": m.get("weights_sha256"), "settings": m.get("settings"),
                                 "training_data_sha256": m.get("training_data_sha256")} for m in members],
              "thresholds": members[0].get("thresholds", {}),
              "made_at": datetime.now(UTC).isoformat(timespec="seconds")}
    record_path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return record


# What `grader train` makes after its first training: `refine` passes (REFINE's settings changed by each), each from the
# weights before it. The shipped points' checker: one pass over other points' false statements (session 30), then one
# over the choosing sets' graded answers, half-way between the two (session 40). The shipped
# red flags' checker (`--flags`): two passes from the same first training over the red flags said in other words, the
# second with their right statements too (session 28).
POINTS_PASSES: tuple[dict, ...] = ({"cross": True}, {"graded": True, "interpolate": 0.5})
FLAG_PASSES: tuple[dict, ...] = ({}, {"rights": True})


def rebuild(corpus, *, out: Path, seed: int = 0, threads: int = 2, flags: bool = False, progress=print,
            **overrides) -> dict:
    """`grader train`: the first training (`overrides` change its settings), then POINTS_PASSES, into `out`'s
    claim_checker.* (with `flags`, FLAG_PASSES from the same first training into its flag_checker.*). The steps
    before the last are written to a temporary folder; each final record lists every step (`steps`, the commands
    that make the same files one by one in `made_by`). Returns the points' checker's record."""
    import tempfile

    from bot.grading.claims import FLAG_RECORD_PATH, FLAG_WEIGHTS_PATH

    with tempfile.TemporaryDirectory(prefix="claim-checker-") as tmp:
        first = Path(tmp) / "first" / WEIGHTS_PATH.name
        first.parent.mkdir()
        first_record = train(corpus, seed=seed, threads=threads, weights_path=first,
                             record_path=first.with_name(RECORD_PATH.name), progress=progress, **overrides)
        chains = [(POINTS_PASSES, out / WEIGHTS_PATH.name, out / RECORD_PATH.name)]
        if flags:
            chains.append((FLAG_PASSES, out / FLAG_WEIGHTS_PATH.name, out / FLAG_RECORD_PATH.name))
        made = [_refine_chain(corpus, passes, first, first_record, weights, record, Path(tmp) / f"chain{c}",
                              seed=seed, threads=threads, progress=progress)
                for c, (passes, weights, record) in enumerate(chains)]
    return made[0]


def _refine_chain(corpus, passes: tuple[dict, ...], first: Path, first_record: dict, weights: Path, record: Path,
                  scratch: Path, *, seed: int, threads: int, progress) -> dict:
    """`refine` passes, each from the weights before it (`first`, then `scratch`'s), the last into `weights` and
    `record`; that record then lists every step and the commands that make them one by one."""
    steps, init = [first_record], first
    for k, change in enumerate(passes):
        (scratch / f"{k}").mkdir(parents=True, exist_ok=True)
        to = weights if k == len(passes) - 1 else scratch / f"{k}" / WEIGHTS_PATH.name
        progress(f"refining pass {k + 1} of {len(passes)}: {_refine_flags(change) or 'the red flags'}")
        steps.append(refine(corpus, init=init, seed=seed, threads=threads, weights_path=to,
                            record_path=scratch / f"{k}" / RECORD_PATH.name, progress=progress, **change))
        init = to
    made = steps[-1] | {"steps": [_step(r) for r in steps], "made_by": _made_by(passes)}
    record.write_text(json.dumps(made, indent=2) + "\n", encoding="utf-8")
    return made


def _refine_flags(change: dict) -> str:
    """A pass's command-line options (`grader refine`)."""
    return " ".join(f"--{k}" if v is True else f"--no-{k}" if v is False else f"--{k} {v}"
                    for k, v in ((k.replace("_", "-"), v) for k, v in change.items()))


def _made_by(passes: tuple[dict, ...]) -> list[str]:
    """The commands that make the same weights one step at a time."""
    names = ["A"] + [chr(ord("B") + k) for k in range(len(passes))]
    return ["python -m bot grader train --first-only --out A"] + [
        " ".join(filter(None, ["python -m bot grader refine --init", names[k], _refine_flags(change), "--out",
                               names[k + 1]])) for k, change in enumerate(passes)]


def _step(record: dict) -> dict:
    """What a final record keeps of each step: its weights, data and settings, its held-out figures, its time."""
    return {k: record[k] for k in ("weights_sha256", "training_data_sha256", "settings", "held_out",
                                   "training_seconds")}


def _fit(model, tokenizer, train_pairs: list[Pair], settings: dict, rng: random.Random, progress, started: float) -> list:
    """Fine-tune `model` on the pairs (the embedding table frozen), batches of similar length in a seeded order."""
    import torch

    for p in model.bert.embeddings.parameters():  # frozen: not shipped, read from the base model
        p.requires_grad = False

    def encode(batch: list[Pair]):
        return tokenizer([p.hypothesis for p in batch], [p.premise for p in batch], padding=True,
                         truncation="only_second", max_length=settings["max_tokens"], return_tensors="pt")

    size = settings["batch_size"]
    order = sorted(range(len(train_pairs)),  # similar lengths together (less padding), a little shuffled
                   key=lambda i: len(train_pairs[i].hypothesis) + len(train_pairs[i].premise) + rng.random() * 40)
    batches = [order[i:i + size] for i in range(0, len(order), size)]
    steps = len(batches) * settings["epochs"]
    warm = max(1, int(settings["warmup"] * steps))
    optim = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=settings["lr"],
                              weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(optim, lambda k: k / warm if k < warm else max(0.0, (steps - k) / steps))
    weight = torch.tensor([1.0, 1.0, settings["contradicts_weight"]])
    history = []
    step = 0
    rng.shuffle(batches)
    for epoch in range(1, settings["epochs"] + 1):
        model.train()
        if epoch > 1:
            rng.shuffle(batches)
        total = 0.0
        for idx in batches:
            batch = [train_pairs[i] for i in idx]
            loss = torch.nn.functional.cross_entropy(model(**encode(batch)).logits, _targets(batch), weight=weight)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optim.step()
            sched.step()
            optim.zero_grad()
            total += float(loss.detach()) * len(batch)
            step += 1
            if step % 50 == 0:
                progress(f"  step {step}/{steps}, loss {float(loss.detach()):.3f} ({time.perf_counter() - started:.0f} s)")
        history.append({"epoch": epoch, "train_loss": round(total / len(train_pairs), 4)})
    return history


def write_record(corpus, pairs, train_pairs, val_pairs, statements, figures, history, weights_path: Path,
                 record_path: Path, settings: dict, seconds: float, extra: dict | None = None) -> dict:
    """What the weights were made from and how they do on the held-out questions, beside the weights (and `extra`)."""
    record = {
        "weights": weights_path.name,
        "weights_sha256": sha256_file(weights_path),
        "weights_bytes": weights_path.stat().st_size,
        "design": "cross-encoder: all-MiniLM-L6-v2 fine-tuned on (hypothesis, span) pairs (bot/grading/claims.py)",
        "base_model": f"sentence-transformers/all-MiniLM-L6-v2 ({base_model_path().parent.name}); "
                      "embedding table frozen and read from it",
        "training_data_sha256": pairs_digest(pairs),
        "corpus_hash": corpus.content_hash,
        "counts": {"pairs": len(pairs), "training": len(train_pairs), "held_out": len(val_pairs),
                   "held_out_questions": len({p.question_id for p in val_pairs}),
                   "by_label": {LABELS[i]: int(c) for i, c in
                                enumerate(np.bincount([p.label for p in pairs], minlength=3))},
                   "written_statements": sum(len(s.says) + len(s.false) + len(s.near) for s in statements.values()),
                   "by_source": dict(sorted(Counter(p.source.removesuffix("+spoken") for p in pairs).items()))},
        "statements_sha256": sha256_file(STATEMENTS_PATH) if statements else None,
        "settings": settings,
        "thresholds": Thresholds().__dict__,
        "held_out": figures,
        "history": history,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "training_seconds": round(seconds, 1),
        **(extra or {}),
    }
    record_path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return record
