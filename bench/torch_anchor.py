#!/usr/bin/env python3
"""The PyTorch anchor of `deno task bench --part anchor`.

The paper's 2D-navigation meta-iteration written the way a PyTorch user would write it, on one
thread in float32: 20 tasks x 20 trajectories x 100 steps, a 100-100 ReLU Gaussian policy,
vectorised sampling (every trajectory of every task advanced together, each task with its own
parameters through batched products), GAE (0.99, 0.997) over a linear feature baseline fitted per
task, advantages normalised per task, one inner step (alpha = 0.1) kept differentiable with
create_graph, and the second-order meta-gradient of MAML-VPG or SG-MRL (the MAML objective plus
c_o (J - b) times the summed log-likelihood of the inner batch, b the leave-one-out baseline),
followed by an Adam step.

  python3 bench/torch_anchor.py --repeats N   timings as one line of JSON
  python3 bench/torch_anchor.py --check       the meta-gradients against central differences
                                              in float64 on a small problem; JSON, exit 1 on failure

It is a timing anchor, not a second implementation of the package: it reads nothing from it and
shares only the shapes and the mathematics.
"""
import argparse
import json
import math
import os
import sys
import time

# One thread for the BLAS too (torch.set_num_threads does not reach a pthread OpenBLAS); read when
# the library loads, so before torch is imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402

OBS, ACT = 2, 2
STEP_BOUND, STATE_BOUND, GOAL_TOLERANCE = 0.1, 0.5, 0.01
GAMMA, LAMBDA, ALPHA, BETA = 0.99, 0.997, 0.1, 1e-3


def init_params(hidden, gen, dtype):
    """Glorot-uniform weights, zero biases, log std 0, as leaf tensors."""
    sizes = [OBS, *hidden, ACT]
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        limit = math.sqrt(6 / (fan_in + fan_out))
        params.append((torch.rand(fan_in, fan_out, generator=gen, dtype=dtype) * 2 - 1) * limit)
        params.append(torch.zeros(fan_out, dtype=dtype))
    params.append(torch.zeros(ACT, dtype=dtype))
    return [p.requires_grad_() for p in params]


def mean_action(params, obs):
    """The policy mean for obs [..., OBS]; params may carry a leading task axis (batched)."""
    h = obs
    layers = (len(params) - 1) // 2
    for k in range(layers):
        w, b = params[2 * k], params[2 * k + 1]
        h = (torch.matmul(h, w) + b.unsqueeze(-2)) if w.dim() == 3 else (h @ w + b)
        if k < layers - 1:
            h = torch.relu(h)
    return h


def log_prob(params, obs, act):
    log_std = params[-1]
    z = (act - mean_action(params, obs)) * torch.exp(-log_std)
    return (-0.5 * z * z - log_std).sum(-1) - 0.5 * ACT * math.log(2 * math.pi)


def sample(task_params, goals, trajectories, horizon, gen):
    """Roll out every trajectory of every task together; task_params have a leading task axis."""
    tasks = goals.shape[0]
    dtype = goals.dtype
    with torch.no_grad():
        pos = torch.zeros(tasks, trajectories, OBS, dtype=dtype)
        alive = torch.ones(tasks, trajectories, dtype=dtype)
        obs = torch.empty(tasks, trajectories, horizon, OBS, dtype=dtype)
        act = torch.empty(tasks, trajectories, horizon, ACT, dtype=dtype)
        rew = torch.empty(tasks, trajectories, horizon, dtype=dtype)
        mask = torch.empty(tasks, trajectories, horizon, dtype=dtype)
        std = torch.exp(task_params[-1]).unsqueeze(1)
        for h in range(horizon):
            obs[:, :, h] = pos
            mask[:, :, h] = alive
            a = mean_action(task_params, pos) + std * torch.randn(
                tasks, trajectories, ACT, generator=gen, dtype=dtype)
            act[:, :, h] = a
            pos = (pos + a.clamp(-STEP_BOUND, STEP_BOUND)).clamp(-STATE_BOUND, STATE_BOUND)
            d = goals.unsqueeze(1) - pos
            rew[:, :, h] = -d.norm(dim=-1) * alive
            alive = alive * (d.abs().max(-1).values >= GOAL_TOLERANCE).to(dtype)
    return obs, act, rew, mask


