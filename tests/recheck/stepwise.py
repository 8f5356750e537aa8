#!/usr/bin/env python3
"""Independent re-check of nnexam's stepwise worked solutions, in Python's `decimal`: the
original skeleton and the wider family (several input channels and filters, a softmax output,
mini-batches).

Reads JSON lines, each the `solve --format json` contract of one sheet (exact `problem`,
`forward`, ... and the `shown` object). For every step it recomputes the value from the exercise's
inputs (exact decimals: the shortest representation of each float) and the *shown* values of
the steps it reads, at 60 significant digits (exp and ln are correctly rounded there), rounds half
away from zero to the sheet's decimals, and compares the digits with what nnexam printed. The
contract writes each value in the shape the exercise file writes (a map axis only with a list of
filters, a channel axis only with a list of channels, numbers for a sigmoid's one output, a list
per sample in a mini-batch): this script first lifts every value to all its axes.

The chain's rules it follows: max-pool routing follows the exact A1 (`forward.a1`), as nnexam
documents; a loss of ln(0) falls back to the exact loss. A mini-batch's cost and parameter
gradients are the means over the samples of the samples' own values (the sum exact, the mean
rounded; one sample takes no mean); dC/dP0 is each sample's own. The softmax is e^z / sum e^z,
the cross-entropy -ln of the shown y_hat of the class.

Prints one line per disagreement and a last line `checked N values in M sheets`. Exit 0 always:
the Rust test reads the lines.
"""
import json
import sys
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

CTX = Context(prec=60)


def dec(x):
    """An input as the exercise file writes it: the shortest decimal of the float."""
    return Decimal(repr(float(x)))


def rnd(x, d):
    # ROUND_HALF_UP in Python's decimal rounds ties away from zero.
    return x.quantize(Decimal(1).scaleb(-d), rounding=ROUND_HALF_UP, context=Context(prec=200))


def text(x):
    """Trimmed digits, never -0: how nnexam prints a shown value."""
    if x == 0:
        return "0"
    return format(x.normalize(Context(prec=200)), "f")


def depth(v):
    d = 0
    while isinstance(v, list):
        d += 1
        v = v[0]
    return d


def tree(v, f):
    """`v` with every leaf mapped by `f`."""
    return [tree(x, f) for x in v] if isinstance(v, list) else f(v)


def lift(v, want):
    """`v` with leading axes of one entry added until it has `want` axes."""
    while depth(v) < want:
        v = [v]
    return v


def bank(v):
    """A filter-shaped value as (filters, channels, kh, kw): `f1` and its gradient and update are
    written as one matrix, a list of filters over one channel, or a list of filters each a list
    of channel matrices."""
    if depth(v) == 3:
        return [[m] for m in v]
    return lift(v, 4)


