"""Erlang B, Erlang C (M/M/N) and Erlang A (M/M/N+M), exact at any size and vectorised.

Conventions (those of ``tests/data/erlang/README.md``): times in seconds; ``n`` agents, ``a``
offered load in Erlangs (calls per second times AHT), ``t`` the service-level threshold.

* Erlang C with ``a >= n`` is unstable: ``p_wait = 1``, ``service_level = 0``, ``asa = inf``.
  ``asa_seconds`` is averaged over all calls, ``service_level = 1 - P(W > t)`` and ``P(W > t)``
  is computed directly, not as ``1 - service_level``.
* Erlang A (exponential patience with mean ``patience``) is valid for any ``a``, also
  ``a >= n``. ``service_level`` = calls answered within ``t`` / calls offered (abandons count
  as failures); ``asa_seconds`` = mean wait of answered calls; ``mean_wait_all_seconds`` = mean
  wait of all calls = ``p_abandon * patience``; ``p_virtual_wait_gt_t`` = P(V > t) for the wait
  V of an infinitely patient caller.

Numerics. No factorials and no loop over agents or states. With ``L = log(sum_{k<n} a^k/k! /
(a^n/n!))`` (the regularised upper incomplete gamma over a saddle-point Poisson term, or
Legendre's continued fraction when ``a`` is far above ``n``), ``B = 1/(1 + e^L)`` and
``C = 1/(1 + (1 - a/n) e^L)``. Erlang A needs the queue behind an arriving caller: given that
all agents are busy, its virtual wait in units of mean patience, ``S``, has density
proportional to ``exp(-x s + y (1 - e^-s))`` on ``s >= 0`` with ``x = n patience/AHT`` and
``y = a patience/AHT`` (the Garnett-Mandelbaum-Reiman chain summed in closed form; the
normaliser times ``x`` is ``1F1(1; x+1; y)``). P(answered | wait) = E[e^-S], so every Erlang A
figure is a moment of ``S``; the log-concave integrals are done by Gauss-Legendre quadrature on
either side of the mode and of ``t``, in a variable that follows both the narrow peak of large
``n`` and the long exponential tail of small ``n``, relative to the peak in log space.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit, gammaincc, gammaln, xlogy

from acd.errors import LocalError

FloatArray = NDArray[np.float64]
Real = float | FloatArray

__all__ = [
    "ErlangAResult",
    "ErlangCResult",
    "ErlangInputError",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "offered_load",
]


class ErlangInputError(LocalError, ValueError):
    """A parameter of an Erlang model is out of range; ``field`` names it."""

    code = "invalid_erlang_input"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True, slots=True)
class ErlangCResult:
    """Erlang C (M/M/N, infinite patience). Floats for scalar input, arrays otherwise."""

    agents: Real
    offered_load: Real
    p_wait: Real
    service_level: Real
    p_wait_gt_t: Real
    asa_seconds: Real
    occupancy: Real
    queue_length: Real

    @property
    def mean_wait_all_seconds(self) -> Real:
        """Mean wait over all calls: the Erlang C ASA is already averaged over all calls."""
        return self.asa_seconds

    def as_dict(self) -> dict[str, Any]:
        return _as_dict(self) | {"mean_wait_all_seconds": _plain(self.asa_seconds)}


@dataclass(frozen=True, slots=True)
class ErlangAResult:
    """Erlang A (M/M/N+M, exponential patience). Floats for scalar input, arrays otherwise."""

    agents: Real
    offered_load: Real
    p_wait: Real
    service_level: Real
    p_virtual_wait_gt_t: Real
    p_abandon: Real
    asa_seconds: Real
    mean_wait_all_seconds: Real
    occupancy: Real
    queue_length: Real

    def as_dict(self) -> dict[str, Any]:
        return _as_dict(self)


def _plain(v: Real) -> Any:
    return v.tolist() if isinstance(v, np.ndarray) else v


def _as_dict(result: ErlangCResult | ErlangAResult) -> dict[str, Any]:
    return {f: _plain(getattr(result, f)) for f in result.__dataclass_fields__}


def offered_load(calls: float, interval_seconds: float, aht_seconds: float) -> float:
    """Offered load in Erlangs: calls per second times the mean handle time."""
    _check_scalar("calls", calls, lo=0.0)
    _check_scalar("interval", interval_seconds, lo=0.0, strict=True)
    _check_scalar("aht", aht_seconds, lo=0.0, strict=True)
    return calls * aht_seconds / interval_seconds


# --------------------------------------------------------------------------- validation


def _check_scalar(field: str, v: float, *, lo: float, strict: bool = False) -> None:
    if not math.isfinite(v) or v < lo or (strict and v == lo):
        raise ErlangInputError(field, f"must be finite and {'>' if strict else '>='} {lo:g}")


def _check_array(field: str, v: FloatArray, *, lo: float, strict: bool = False) -> None:
    ok = np.isfinite(v) & ((v > lo) if strict else (v >= lo))
    if not ok.all():
        raise ErlangInputError(field, f"must be finite and {'>' if strict else '>='} {lo:g}")


def _agents_scalar(n: Any) -> int:
    f = float(n)
    if not math.isfinite(f) or f < 1 or f != math.floor(f):
        raise ErlangInputError("agents", "must be a whole number >= 1")
    return int(f)


def _agents_array(n: FloatArray) -> None:
    if not (np.isfinite(n) & (n >= 1) & (n == np.floor(n))).all():
        raise ErlangInputError("agents", "must be whole numbers >= 1")


def _scalar(*values: ArrayLike) -> bool:
    return all(isinstance(v, int | float) or np.ndim(v) == 0 for v in values)


# ------------------------------------------------------------- Poisson terms in log space

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
# Stirling series for lgamma(n+1) - (n+1/2) log n + n - log sqrt(2 pi) (Loader 2000).
_S0, _S1, _S2, _S3, _S4 = 1 / 12, 1 / 360, 1 / 1260, 1 / 1680, 1 / 1188


def _stirlerr_s(n: float) -> float:
    if n > 15.0:
        nn = n * n
        return (_S0 - (_S1 - (_S2 - (_S3 - _S4 / nn) / nn) / nn) / nn) / n
    return math.lgamma(n + 1.0) - (n + 0.5) * math.log(n) + n - _LOG_SQRT_2PI


def _stirlerr(n: FloatArray) -> FloatArray:
    nn = n * n
    out: FloatArray = (_S0 - (_S1 - (_S2 - (_S3 - _S4 / nn) / nn) / nn) / nn) / n
    small = n <= 15.0
    if small.any():
        ns = n[small]
        out[small] = gammaln(ns + 1.0) - (ns + 0.5) * np.log(ns) + ns - _LOG_SQRT_2PI
    return out


def _bd0_s(x: float, m: float) -> float:
    """x log(x/m) + m - x without cancellation (Loader's deviance term)."""
    if abs(x - m) < 0.1 * (x + m):
        v = (x - m) / (x + m)
        s = (x - m) * v
        ej = 2.0 * x * v
        v2 = v * v
        for j in range(1, 40):
            ej *= v2
            s1 = s + ej / (2 * j + 1)
            if s1 == s:
                break
            s = s1
        return s
    return x * math.log(x / m) + m - x


def _bd0(x: FloatArray, m: FloatArray) -> FloatArray:
    near = np.abs(x - m) < 0.1 * (x + m)
    v = np.where(near, (x - m) / np.where(near, x + m, 1.0), 0.0)
    s = (x - m) * v
    ej = 2.0 * x * v
    v2 = v * v
    for j in range(1, 9):  # |v| < 0.1: the j-th term is below 0.1 * 0.01^j of the sum
        ej = ej * v2
        s = s + ej / (2 * j + 1)
    far = xlogy(x, x / np.where(near, 1.0, m)) + m - x
    return np.where(near, s, far)


def _cf_far(n: float, a: float) -> bool:
    """Where the continued fraction converges in a few terms and gammaincc may underflow."""
    return a > n + 20.0 * math.sqrt(n) + 5.0


def _log_ratio_s(n: int, a: float) -> float:
    """L = log(sum_{k<n} a^k/k! / (a^n/n!)), so that Erlang B = 1/(1 + e^L)."""
    if a == 0.0:
        return math.inf
    if _cf_far(n, a):
        # Legendre's continued fraction for the upper incomplete gamma function (modified Lentz).
        tiny = 1e-300
        f = a + 1.0 - n
        c, d = f, 0.0
        for k in range(1, 200):
            b = a + 2 * k + 1.0 - n
            ak = k * (n - k)
            d = b + ak * d
            d = 1.0 / (d if d != 0.0 else tiny)
            c = b + ak / c
            c = c if c != 0.0 else tiny
            f *= c * d
            if abs(c * d - 1.0) < 1e-16:
                break
        return math.log(n / f)
    logpmf = -_stirlerr_s(n) - _LOG_SQRT_2PI - 0.5 * math.log(n) - _bd0_s(n, a)
    return math.log(float(gammaincc(float(n), a))) - logpmf  # a float n: 2x faster ufunc call


def _log_ratio(n: FloatArray, a: FloatArray) -> FloatArray:
    """Vectorised ``_log_ratio_s``: each element takes the branch the scalar version takes."""
    out = np.full(n.shape, np.inf)
    far = a > n + 20.0 * np.sqrt(n) + 5.0
    near = (a > 0.0) & ~far
    if near.any():
        nn, aa = n[near], a[near]
        logpmf = -_stirlerr(nn) - _LOG_SQRT_2PI - 0.5 * np.log(nn) - _bd0(nn, aa)
        out[near] = np.log(gammaincc(nn, aa)) - logpmf
    if far.any():
        # Legendre's continued fraction (modified Lentz); within ~10 terms this far above n.
        nn, aa = n[far], a[far]
        f = aa + 1.0 - nn
        c, d = f, np.zeros_like(f)
        for k in range(1, 24):
            b = aa + 2 * k + 1.0 - nn
            ak = k * (nn - k)
            d = b + ak * d
            d = 1.0 / np.where(d == 0.0, 1e-300, d)
            c = b + ak / c
            c = np.where(c == 0.0, 1e-300, c)
            f = f * (c * d)
        out[far] = np.log(nn / f)
    return out


def _log1pexp(z: float) -> float:
    return z + math.log1p(math.exp(-z)) if z > 0 else math.log1p(math.exp(z))


# ---------------------------------------------------------------------------- Erlang B


def erlang_b(n: ArrayLike, a: ArrayLike) -> Real:
    """Blocking probability of M/M/n/n (Erlang B), float for scalars, array otherwise."""
    if _scalar(n, a):
        ni = _agents_scalar(n)
        af = float(a)  # type: ignore[arg-type]
        _check_scalar("offered_load", af, lo=0.0)
        lr = _log_ratio_s(ni, af)
        return math.exp(-lr) / (1.0 + math.exp(-lr)) if lr > 0 else 1.0 / (1.0 + math.exp(lr))
    nv, av = np.broadcast_arrays(np.asarray(n, dtype=float), np.asarray(a, dtype=float))
    _agents_array(nv)
    _check_array("offered_load", av, lo=0.0)
    out: FloatArray = expit(-_log_ratio(nv, av))
    return out


# ---------------------------------------------------------------------------- Erlang C


def _erlang_c_s(n: int, a: float, aht: float, t: float) -> tuple[float, ...]:
    """(p_wait, service_level, p_wait_gt_t, asa, occupancy, queue_length) for scalars."""
    if a >= n:
        return 1.0, 0.0, 1.0, math.inf, 1.0, math.inf
    if a == 0.0:
        return 0.0, 1.0, 0.0, 0.0, 0.0, 0.0
    log_c = -_log1pexp(_log_ratio_s(n, a) + math.log1p(-a / n))
    p_wait = math.exp(log_c)
    log_gt = log_c - (n - a) * t / aht
    return (
        p_wait,
        -math.expm1(log_gt),
        math.exp(log_gt),
        p_wait * aht / (n - a),
        a / n,
        p_wait * a / (n - a),
    )


def erlang_c(n: ArrayLike, a: ArrayLike, aht: ArrayLike, t: ArrayLike) -> ErlangCResult:
    """Erlang C figures for ``n`` agents, offered load ``a``, AHT and threshold ``t`` (s).

    Scalar arguments give a result of floats; arrays broadcast and give arrays, in one call.
    """
    if _scalar(n, a, aht, t):
        ni = _agents_scalar(n)
        af, hf, tf = float(a), float(aht), float(t)  # type: ignore[arg-type]
        _check_scalar("offered_load", af, lo=0.0)
        _check_scalar("aht", hf, lo=0.0, strict=True)
        _check_scalar("answer_within", tf, lo=0.0)
        return ErlangCResult(float(ni), af, *_erlang_c_s(ni, af, hf, tf))
    nv, av, hv, tv = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (n, a, aht, t)))
    _agents_array(nv)
    _check_array("offered_load", av, lo=0.0)
    _check_array("aht", hv, lo=0.0, strict=True)
    _check_array("answer_within", tv, lo=0.0)
    stable = av < nv
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        gap = np.where(stable, nv - av, 1.0)
        rho = np.where(stable, av / nv, 0.0)
        log_c = np.where(stable, -np.logaddexp(0.0, _log_ratio(nv, av) + np.log1p(-rho)), 0.0)
        log_gt = log_c - gap * tv / hv
        p_wait = np.exp(log_c)
        return ErlangCResult(
            agents=nv.copy(),
            offered_load=av.copy(),
            p_wait=p_wait,
            service_level=np.where(stable, -np.expm1(log_gt), 0.0),
            p_wait_gt_t=np.where(stable, np.exp(log_gt), 1.0),
            asa_seconds=np.where(stable, p_wait * hv / gap, np.inf),
            occupancy=np.minimum(av / nv, 1.0),
            queue_length=np.where(stable, p_wait * av / gap, np.inf),
        )