def process(obs, rew, mask):
    """GAE over a per-task linear baseline, normalised per task; surrogate weights w = A / N."""
    tasks, trajectories, horizon = rew.shape
    dtype = rew.dtype
    t = (torch.arange(horizon, dtype=dtype) / 100).expand(tasks, trajectories, horizon)
    o = obs.clamp(-10, 10)
    features = torch.cat([o, o * o, t.unsqueeze(-1), (t * t).unsqueeze(-1),
                          (t * t * t).unsqueeze(-1), torch.ones_like(t).unsqueeze(-1)], -1)
    features = features * mask.unsqueeze(-1)
    discounts = GAMMA ** torch.arange(horizon, dtype=dtype)
    # Reward to go by a reversed cumulative sum of discounted rewards.
    returns = (rew * discounts).flip(-1).cumsum(-1).flip(-1) / discounts
    f = features.reshape(tasks, -1, features.shape[-1])
    gram = f.transpose(1, 2) @ f + 1e-5 * torch.eye(f.shape[-1], dtype=dtype)
    coef = torch.linalg.solve(gram, f.transpose(1, 2) @ returns.reshape(tasks, -1, 1))
    values = (f @ coef).reshape(tasks, trajectories, horizon) * mask
    next_values = torch.cat([values[..., 1:], torch.zeros_like(values[..., :1])], -1)
    deltas = (rew + GAMMA * next_values - values) * mask
    adv = torch.zeros_like(deltas)
    running = torch.zeros(tasks, trajectories, dtype=dtype)
    for h in reversed(range(horizon)):
        running = deltas[..., h] + GAMMA * LAMBDA * running
        adv[..., h] = running
    n = mask.sum((1, 2))
    mean = (adv * mask).sum((1, 2)) / n
    std = (((adv - mean[:, None, None]) ** 2 * mask).sum((1, 2)) / n).sqrt() + 1e-8
    weights = (adv - mean[:, None, None]) / std[:, None, None] * mask / n[:, None, None]
    scale = trajectories / (n * std)
    j = (rew * discounts).sum(-1).mean(-1)
    return weights, scale, j


def leave_one_out(j):
    return (j.sum() - j) / (len(j) - 1)


def meta_objective_terms(params, inner, outer, algorithm, second_order):
    """Per-task objectives whose gradient is the estimator (batches fixed, one inner step), one
    task at a time."""
    obs_i, act_i, w_i = inner["obs"], inner["act"], inner["weights"]
    baseline = leave_one_out(outer["j"])
    for task in range(obs_i.shape[0]):
        lp = log_prob(params, obs_i[task], act_i[task])
        inner_loss = (lp * w_i[task]).sum()
        grads = torch.autograd.grad(inner_loss, params, create_graph=second_order,
                                    retain_graph=True)
        adapted = [p + ALPHA * g for p, g in zip(params, grads)]
        if not second_order:
            adapted = [p + (a - p).detach() for p, a in zip(params, adapted)]
        lp_o = log_prob(adapted, outer["obs"][task], outer["act"][task])
        term = (lp_o * outer["weights"][task]).sum()
        if algorithm == "sgmrl":
            c = (outer["scale"][task] * (outer["j"][task] - baseline[task])).detach()
            term = term + c * (lp * inner["mask"][task]).sum()
        yield term


def meta_gradient(params, inner, outer, algorithm, second_order=True):
    """Mean over tasks of the per-task gradients, one task's graph at a time."""
    total = [torch.zeros_like(p) for p in params]
    for term in meta_objective_terms(params, inner, outer, algorithm, second_order):
        for acc, g in zip(total, torch.autograd.grad(term, params)):
            acc += g
    return [g / inner["obs"].shape[0] for g in total]


def batch_of(obs, act, rew, mask):
    weights, scale, j = process(obs, rew, mask)
    flat = lambda x, d: x.reshape(x.shape[0], -1, *([d] if d else []))
    return {"obs": flat(obs, OBS), "act": flat(act, ACT), "weights": flat(weights, 0),
            "mask": flat(mask, 0), "scale": scale, "j": j}


def stacked(params, tasks):
    return [p.detach().unsqueeze(0).expand(tasks, *p.shape) for p in params]


