#!/usr/bin/env python3
"""Independent re-check of nnexam's stepwise worked solutions, in Python's `decimal`.

Reads JSON lines, each the `solve --format json` contract of one sheet (exact `problem`,
`forward`, ... and the `shown` object). For every step it recomputes the value from the exercise's
inputs (exact decimals: the shortest representation of each float) and the *shown* values of
the steps it reads, at 60 significant digits (exp and ln are correctly rounded there), rounds half
away from zero to the sheet's decimals, and compares the digits with what nnexam printed.
Max-pool routing follows the exact A1 (`forward.a1`), as nnexam documents; the loss falls back
to the exact loss when the shown y_hat is exactly 0 or 1.

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


def shown_dec(text):
    return Decimal(text)


def rnd(x, d):
    # ROUND_HALF_UP in Python's decimal rounds ties away from zero.
    q = Decimal(1).scaleb(-d)
    r = x.quantize(q, rounding=ROUND_HALF_UP, context=Context(prec=200))
    return r


def text(x):
    """Trimmed digits, never -0: how nnexam prints a shown value."""
    if x == 0:
        return "0"
    t = format(x.normalize(Context(prec=200)), "f")
    return t


def sigmoid(z):
    with localcontext(CTX):
        return 1 / (1 + (-z).exp())


def tanh(z):
    with localcontext(CTX):
        e = (2 * z).exp()
        return (e - 1) / (e + 1)


class Sheet:
    def __init__(self, record):
        self.r = record
        self.shown = record["shown"]
        self.d = self.shown["decimals"]
        p = record["problem"]
        self.p = p
        self.errors = []
        self.checked = 0

    def expect(self, name, got_text, value):
        self.checked += 1
        want = text(rnd(value, self.d))
        if want != got_text:
            self.errors.append(f"{name}: nnexam shows {got_text}, recomputed {want} (from {value})")

    def run(self):
        p, d = self.p, self.d
        sf, sb, su = self.shown["forward"], self.shown["backward"], self.shown["update"]
        S = lambda m: [[shown_dec(v) for v in row] for row in m]
        L = lambda v: [shown_dec(x) for x in v]
        x = [[dec(v) for v in row] for row in p["x"]]
        f1 = [[dec(v) for v in row] for row in p["f1"]]
        b1, b2, lr = dec(p["b1"]), dec(p["b2"]), dec(p["lr"])
        w2 = [dec(v) for v in p["w2"]]
        y = Decimal(p["y"])
        act, loss_kind = p["activation"], p["loss"]
        st, pad = p["conv"]["stride"], p["conv"]["padding"]
        pk, ps, pst = p["pool"]["kind"], p["pool"]["size"], p["pool"]["stride"]
        h, w = len(x), len(x[0])
        kh, kw = len(f1), len(f1[0])
        xp = [[Decimal(0)] * (w + 2 * pad) for _ in range(h + 2 * pad)]
        for i in range(h):
            for j in range(w):
                xp[i + pad][j + pad] = x[i][j]
        oh, ow = (h + 2 * pad - kh) // st + 1, (w + 2 * pad - kw) // st + 1
        ph, pw = (oh - ps) // pst + 1, (ow - ps) // pst + 1
        with localcontext(CTX):
            # Z1
            for i in range(oh):
                for j in range(ow):
                    v = sum(xp[i * st + a][j * st + b] * f1[a][b] for a in range(kh) for b in range(kw)) + b1
                    self.expect(f"z1[{i}][{j}]", sf["z1"][i][j], v)
            z1 = S(sf["z1"])
            # A1 from the shown Z1
            for i in range(oh):
                for j in range(ow):
                    z = z1[i][j]
                    if act == "relu":
                        v = z if z > 0 else Decimal(0)
                    elif act == "leaky_relu":
                        v = z if z > 0 else Decimal("0.1") * z
                    elif act == "sigmoid":
                        v = sigmoid(z)
                    else:
                        v = tanh(z)
                    self.expect(f"a1[{i}][{j}]", sf["a1"][i][j], v)
            a1 = S(sf["a1"])
            exact_a1 = self.r["forward"]["a1"]
            # P1 from the shown A1; routes by the exact A1
            routes = {}
            for i in range(ph):
                for j in range(pw):
                    cells = [(i * pst + a, j * pst + b) for a in range(ps) for b in range(ps)]
                    if pk == "max":
                        best = cells[0]
                        for c in cells:
                            if exact_a1[c[0]][c[1]] > exact_a1[best[0]][best[1]]:
                                best = c
                        routes[(i, j)] = best
                        v = max(a1[r][c] for r, c in cells)
                    else:
                        v = sum(a1[r][c] for r, c in cells) / len(cells)
                    self.expect(f"p1[{i}][{j}]", sf["p1"][i][j], v)
            p1 = S(sf["p1"])
            s = [v for row in p1 for v in row]
            for k, v in enumerate(s):
                self.expect(f"s[{k}]", sf["s"][k], v)
            z2 = sum(wk * sk for wk, sk in zip(w2, L(sf["s"]))) + b2
            self.expect("z2", sf["z2"], z2)
            z2 = shown_dec(sf["z2"])
            self.expect("y_hat", sf["y_hat"], sigmoid(z2))
            yh = shown_dec(sf["y_hat"])
            if loss_kind == "bce":
                pr = yh if y == 1 else 1 - yh
                lv = -pr.ln() if pr > 0 else dec(self.r["forward"]["loss"])
            else:
                lv = Decimal("0.5") * (yh - y) * (yh - y)
            self.expect("loss", sf["loss"], lv)
            # Backward
            dz2 = (yh - y) if loss_kind == "bce" else (yh - y) * yh * (1 - yh)
            self.expect("d_z2", sb["z2"], dz2)
            dz2 = shown_dec(sb["z2"])
            s_shown = L(sf["s"])
            for k in range(len(s_shown)):
                self.expect(f"d_w2[{k}]", sb["w2"][k], s_shown[k] * dz2)
                self.expect(f"d_s[{k}]", sb["s"][k], w2[k] * dz2)
            self.expect("d_b2", sb["b2"], dz2)
            ds = L(sb["s"])
            for k in range(len(ds)):
                self.expect(f"d_p1[{k}]", sb["p1"][k // pw][k % pw], ds[k])
            dp1 = S(sb["p1"])
            for r in range(oh):
                for c in range(ow):
                    v = Decimal(0)
                    for i in range(ph):
                        for j in range(pw):
                            if pk == "max":
                                if routes[(i, j)] == (r, c):
                                    v += dp1[i][j]
                            elif i * pst <= r < i * pst + ps and j * pst <= c < j * pst + ps:
                                v += dp1[i][j] / (ps * ps)
                    self.expect(f"d_a1[{r}][{c}]", sb["a1"][r][c], v)
            da1 = S(sb["a1"])
            for r in range(oh):
                for c in range(ow):
                    z, a = z1[r][c], a1[r][c]
                    if act == "relu":
                        g = Decimal(1) if z > 0 else Decimal(0)
                    elif act == "leaky_relu":
                        g = Decimal(1) if z > 0 else Decimal("0.1")
                    elif act == "sigmoid":
                        g = a * (1 - a)
                    else:
                        g = 1 - a * a
                    self.expect(f"act_grad[{r}][{c}]", sb["act_grad"][r][c], g)
            ag = S(sb["act_grad"])
            for r in range(oh):
                for c in range(ow):
                    self.expect(f"d_z1[{r}][{c}]", sb["z1"][r][c], da1[r][c] * ag[r][c])
            dz1 = S(sb["z1"])
            for a in range(kh):
                for b in range(kw):
                    v = sum(dz1[i][j] * xp[i * st + a][j * st + b] for i in range(oh) for j in range(ow))
                    self.expect(f"d_f1[{a}][{b}]", sb["f1"][a][b], v)
            self.expect("d_b1", sb["b1"], sum(v for row in dz1 for v in row))
            # dC/dP0 through the explicit convolution matrix M (independent of the gather form)
            for r in range(h):
                for c in range(w):
                    v = Decimal(0)
                    for i in range(oh):
                        for j in range(ow):
                            a, b = r + pad - i * st, c + pad - j * st
                            if 0 <= a < kh and 0 <= b < kw:
                                v += f1[a][b] * dz1[i][j]
                    self.expect(f"d_p0[{r}][{c}]", sb["x"][r][c], v)
            # Updates from the shown gradients
            dw2 = L(sb["w2"])
            for k in range(len(w2)):
                self.expect(f"w2_new[{k}]", su["w2"][k], w2[k] - lr * dw2[k])
            self.expect("b2_new", su["b2"], b2 - lr * shown_dec(sb["b2"]))
            df1 = S(sb["f1"])
            for a in range(kh):
                for b in range(kw):
                    self.expect(f"f1_new[{a}][{b}]", su["f1"][a][b], f1[a][b] - lr * df1[a][b])
            self.expect("b1_new", su["b1"], b1 - lr * shown_dec(sb["b1"]))


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