# ---------------------------------------------------------------------------- Erlang A

_DEPTH = 50.0  # integrate until the integrand is e^-50 below its anchor
_NODES = 64  # Gauss-Legendre nodes per piece
_GX, _GW = np.polynomial.legendre.leggauss(_NODES)
_GX = (_GX + 1.0) / 2.0
_GW = _GW / 2.0
# g(e) = e + expm1(-e) = e^2 (1/2! - e/3! + e^2/4! - ...): Horner coefficients, highest first;
# eleven terms are exact to rounding for |e| < 0.1, where the direct form would cancel.
_G_COEF = [(-1.0) ** k / math.factorial(k + 2) for k in range(11)][::-1]
_CHUNK = 4096  # Erlang A evaluations per block of quadrature work


def _g(e: FloatArray) -> FloatArray:
    """e + exp(-e) - 1 (>= 0) without cancellation near 0."""
    small = np.abs(e) < 0.1
    es = np.where(small, e, 0.0)
    p = np.zeros_like(es)
    for c in _G_COEF:
        p = p * es + c
    return np.where(small, es * es * p, e + np.expm1(-e))


def _wait_moments(x: FloatArray, y: FloatArray, big_t: FloatArray) -> tuple[FloatArray, ...]:
    """Moments of the virtual wait S (units of mean patience) of a caller who must wait.

    Density of S proportional to exp(phi(s)), phi(s) = -x s + y (1 - e^-s), s >= 0; concave.
    Returns log Z - phi(mode) and E[1 - e^-S], E[e^-S], E[e^-S; S <= T], P(S > T), E[S e^-S].
    Four pieces, each a Gauss-Legendre rule in v = log(1 + |s - anchor|): right and left of the
    mode for S > T and for S <= T (A: right from max(T, mode); B: left from the mode down to T;
    C: left from min(T, mode); D: right from the mode up to T).
    """
    interior = y > x
    mode = np.where(interior, np.log(np.where(interior, y / x, 1.0)), 0.0)
    q_mode = np.minimum(x, y)  # y e^-mode, exactly
    r = _DEPTH / x
    # Upper bounds for where the drop from the anchor reaches _DEPTH: g(d) >= d^2/(2+d) on the
    # right; e^u - 1 - u >= max(u^2/2, e^u/2 for u >= 1.68) on the left.
    right = (r + np.sqrt(r * r + 8.0 * r)) / 2.0
    left = np.minimum(np.sqrt(2.0 * r), np.maximum(np.log(2.0 * r), 1.7))

    t_right = big_t > mode
    q_t = y * np.exp(-big_t)
    q_a = np.where(t_right, q_t, q_mode)
    q_c = np.where(t_right, q_mode, q_t)
    anchor_a = np.maximum(big_t, mode)
    anchor_c = np.minimum(big_t, mode)
    with np.errstate(divide="ignore", over="ignore"):
        d_a = np.where(x > q_a, np.minimum(right, _DEPTH / (x - q_a)), right)
        d_b = np.clip(mode - big_t, 0.0, np.minimum(left, mode))
        d_c = np.minimum(left, anchor_c)
        d_c = np.where(q_c > x, np.minimum(d_c, _DEPTH / (q_c - x)), d_c)
        d_full = np.where(x > q_mode, np.minimum(right, _DEPTH / (x - q_mode)), right)
    d_d = np.clip(big_t - mode, 0.0, d_full)

    anchor = np.stack([anchor_a, mode, anchor_c, mode], axis=-1)[..., None]
    sign = np.array([1.0, -1.0, -1.0, 1.0])[:, None]
    dmax = np.stack([d_a, d_b, d_c, d_d], axis=-1)[..., None]
    e_ac = np.stack([anchor_a, anchor_c]) - mode  # displacement of the anchors from the mode
    off_ac = -((x - q_mode) * e_ac + q_mode * _g(e_ac))
    zero = np.zeros_like(x)
    offset = np.stack([off_ac[0], zero, off_ac[1], zero], axis=-1)
    q = np.stack([q_a, q_mode, q_c, q_mode], axis=-1)[..., None]
    vmax = np.log1p(dmax)
    d = np.expm1(vmax * _GX)
    e = sign * d
    s = anchor + e
    drop = (x[..., None, None] - q) * e + q * _g(e)
    w = (vmax * _GW) * (1.0 + d) * np.exp(offset[..., None] - drop)
    es = np.exp(-s)
    m1 = w.sum(-1)
    m_ab = (w * -np.expm1(-s)).sum(-1)
    m_e = (w * es).sum(-1)
    m_se = (w * s * es).sum(-1)
    z = m1.sum(-1)
    return (
        np.log(z),
        m_ab.sum(-1) / z,
        m_e.sum(-1) / z,
        (m_e[..., 2] + m_e[..., 3]) / z,
        (m1[..., 0] + m1[..., 1]) / z,
        m_se.sum(-1) / z,
    )