class Sheet:
    def __init__(self, record):
        self.r = record
        self.shown = record["shown"]
        self.d = self.shown["decimals"]
        self.errors = []
        self.checked = 0

    def expect(self, name, got_text, value):
        self.checked += 1
        want = text(rnd(value, self.d))
        if want != got_text:
            self.errors.append(f"{name}: nnexam shows {got_text}, recomputed {want} (from {value})")

    def run(self):
        r, p, d = self.r, self.r["problem"], self.d
        batch = "samples" in p
        samples = p["samples"] if batch else [{"x": p["x"], "y": p["y"]}]
        N = len(samples)
        softmax = p.get("output", "sigmoid") == "softmax"
        # Inputs with every axis: x (N, C, h, w), f1 (O, C, kh, kw), b1 (O), w2 (K, n), b2 (K).
        x = [tree(lift(s["x"], 3), dec) for s in samples]
        f1 = tree(bank(p["f1"]), dec)
        b1 = tree(lift(p["b1"], 1), dec)
        w2 = tree(lift(p["w2"], 2), dec)
        b2 = tree(lift(p["b2"], 1), dec)
        lr = dec(p["lr"])
        ys = [s["y"] for s in samples]
        K = len(w2)
        # Shown and exact values per sample, lifted. A step is map-shaped (3 axes per sample),
        # a vector (1) or a number (0).
        per_sample_fwd = self.shown["forward"] if batch else [self.shown["forward"]]
        exact_fwd = r["forward"] if batch else [r["forward"]]
        sb, su = self.shown["backward"], self.shown["update"]

        def back(key):
            return sb[key] if batch else [sb[key]]

        def maps(v):
            return tree(lift(v, 3), Decimal)

        def vec(v):
            return tree(lift(v, 1), Decimal)

        act, loss_kind = p["activation"], p["loss"]
        st, pad = p["conv"]["stride"], p["conv"]["padding"]
        pk, ps, pst = p["pool"]["kind"], p["pool"]["size"], p["pool"]["stride"]
        C, h, w = len(x[0]), len(x[0][0]), len(x[0][0][0])
        O, kh, kw = len(f1), len(f1[0][0]), len(f1[0][0][0])
        oh, ow = (h + 2 * pad - kh) // st + 1, (w + 2 * pad - kw) // st + 1
        ph, pw = (oh - ps) // pst + 1, (ow - ps) // pst + 1
        xp = []
        for n in range(N):
            chans = []
            for c in range(C):
                m = [[Decimal(0)] * (w + 2 * pad) for _ in range(h + 2 * pad)]
                for i in range(h):
                    for j in range(w):
                        m[i + pad][j + pad] = x[n][c][i][j]
                chans.append(m)
            xp.append(chans)

        def mean(values):
            values = list(values)
            return values[0] if N == 1 else sum(values) / N

        with localcontext(CTX):
            z1s, a1s, s_all, z2s, yhs, losses, dz2s, routes_all = [], [], [], [], [], [], [], []
            for n in range(N):
                sf = per_sample_fwd[n]
                tag = f"s{n + 1}." if batch else ""
                z1_t, a1_t, p1_t = sf["z1"], sf["a1"], sf["p1"]
                z1_t, a1_t, p1_t = lift(z1_t, 3), lift(a1_t, 3), lift(p1_t, 3)
                for o in range(O):
                    for i in range(oh):
                        for j in range(ow):
                            v = sum(
                                xp[n][c][i * st + a][j * st + b] * f1[o][c][a][b]
                                for c in range(C) for a in range(kh) for b in range(kw)
                            ) + b1[o]
                            self.expect(f"{tag}z1[{o}][{i}][{j}]", z1_t[o][i][j], v)
                z1 = maps(z1_t)
                for o in range(O):
                    for i in range(oh):
                        for j in range(ow):
                            z = z1[o][i][j]
                            if act == "relu":
                                v = z if z > 0 else Decimal(0)
                            elif act == "leaky_relu":
                                v = z if z > 0 else Decimal("0.1") * z
                            elif act == "sigmoid":
                                v = 1 / (1 + (-z).exp())
                            else:
                                e = (2 * z).exp()
                                v = (e - 1) / (e + 1)
                            self.expect(f"{tag}a1[{o}][{i}][{j}]", a1_t[o][i][j], v)
                a1 = maps(a1_t)
                exact_a1 = lift(exact_fwd[n]["a1"], 3)
                routes = {}
                for o in range(O):
                    for i in range(ph):
                        for j in range(pw):
                            cells = [(i * pst + a, j * pst + b) for a in range(ps) for b in range(ps)]
                            if pk == "max":
                                best = cells[0]
                                for cell in cells:
                                    if exact_a1[o][cell[0]][cell[1]] > exact_a1[o][best[0]][best[1]]:
                                        best = cell
                                routes[(o, i, j)] = best
                                v = max(a1[o][rr][cc] for rr, cc in cells)
                            else:
                                v = sum(a1[o][rr][cc] for rr, cc in cells) / len(cells)
                            self.expect(f"{tag}p1[{o}][{i}][{j}]", p1_t[o][i][j], v)
                p1 = maps(p1_t)
                s = [p1[o][i][j] for o in range(O) for i in range(ph) for j in range(pw)]
                for k, v in enumerate(s):
                    self.expect(f"{tag}s[{k}]", sf["s"][k], v)
                s = vec(sf["s"])
                z2_t = lift(sf["z2"], 1)
                for k in range(K):
                    v = sum(wk * sk for wk, sk in zip(w2[k], s)) + b2[k]
                    self.expect(f"{tag}z2[{k}]", z2_t[k], v)
                z2 = vec(z2_t)
                yh_t = lift(sf["y_hat"], 1)
                if softmax:
                    top = max(z2)
                    e = [(z - top).exp() for z in z2]
                    total = sum(e)
                    for k in range(K):
                        self.expect(f"{tag}y_hat[{k}]", yh_t[k], e[k] / total)
                else:
                    self.expect(f"{tag}y_hat", yh_t[0], 1 / (1 + (-z2[0]).exp()))
                yh = vec(yh_t)
                y = ys[n]
                exact_loss = dec(exact_fwd[n]["loss"])
                if loss_kind == "ce":
                    lv = -yh[y].ln() if yh[y] > 0 else exact_loss
                elif loss_kind == "bce":
                    pr = yh[0] if y == 1 else 1 - yh[0]
                    lv = -pr.ln() if pr > 0 else exact_loss
                else:
                    lv = Decimal("0.5") * (yh[0] - y) * (yh[0] - y)
                self.expect(f"{tag}loss", sf["loss"], lv)
                losses.append(Decimal(sf["loss"]))
                targets = [Decimal(1 if k == y else 0) for k in range(K)] if softmax else [Decimal(y)]
                dz2_t = lift(back("z2")[n], 1)
                for k in range(K):
                    err = yh[k] - targets[k]
                    v = err if loss_kind in ("bce", "ce") else err * yh[k] * (1 - yh[k])
                    self.expect(f"{tag}d_z2[{k}]", dz2_t[k], v)
                z1s.append(z1)
                a1s.append(a1)
                s_all.append(s)
                yhs.append(yh)
                dz2s.append(vec(dz2_t))
                routes_all.append(routes)
            if batch:
                self.expect("cost", self.shown["cost"], mean(losses))
            # The fully connected layer's gradients: batch means.
            dw2_t = lift(sb["w2"], 2)
            n_s = len(s_all[0])
            for k in range(K):
                for i in range(n_s):
                    v = mean(s_all[n][i] * dz2s[n][k] for n in range(N))
                    self.expect(f"d_w2[{k}][{i}]", dw2_t[k][i], v)
            db2_t = lift(sb["b2"], 1)
            for k in range(K):
                self.expect(f"d_b2[{k}]", db2_t[k], mean(dz2s[n][k] for n in range(N)))
            dz1s = []
            for n in range(N):
                tag = f"s{n + 1}." if batch else ""
                ds_t = back("s")[n]
                for i in range(n_s):
                    v = sum(w2[k][i] * dz2s[n][k] for k in range(K))
                    self.expect(f"{tag}d_s[{i}]", ds_t[i], v)
                ds = vec(ds_t)
                dp1_t = lift(back("p1")[n], 3)
                for o in range(O):
                    for i in range(ph):
                        for j in range(pw):
                            self.expect(f"{tag}d_p1[{o}][{i}][{j}]", dp1_t[o][i][j], ds[o * ph * pw + i * pw + j])
                dp1 = maps(dp1_t)
                da1_t = lift(back("a1")[n], 3)
                for o in range(O):
                    for rr in range(oh):
                        for cc in range(ow):
                            v = Decimal(0)
                            for i in range(ph):
                                for j in range(pw):
                                    if pk == "max":
                                        if routes_all[n][(o, i, j)] == (rr, cc):
                                            v += dp1[o][i][j]
                                    elif i * pst <= rr < i * pst + ps and j * pst <= cc < j * pst + ps:
                                        v += dp1[o][i][j] / (ps * ps)
                            self.expect(f"{tag}d_a1[{o}][{rr}][{cc}]", da1_t[o][rr][cc], v)
                da1 = maps(da1_t)
                ag_t = lift(back("act_grad")[n], 3)
                for o in range(O):
                    for rr in range(oh):
                        for cc in range(ow):
                            z, a = z1s[n][o][rr][cc], a1s[n][o][rr][cc]
                            if act == "relu":
                                g = Decimal(1) if z > 0 else Decimal(0)
                            elif act == "leaky_relu":
                                g = Decimal(1) if z > 0 else Decimal("0.1")
                            elif act == "sigmoid":
                                g = a * (1 - a)
                            else:
                                g = 1 - a * a
                            self.expect(f"{tag}act_grad[{o}][{rr}][{cc}]", ag_t[o][rr][cc], g)
                ag = maps(ag_t)
                dz1_t = lift(back("z1")[n], 3)
                for o in range(O):
                    for rr in range(oh):
                        for cc in range(ow):
                            self.expect(f"{tag}d_z1[{o}][{rr}][{cc}]", dz1_t[o][rr][cc], da1[o][rr][cc] * ag[o][rr][cc])
                dz1s.append(maps(dz1_t))
                # dC^n/dP0 through the explicit convolution matrix (independent of the gather form).
                dp0_t = lift(back("x")[n], 3)
                for c in range(C):
                    for rr in range(h):
                        for cc in range(w):
                            v = Decimal(0)
                            for o in range(O):
                                for i in range(oh):
                                    for j in range(ow):
                                        a, b = rr + pad - i * st, cc + pad - j * st
                                        if 0 <= a < kh and 0 <= b < kw:
                                            v += f1[o][c][a][b] * dz1s[n][o][i][j]
                            self.expect(f"{tag}d_p0[{c}][{rr}][{cc}]", dp0_t[c][rr][cc], v)
            # The convolutional layer's gradients: batch means.
            df1_t = bank(sb["f1"])
            for o in range(O):
                for c in range(C):
                    for a in range(kh):
                        for b in range(kw):
                            v = mean(
                                sum(dz1s[n][o][i][j] * xp[n][c][i * st + a][j * st + b] for i in range(oh) for j in range(ow))
                                for n in range(N)
                            )
                            self.expect(f"d_f1[{o}][{c}][{a}][{b}]", df1_t[o][c][a][b], v)
            db1_t = lift(sb["b1"], 1)
            for o in range(O):
                v = mean(sum(val for row in dz1s[n][o] for val in row) for n in range(N))
                self.expect(f"d_b1[{o}]", db1_t[o], v)
            # Updates from the shown gradients.
            dw2 = tree(dw2_t, Decimal)
            w2_new = lift(su["w2"], 2)
            for k in range(K):
                for i in range(n_s):
                    self.expect(f"w2_new[{k}][{i}]", w2_new[k][i], w2[k][i] - lr * dw2[k][i])
            b2_new = lift(su["b2"], 1)
            for k in range(K):
                self.expect(f"b2_new[{k}]", b2_new[k], b2[k] - lr * Decimal(db2_t[k]))
            f1_new = bank(su["f1"])
            df1 = tree(df1_t, Decimal)
            for o in range(O):
                for c in range(C):
                    for a in range(kh):
                        for b in range(kw):
                            self.expect(f"f1_new[{o}][{c}][{a}][{b}]", f1_new[o][c][a][b], f1[o][c][a][b] - lr * df1[o][c][a][b])
            b1_new = lift(su["b1"], 1)
            for o in range(O):
                self.expect(f"b1_new[{o}]", b1_new[o], b1[o] - lr * Decimal(db1_t[o]))


def main():
    sheets = checked = 0
    for line in open(sys.argv[1], encoding="utf-8"):
        if not line.strip():
            continue
        record = json.loads(line)
        sheet = Sheet(record)
        sheet.run()
        sheets += 1
        checked += sheet.checked
        for e in sheet.errors:
            print(f"{record.get('name', '?')}: {e}")
    print(f"checked {checked} values in {sheets} sheets")


if __name__ == "__main__":
    main()
