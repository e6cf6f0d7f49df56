"""random: k' = min(k, n) positions uniformly without replacement (splitmix64 seeded with `seed` driving a partial
Fisher-Yates with rejection sampling: the recipe of engines/native/src/methods/random.cpp, so the same positions),
sorted, then gemfilter's second pass (new positions 0..k'-1). filterMs = the draw."""

from . import gemfilter

NAME = "random"
PARAMS = ("k", "seed")
MASK = (1 << 64) - 1


def selection(n, k, seed):
    state = seed & MASK

    def nxt():
        nonlocal state
        state = (state + 0x9E3779B97F4A7C15) & MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    kp = min(k, n)
    a = list(range(n))
    for i in range(kp):
        bound = n - i
        threshold = ((1 << 64) - bound) % bound
        r = nxt()
        while r < threshold:
            r = nxt()
        j = i + r % bound
        a[i], a[j] = a[j], a[i]
    return sorted(a[:kp])


def prefill(engine, ids, params, phases):
    keep = selection(ids.shape[1], int(params["k"]), int(params.get("seed", 0)))
    idx = engine.torch.tensor(keep, dtype=engine.torch.long, device=ids.device)
    phases.filter_done()
    return gemfilter.second_pass(engine, ids, idx)