def _erlang_a_flat(
    n: FloatArray,
    a: FloatArray,
    aht: FloatArray,
    t: FloatArray,
    patience: FloatArray,
    lr: FloatArray | None = None,
) -> tuple[FloatArray, ...]:
    x = n * patience / aht
    y = a * patience / aht
    big_t = t / patience
    if lr is None:
        lr = _log_ratio(n, a)
    log_z, e_ab, e_ans, e_ans_by_t, p_tail, e_se = _wait_moments(x, y, big_t)
    with np.errstate(divide="ignore"):
        phi_mode = np.where(y > x, _bd0(x, np.where(y > x, y, x)), 0.0)
        log_m = np.log(x) + phi_mode + log_z  # log 1F1(1; x+1; y)
    p_wait = expit(log_m - lr)
    p_no_wait = expit(lr - log_m)
    p_abandon = p_wait * e_ab
    p_answered = np.minimum(p_no_wait + p_wait * e_ans, 1.0)  # clip rounding above 1
    return (
        p_wait,
        np.minimum(p_no_wait + p_wait * e_ans_by_t, 1.0),
        p_wait * p_tail,
        p_abandon,
        np.where(p_wait > 0.0, p_wait * e_se * patience / p_answered, 0.0),
        p_abandon * patience,
        np.minimum(a * p_answered / n, 1.0),
        y * p_abandon,
    )