def iteration(params, adam, algorithm, hidden, tasks, trajectories, horizon, gen):
    """One meta-iteration: sample, adapt, sample, meta-gradient, Adam."""
    goals = (torch.rand(tasks, OBS, generator=gen) * 2 - 1) * STATE_BOUND
    inner = batch_of(*sample(stacked(params, tasks), goals, trajectories, horizon, gen))
    adapted = []
    for task in range(tasks):
        lp = log_prob(params, inner["obs"][task], inner["act"][task])
        grads = torch.autograd.grad((lp * inner["weights"][task]).sum(), params)
        adapted.append([p.detach() + ALPHA * g for p, g in zip(params, grads)])
    task_params = [torch.stack([a[i] for a in adapted]) for i in range(len(params))]
    outer = batch_of(*sample(task_params, goals, trajectories, horizon, gen))
    grads = meta_gradient(params, inner, outer, algorithm)
    adam.zero_grad()
    for p, g in zip(params, grads):
        p.grad = -g  # ascent on the objective
    adam.step()


def timings(repeats):
    torch.set_num_threads(1)
    hidden, tasks, trajectories, horizon = (100, 100), 20, 20, 100
    gen = torch.Generator().manual_seed(0)
    params = init_params(hidden, gen, torch.float32)
    goals = (torch.rand(tasks, OBS, generator=gen) * 2 - 1) * STATE_BOUND
    batch = batch_of(*sample(stacked(params, tasks), goals, trajectories, horizon, gen))
    adam = torch.optim.Adam(params, lr=BETA)
    out = {"metaGradient": {"sgmrl": [], "maml": []}, "iteration": {"sgmrl": [], "maml": []}}

    def timed(f):
        start = time.perf_counter()
        f()
        return time.perf_counter() - start

    for round_ in range(repeats + 1):  # round 0 warms up
        for algorithm in ("sgmrl", "maml"):
            mg = timed(lambda: meta_gradient(params, batch, batch, algorithm))
            it = timed(lambda: iteration(params, adam, algorithm, hidden, tasks, trajectories,
                                         horizon, gen))
            if round_ > 0:
                out["metaGradient"][algorithm].append(mg)
                out["iteration"][algorithm].append(it)
    out.update({"torch": torch.__version__, "threads": torch.get_num_threads(),
                "blas": loaded_blas()})
    return out


def loaded_blas():
    """The BLAS libraries this process has mapped (Linux), e.g. Debian's OpenBLAS libblas.so.3."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "blas" in line.lower()}
    except OSError:
        return []
    return sorted(p for p in paths if p.startswith("/"))


def check():
    """Second-order gradients against central differences of the per-task objectives, float64."""
    torch.set_num_threads(1)
    dtype = torch.float64
    gen = torch.Generator().manual_seed(1)
    hidden, tasks, trajectories, horizon = (8,), 3, 4, 6
    params = init_params(hidden, gen, dtype)
    with torch.no_grad():
        for p in params:
            p.add_(0.3 * torch.randn(p.shape, generator=gen, dtype=dtype))
    goals = (torch.rand(tasks, OBS, generator=gen, dtype=dtype) * 2 - 1) * STATE_BOUND
    inner = batch_of(*sample(stacked(params, tasks), goals, trajectories, horizon, gen))
    outer = batch_of(*sample(stacked(params, tasks), goals, trajectories, horizon, gen))
    flat = torch.cat([p.detach().reshape(-1) for p in params])

    def objective(theta):
        ps, offset = [], 0
        for p in params:
            ps.append(theta[offset:offset + p.numel()].reshape(p.shape).requires_grad_())
            offset += p.numel()
        terms = [float(t) for t in meta_objective_terms(ps, inner, outer, algorithm, True)]
        return sum(terms) / len(terms)

    result = {}
    ok = True
    for algorithm in ("sgmrl", "maml"):
        g = torch.cat([x.reshape(-1) for x in meta_gradient(params, inner, outer, algorithm)])
        fo = torch.cat([x.reshape(-1) for x in
                        meta_gradient(params, inner, outer, algorithm, second_order=False)])
        eps = 1e-6
        fd = torch.tensor([(objective(flat + eps * e) - objective(flat - eps * e)) / (2 * eps)
                           for e in torch.eye(len(flat), dtype=dtype)], dtype=dtype)
        rel = float((g - fd).norm() / fd.norm())
        rel_fo = float((fo - fd).norm() / fd.norm())
        result[algorithm] = {"relativeError": rel, "firstOrderRelativeError": rel_fo}
        ok = ok and rel < 1e-6 and rel_fo > 1e-4
    result["ok"] = ok
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    if args.check:
        result = check()
        print(json.dumps(result))
        return 0 if result["ok"] else 1
    print(json.dumps(timings(args.repeats)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