def erlang_a(
    n: ArrayLike, a: ArrayLike, aht: ArrayLike, t: ArrayLike, patience: ArrayLike
) -> ErlangAResult:
    """Erlang A figures (M/M/n+M) with mean patience ``patience`` seconds; any ``a >= 0``.

    Scalar arguments give a result of floats; arrays broadcast and give arrays, in one call.
    """
    if _scalar(n, a, aht, t, patience):
        ni = _agents_scalar(n)
        af, hf, tf, pf = float(a), float(aht), float(t), float(patience)  # type: ignore[arg-type]
        _check_scalar("offered_load", af, lo=0.0)
        _check_scalar("aht", hf, lo=0.0, strict=True)
        _check_scalar("answer_within", tf, lo=0.0)
        _check_scalar("patience", pf, lo=0.0, strict=True)
        n1, a1, h1, t1, p1 = (np.array([v]) for v in (float(ni), af, hf, tf, pf))
        one = _erlang_a_flat(n1, a1, h1, t1, p1, lr=np.array([_log_ratio_s(ni, af)]))
        return ErlangAResult(float(ni), af, *(float(c[0]) for c in one))
    arrays = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (n, a, aht, t, patience)))
    nv, av, hv, tv, pv = arrays
    _agents_array(nv)
    _check_array("offered_load", av, lo=0.0)
    _check_array("aht", hv, lo=0.0, strict=True)
    _check_array("answer_within", tv, lo=0.0)
    _check_array("patience", pv, lo=0.0, strict=True)
    flat = [v.ravel() for v in arrays]
    blocks = [
        _erlang_a_flat(*(v[i : i + _CHUNK] for v in flat))
        for i in range(0, max(nv.size, 1), _CHUNK)
    ]
    cols = [np.concatenate([b[k] for b in blocks]).reshape(nv.shape) for k in range(8)]
    return ErlangAResult(nv.copy(), av.copy(), *cols)
